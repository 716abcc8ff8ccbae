"""Onboarding a tenant whose DNS a human changes (provider manual): the run writes the change
request, says at once which file to apply, waits for it, and when the wait runs out says which
file to apply again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.playbook import run_playbook

pytestmark = pytest.mark.slow


def test_a_manual_tenant_s_timeout_names_the_change_request_to_apply(fresh_sandbox, tmp_path):
    sandbox = fresh_sandbox
    run = run_playbook(sandbox, tmp_path / "work", "-l", "acme", "-e", "dns_provider=manual",
                       "-e", "dns_propagation_timeout=2")
    assert run.returncode != 0
    named = re.search(r"Fix: apply the change request (\S+) at the zone's DNS provider",
                      run.output)
    assert named, run.output[-3000:]
    request = Path(named.group(1))
    assert request.is_file() and "TXT" in request.read_text()
    assert sandbox.requests() and not [r for r in sandbox.requests()
                                       if r["kind"] == "write" and r["component"] == "dnspod"]
    # said when the wait starts, not only when it runs out
    lines = run.output.splitlines()
    told = [n for n, line in enumerate(lines) if line == (
        f"waiting: acme needs a human to apply the DNS change request {request} at the zone's "
        "DNS provider")]
    failed = [n for n, line in enumerate(lines) if "FAILED!" in line]
    assert told and failed and told[0] < failed[0], run.output[-3000:]
    # with how to finish later instead of waiting (the warning of the task that wrote it)
    assert (f"DNS change request for a human: {request} (and {request.with_suffix('.csv')}): apply it"
            in " ".join(run.output.split()))
    assert "run onboard.yml again once it is applied" in " ".join(run.output.split())
