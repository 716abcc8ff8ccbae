"""The existing-mail guard: a sending domain that already receives mail elsewhere is refused
before any write. The plan asks DNS only once it knows it would write, so these runs also prove
the deferred check still runs before the first write, in check mode and in an apply."""

from __future__ import annotations

import pytest

from tests.helpers.playbook import run_playbook

pytestmark = pytest.mark.slow


def add_foreign_mx(sandbox) -> None:
    sandbox.dnspod_call("acme.example", "CreateRecord", {
        "Domain": "acme.example", "SubDomain": "news", "RecordType": "MX",
        "RecordLine": "默认", "Value": "mx.elsewhere.example.", "MX": 10})


def test_a_domain_that_receives_mail_is_refused_before_any_write(sandbox, tmp_path):
    sandbox.reset()
    add_foreign_mx(sandbox)
    sandbox.clear_requests()
    refused = run_playbook(sandbox, tmp_path, "-l", "acme")
    assert refused.returncode != 0
    assert "already receives mail (MX: mx.elsewhere.example)" in refused.output
    assert "allow_existing_mx" in refused.output
    assert [r for r in sandbox.requests() if r["kind"] == "write"] == []


def test_a_check_run_reports_the_same_refusal(sandbox, tmp_path):
    sandbox.reset()
    add_foreign_mx(sandbox)
    sandbox.clear_requests()
    planned = run_playbook(sandbox, tmp_path, "-l", "acme", "--check")
    assert planned.returncode != 0 and "already receives mail" in planned.output
    assert [r for r in sandbox.requests() if r["kind"] == "write"] == []

