"""Manual provider: a change request for a human, zone-file lines quoted and split."""

from __future__ import annotations

from ansible.module_utils.mailops.dns.plan import plan_changes
from ansible.module_utils.mailops.dns.providers.manual import ManualProvider, zone_file_line
from ansible.module_utils.mailops.dns.records import make_record

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


def test_apply_writes_one_markdown_request_and_is_pending_human(tmp_path):
    provider = ManualProvider(change_dir=str(tmp_path / "changes"), tenant="acme")

    result = provider.apply_changes("example.com", plan_changes([DKIM, MX], []).changes)

    assert result.status == "pending_human"
    text = (tmp_path / "changes" / "acme--example.com.md").read_text()
    assert "| create | news | MX | `10 mx.sendcloud.net` | 600 |" in text
    assert zone_file_line(MX) in text
    assert [p.name for p in (tmp_path / "changes").iterdir()] == ["acme--example.com.md"]
