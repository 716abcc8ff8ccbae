"""Notifications from real runs, to a local webhook through apprise's generic JSON target: after
an apply, a drifting audit, and when a rebind starts and ends; a no-op run says nothing; a target
that fails warns and never fails the run; the target URLs never reach the output."""

from __future__ import annotations

import json

import pytest

from tests.helpers.playbook import run_playbook
from tests.helpers.webhook import Receiver
from tests.integration.test_rebind import IN_WINDOW, rebind

pytestmark = pytest.mark.slow
TOKEN_PATH = "hooks/ops-4e1d2b9a77c0"


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.stop()


def targets(*urls: str) -> tuple[str, str]:
    return "-e", json.dumps({"mailops_notify_targets": list(urls)})


def test_an_apply_and_a_rebind_notify_and_a_no_op_run_says_nothing(fresh_sandbox, tmp_path, receiver):
    notify = targets(receiver.url(TOKEN_PATH))
    first = run_playbook(fresh_sandbox, tmp_path, *notify)
    assert first.returncode == 0, first.output[-3000:]
    [applied] = receiver.received
    assert applied["body"]["title"] == "mailops apply: 3 tenant(s) changed, 0 failed"
    assert "changed: acme (" in applied["body"]["message"]
    assert f"report: {tmp_path / 'reports' / 'index.html'}" in applied["body"]["message"]
    assert TOKEN_PATH not in first.output
    again = run_playbook(fresh_sandbox, tmp_path, *notify)
    assert again.returncode == 0 and len(receiver.received) == 1   # nothing applied: no message
    moved = rebind(fresh_sandbox, tmp_path, "acme", "mail2.acme.example", "marketing",
                   "-e", "change_ticket=CHG-42", "-e", IN_WINDOW, *notify)
    assert moved.returncode == 0, moved.output[-3000:]
    titles = [posted["body"]["title"] for posted in receiver.received[1:]]
    assert titles == ["mailops rebind started: acme (CHG-42)", "mailops rebind done: acme (CHG-42)"]
    assert "mail2.acme.example sends now in place of news.acme.example" in receiver.received[-1]["body"]["message"]


def test_a_drifting_audit_notifies_and_a_failing_target_only_warns(fresh_sandbox, tmp_path, receiver):
    assert run_playbook(fresh_sandbox, tmp_path).returncode == 0
    dmarc = fresh_sandbox.dnspod_call("acme.example", "DescribeRecordList", {
        "Domain": "acme.example", "Subdomain": "_dmarc.news"})["RecordList"][0]
    fresh_sandbox.dnspod_call("acme.example", "ModifyRecord", {
        "Domain": "acme.example", "RecordId": dmarc["RecordId"], "SubDomain": "_dmarc.news",
        "RecordType": "TXT", "RecordLine": dmarc["Line"], "TTL": dmarc["TTL"], "Value": "v=DMARC1; p=reject"})
    failing = Receiver()
    failing.status = 500
    try:
        audited = run_playbook(fresh_sandbox, tmp_path, *targets(failing.url(TOKEN_PATH), receiver.url()),
                               playbook="playbooks/audit.yml")
    finally:
        failing.stop()
    assert audited.returncode != 0   # the drift fails the audit, not the notification
    assert "drift in acme" in audited.output
    [posted] = receiver.received
    assert posted["body"]["title"] == "mailops audit: drift in 1 tenant(s), 0 not checked in full"
    assert "_dmarc.news.acme.example" in posted["body"]["message"]
    output = " ".join(audited.output.split())
    assert "notification target 1 (json) was not delivered" in output
    assert TOKEN_PATH not in audited.output
