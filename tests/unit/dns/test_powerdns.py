"""The PowerDNS RRset a plan's changes become (one REPLACE per name and type)."""

from __future__ import annotations

from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.providers.powerdns import replacement
from ansible.module_utils.mailops.dns.records import make_record

NAME = "news.example.com"
SPF = "v=spf1 include:spf.sendcloud.org ~all"


def served(*records: dict, ttl: int = 300) -> dict:
    return {"name": NAME + ".", "type": "TXT", "ttl": ttl, "records": list(records)}


def test_a_disabled_record_the_plan_updates_is_sent_enabled_and_a_foreign_one_as_stored():
    ours = make_record(NAME + ".", "TXT", SPF, ttl=300)
    rrset = served({"content": f'"{SPF}"', "disabled": True},
                   {"content": '"theirs"', "disabled": True})
    sent = replacement(NAME, "TXT", rrset, [Change("update", ours, ours, "re-enable",
                                                   record_id=f'"{SPF}"')])
    assert sent["changetype"] == "REPLACE"
    assert sorted(sent["records"], key=lambda r: r["content"]) == [
        {"content": '"theirs"', "disabled": True},
        {"content": f'"{SPF}"', "disabled": False}]


def test_the_last_record_removed_deletes_the_rrset():
    theirs = make_record(NAME + ".", "TXT", "theirs", ttl=300)
    sent = replacement(NAME, "TXT", served({"content": '"theirs"', "disabled": False}),
                       [Change("delete", theirs, None, "replace", record_id='"theirs"')])
    assert sent == {"name": NAME + ".", "type": "TXT", "changetype": "DELETE"}
