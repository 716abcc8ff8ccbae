"""Tenants wait together (issue 23): a run of N tenants pays the DNS propagation delay and
SendCloud's verification lag about once, not once per wave of forks.

Generated tenants (the bench's: each its own zone, SendCloud and DNSPod account) against a
sandbox of their own whose zones serve a change ``D`` seconds after it and whose SendCloud
verifies ``L`` seconds after the records are served. With 1 fork and 6 tenants, waiting tenant
by tenant takes at least 6 x (D + L) whatever the machine's load; the shared wait about D + L
plus the work. Timing goals are the bench's (delayed_*); this bound only tells the two designs
apart.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from bench import tenants as generated
from tests.helpers.playbook import run_playbook
from tests.helpers.sandbox_fixture import default_seed, start_sandbox

DNS_DELAY_S = 4
VERIFY_LAG_S = 6


def delayed_sandbox(directory: Path, count: int, seed_changes=None):
    seed = generated.seed(default_seed(), count, DNS_DELAY_S, VERIFY_LAG_S)
    if seed_changes:
        seed_changes(seed)
    return start_sandbox(directory, seed=seed, exit_after=900)


def inventory(directory: Path, sandbox, count: int, host_vars=None) -> Path:
    written = generated.write_inventory(directory / "inventory", count, generated.literal_endpoints(
        sandbox.env, directory / "work" / "credentials"))
    hosts_file = written / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text())
    for host, values in hosts["tenants"]["hosts"].items():
        values["sendcloud_verify_interval"] = 1   # the first read's pause, doubled up to 15 s
        values.update((host_vars or {}).get(host, {}))
    hosts_file.write_text(yaml.safe_dump(hosts))
    return hosts_file


def onboard(sandbox, directory: Path, hosts_file: Path, *args: str, forks: int = 16):
    started = time.monotonic()
    run = run_playbook(sandbox, directory / "work", "-i", str(hosts_file), "-e", "force=true",
                       *args, extra_env={"ANSIBLE_FORKS": str(forks)})
    return run, time.monotonic() - started


def report(directory: Path, tenant: str) -> dict:
    return json.loads((directory / "work" / "reports" / f"{tenant}.json").read_text())


@pytest.fixture
def six_tenants(tmp_path):
    sandbox = delayed_sandbox(tmp_path / "sandbox", 6)
    yield sandbox, inventory(tmp_path, sandbox, 6)
    sandbox.stop()


def test_six_tenants_on_one_fork_wait_about_once(six_tenants, tmp_path):
    sandbox, hosts_file = six_tenants
    run, wall = onboard(sandbox, tmp_path, hosts_file, "-e", "mailops_wait_progress_interval=2",
                        forks=1)
    assert run.returncode == 0, run.output[-4000:]
    assert all(row["failed"] == 0 for row in run.recap().values())
    waits = DNS_DELAY_S + VERIFY_LAG_S
    # one tenant after the other would wait 6 x (D + L) at least, besides the work
    assert wall < 6 * waits, f"{wall:.1f} s: the waits did not overlap"
    for index in range(6):
        tenant = generated.tenant_id(index)
        assert report(tmp_path, tenant)["status"] == "verified and bound"
    applied = run.plan("apply")
    assert applied
    progress = [line for line in run.output.splitlines() if line.startswith("waiting: ")]
    assert progress, run.output[-3000:]
    assert "slowest: t000" in progress[0] and " waiting" in progress[0]
    assert progress[-1] == "waiting: 6 verified, 0 waiting"

    # resumable and idempotent: the rerun writes nothing and waits for nothing
    sandbox.clear_requests()
    rerun, _ = onboard(sandbox, tmp_path, hosts_file)
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert not sandbox.requests(kind="write")
    assert "waiting: " not in rerun.output


def test_one_tenant_timing_out_fails_alone(tmp_path):
    def slow_t0001(seed):
        seed["sendcloud"]["accounts"][1]["verify_lag_s"] = 600

    sandbox = delayed_sandbox(tmp_path / "sandbox", 3, slow_t0001)
    try:
        hosts_file = inventory(tmp_path, sandbox, 3,
                               {"t0001": {"sendcloud_verify_timeout": VERIFY_LAG_S + 4}})
        run, _ = onboard(sandbox, tmp_path, hosts_file)
    finally:
        sandbox.stop()
    assert run.returncode != 0
    recap = run.recap()
    assert recap["t0001"]["failed"] == 1
    assert recap["t0000"]["failed"] == 0 and recap["t0002"]["failed"] == 0
    message = report(tmp_path, "t0001")["error"]
    assert "sending_domain stage: SendCloud has not verified news.t0001.bench.example" in message
    assert "failing items: " in message and "DNS serves" in message
    assert report(tmp_path, "t0000")["status"] == "verified and bound"
    assert report(tmp_path, "t0002")["status"] == "verified and bound"


def test_a_rebind_of_four_tenants_waits_about_once(tmp_path):
    """rebind.yml used to move one tenant after the other (serial: 1), each waiting D + L."""
    dns_delay, verify_lag = 5, 20

    def longer_waits(seed):
        seed["dns"]["propagation_delay"] = {generated.zone_of(i): dns_delay for i in range(4)}
        seed["sendcloud"]["verify_lag_s"] = verify_lag

    sandbox = delayed_sandbox(tmp_path / "sandbox", 4, longer_waits)
    try:
        run, _ = onboard(sandbox, tmp_path, inventory(tmp_path, sandbox, 4))
        assert run.returncode == 0, run.output[-3000:]
        moved = generated.write_inventory(tmp_path / "moved", 4, generated.literal_endpoints(
            sandbox.env, tmp_path / "work" / "credentials"), label="mail")
        started = time.monotonic()
        rebound = run_playbook(
            sandbox, tmp_path / "work", "-i", str(moved / "hosts.yml"), "-l", "tenants",
            "-e", "rebind_tenants=t0000,t0001,t0002,t0003", "-e", "change_ticket=CHG-7",
            "-e", "rebind_emergency=true", "-e", "rebind_emergency_reason=test",
            "-e", "rebind_retire_after=0",   # completed in this run (no grace period: #27's own tests)
            playbook="rebind.yml", extra_env={"MAILOPS_AUDIT_LOG": str(tmp_path / "audit.jsonl")})
        wall = time.monotonic() - started
    finally:
        sandbox.stop()
    assert rebound.returncode == 0, rebound.output[-4000:]
    assert wall < 4 * (dns_delay + verify_lag), f"{wall:.1f} s: the rebinds waited one by one"
    assert rebound.output.count("TASK [Wait for every new domain's DNS and SendCloud verification at once]") == 1
    assert "waiting: 4 verified, 0 waiting" in rebound.output
    completed = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()
                 if json.loads(line)["outcome"] == "completed"]
    assert sorted(entry["tenant"] for entry in completed) == ["t0000", "t0001", "t0002", "t0003"]
    assert {entry["new_domain"] for entry in completed} == {
        f"mail.{generated.zone_of(i)}" for i in range(4)}
