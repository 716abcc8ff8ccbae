"""Retiring a sending domain: stop serving exactly SendCloud's records, nothing else."""

from __future__ import annotations

from ansible.module_utils.mailops.dns.plan import plan_removal
from ansible.module_utils.mailops.dns.records import ExistingRecord, Record

SPF = "v=spf1 include:spf.sendcloud.org ~all"


def existing(name: str, rtype: str, value: str, priority: int | None = None) -> ExistingRecord:
    return ExistingRecord(Record(name, rtype, value, 600, priority), record_id=f"{name}/{value}")


def test_our_records_are_deleted_and_foreign_ones_stay():
    desired = [Record("old.example", "TXT", SPF, purpose="spf"),
               Record("old.example", "MX", "mx.sendcloud.org", priority=10, purpose="mx"),
               Record("_dmarc.old.example", "TXT", "v=DMARC1; p=none", purpose="dmarc")]
    current = [existing("old.example", "TXT", SPF),
               existing("old.example", "TXT", "google-site-verification=keep"),
               existing("old.example", "MX", "mx.sendcloud.org", 10),
               existing("_dmarc.old.example", "TXT", "v=DMARC1; p=reject")]
    plan = plan_removal(desired, current)
    deleted = sorted((c.before.type, c.before.value) for c in plan.changes if c.action == "delete")
    assert deleted == [("MX", "mx.sendcloud.org"), ("TXT", SPF)]
    assert not any(change.touches_foreign for change in plan.changes)


def test_a_merged_spf_record_keeps_its_other_mechanisms():
    merged = "v=spf1 include:_spf.corp.example include:spf.sendcloud.org ~all"
    plan = plan_removal([Record("old.example", "TXT", SPF, purpose="spf")],
                        [existing("old.example", "TXT", merged)])
    assert [(c.action, c.after.value) for c in plan.changes] == [
        ("update", "v=spf1 include:_spf.corp.example ~all")]


def test_nothing_to_remove_is_no_change():
    assert not plan_removal([Record("old.example", "TXT", SPF, purpose="spf")], []).changed
