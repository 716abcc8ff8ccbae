"""Manual provider: a change request for a human, zone-file lines quoted and split."""

from __future__ import annotations

import csv

from ansible.module_utils.mailops.dns.plan import plan_changes
from ansible.module_utils.mailops.dns.providers.manual import ManualProvider, zone_file_line
from ansible.module_utils.mailops.dns.records import ExistingRecord, make_record

DKIM = make_record(
    "s1._domainkey.news.example.com", "TXT", "k=rsa;p=" + "B" * 300, ttl=600, purpose="dkim"
)
MX = make_record("news.example.com", "MX", "mx.sendcloud.net", ttl=600, priority=10, purpose="mx")


def test_zone_file_line_splits_and_quotes_long_txt():
    line = zone_file_line(DKIM)
    assert line.startswith('s1._domainkey.news.example.com. 600 IN TXT "k=rsa;p=')
    assert line.count('" "') == 1


def test_zone_file_line_of_mx_has_priority_and_absolute_target():
    assert zone_file_line(MX) == "news.example.com. 600 IN MX 10 mx.sendcloud.net."


def test_apply_writes_the_markdown_and_csv_request_and_is_pending_human(tmp_path):
    provider = ManualProvider(change_dir=str(tmp_path / "changes"), tenant="acme")

    result = provider.apply_changes("example.com", plan_changes([DKIM, MX], []).changes)

    assert result.status == "pending_human"
    text = (tmp_path / "changes" / "acme--example.com.md").read_text()
    assert "| create | news | MX | `10 mx.sendcloud.net` | 600 |" in text
    assert zone_file_line(MX) in text
    assert sorted(p.name for p in (tmp_path / "changes").iterdir()) == [
        "acme--example.com.csv",
        "acme--example.com.md",
    ]


def test_the_change_request_s_path_and_how_to_finish_later_are_said_when_it_is_written(tmp_path):
    """Issue 21, point 17: the path came only with the wait's timeout."""
    provider = ManualProvider(change_dir=str(tmp_path), tenant="acme")
    result = provider.apply_changes("example.com", plan_changes([DKIM, MX], []).changes)
    path = tmp_path / "acme--example.com.md"
    assert result.warnings == [
        f"DNS change request for a human: {path} (and {tmp_path / 'acme--example.com.csv'}): apply it "
        "at the zone's DNS provider. The run waits dns_propagation_timeout for every nameserver to "
        "serve it; to finish later instead, let the wait time out (or stop the run) and run "
        "onboard.yml again once it is applied: the run goes on from what DNS serves, nothing is "
        "written twice"]


def test_csv_request_has_one_row_per_change_with_unsplit_values(tmp_path):
    spf = make_record("news.example.com", "TXT", "v=spf1 include:spf.sendcloud.org ~all",
                      ttl=600, purpose="spf")
    old_spf = ExistingRecord(make_record("news.example.com", "TXT", "v=spf1 -all"))
    foreign_mx = ExistingRecord(make_record("news.example.com", "MX", "mail.corp.example",
                                            ttl=300, priority=5))
    changes = plan_changes([spf, DKIM, MX], [old_spf, foreign_mx], "replace").changes
    provider = ManualProvider(change_dir=str(tmp_path), tenant="acme")

    provider.apply_changes("example.com", changes)

    with (tmp_path / "acme--example.com.csv").open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["action"], r["name"], r["type"]) for r in rows] == [
        ("delete", "news", "MX"),
        ("update", "news", "TXT"),
        ("create", "s1._domainkey.news", "TXT"),
        ("create", "news", "MX"),
    ]
    assert rows[0]["value"] == "mail.corp.example" and rows[0]["priority"] == "5"
    assert rows[1]["previous_value"] == "v=spf1 -all"
    assert rows[1]["value"] == "v=spf1 include:spf.sendcloud.org -all"
    assert rows[2]["value"] == DKIM.value and len(rows[2]["value"]) > 255   # one cell, unsplit
    assert rows[3] == {"action": "create", "name": "news", "type": "MX", "priority": "10",
                       "value": "mx.sendcloud.net", "ttl": "600", "previous_value": ""}
