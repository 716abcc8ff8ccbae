"""Unit pins for the three fixes the zone corpus (tests/integration/test_zone_corpus.py) found."""

from __future__ import annotations

import base64

import pytest
from ansible.module_utils.mailops.dns.plan import plan_changes
from ansible.module_utils.mailops.dns.providers.rfc2136 import Rfc2136Provider
from ansible.module_utils.mailops.dns.records import ExistingRecord, make_record
from ansible.module_utils.mailops.errors import ConflictError

DOMAIN = "send.example.test"
SPF = make_record(DOMAIN, "TXT", "v=spf1 include:spf.sendcloud.org ~all", ttl=600, purpose="spf")
MX = make_record(DOMAIN, "MX", "mx.sendcloud.org", ttl=600, priority=10, purpose="mx")
DMARC = make_record(f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; p=none", ttl=600, purpose="dmarc")
CNAME = ExistingRecord(make_record(DOMAIN, "CNAME", "send.esp.example", ttl=300), "7")


def test_cname_at_the_sending_domain_fails_naming_it():
    with pytest.raises(ConflictError, match="CNAME send.example.test send.esp.example"):
        plan_changes([SPF, MX, DMARC], [CNAME], "keep_and_fail")


def test_cname_kept_means_no_txt_or_mx_written_beside_it():
    plan = plan_changes([SPF, MX, DMARC], [CNAME], "keep_and_warn")

    assert [(c.action, c.record.name) for c in plan.changes] == [("create", f"_dmarc.{DOMAIN}")]
    assert [o.action for o in plan.outcomes] == ["kept", "kept", "create"]


def test_cname_replaced_is_deleted_once_before_ours_are_created():
    plan = plan_changes([SPF, MX, DMARC], [CNAME], "replace")

    assert [(c.action, c.record.type) for c in plan.changes] == [
        ("delete", "CNAME"), ("create", "TXT"), ("create", "MX"), ("create", "TXT")
    ]
    assert plan.changes[0].record_id == "7" and plan.changes[0].touches_foreign


def rfc2136_provider() -> Rfc2136Provider:
    secret = base64.b64encode(b"0" * 32).decode()
    return Rfc2136Provider(server="127.0.0.1", port=5354, key_name="k", key_secret=secret)


def test_rfc2136_deletes_the_rdata_as_served_not_a_resplit():
    served = '"v=spf1 include:_spf.google.com " "~all"'
    old = ExistingRecord(
        make_record(DOMAIN, "TXT", "v=spf1 include:_spf.google.com ~all", ttl=300), served
    )
    update = rfc2136_provider().build_update("example.test", plan_changes([SPF], [old]).changes)

    deleted, added = update.update
    assert [r.to_text() for r in deleted] == [served]
    assert b"".join(added[0].strings).decode().startswith("v=spf1 include:_spf.google.com include:")


def test_rfc2136_add_beside_foreign_records_takes_their_rrset_ttl():
    verify = ExistingRecord(make_record(DOMAIN, "TXT", "site-verification=1", ttl=300))
    foreign_mx = ExistingRecord(make_record(DOMAIN, "MX", "mail.corp.example", ttl=300))
    changes = plan_changes([SPF, MX, DMARC], [verify, foreign_mx], "keep_and_warn",
                           one_ttl_per_rrset=True).changes

    update = rfc2136_provider().build_update("example.test", changes)

    ttls = {(rrset.name.to_text(), rrset.rdtype): rrset.ttl for rrset in update.update}
    assert sorted(ttls.values()) == [300, 300, 600]  # SPF and MX join theirs; DMARC alone: ours
