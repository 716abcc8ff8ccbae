"""A tenant's warnings reach its report: those of the plan's preflight too, which the apply pass
(reusing that preflight) does not show a second time."""

from __future__ import annotations

import pytest

from tests.helpers.playbook import run_playbook

pytestmark = pytest.mark.slow
QUOTA_WARNING = "of today's quota is left (threshold 100000000)"


def test_the_plan_s_preflight_warning_is_shown_once_and_reported(fresh_sandbox, tmp_path):
    sandbox = fresh_sandbox
    run = run_playbook(sandbox, tmp_path / "work", "-l", "acme",
                       "-e", "preflight_min_quota=100000000")
    assert run.returncode == 0, run.output[-3000:]
    shown = [line for line in run.output.splitlines() if QUOTA_WARNING in line]
    assert len(shown) == 1, shown
    report = (tmp_path / "work" / "reports" / "acme.md").read_text()
    assert any(line.startswith("> warning: ") and QUOTA_WARNING in line
               for line in report.splitlines()), report


def test_the_ttl_warning_does_not_name_the_spf_record_merged_into(fresh_sandbox, tmp_path):
    """globex's zone (floor 600) has an SPF record of its own at the sending domain: SendCloud's
    include is merged into it and its TTL stays, so only the records written anew are named."""
    run = run_playbook(fresh_sandbox, tmp_path / "work", "-l", "globex", "-e", "dns_ttl=120")
    assert run.returncode == 0, run.output[-3000:]
    report = (tmp_path / "work" / "reports" / "globex.md").read_text()
    ttl_warnings = [line for line in report.splitlines() if "TTL below the minimum 600" in line]
    assert len(ttl_warnings) == 1 and "MX send.globex.example (TTL 120)" in ttl_warnings[0]
    assert "TXT send.globex.example (TTL 120)" not in ttl_warnings[0], ttl_warnings
    # the warning is about what that run did: the report keeps it, the no-op rerun writes nothing
    # (but the metrics, every run's heartbeat)
    before = {p: p.read_bytes() for p in (tmp_path / "work" / "reports").iterdir() if p.suffix != ".prom"}
    again = run_playbook(fresh_sandbox, tmp_path / "work", "-l", "globex", "-e", "dns_ttl=120")
    assert again.returncode == 0 and again.recap()["globex"]["changed"] == 0
    assert {p: p.read_bytes() for p in (tmp_path / "work" / "reports").iterdir() if p.suffix != ".prom"} == before
