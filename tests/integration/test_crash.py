"""A run killed at any point (SIGKILL of the whole process group) is finished by one rerun.

Kill points are made deterministic with the sandbox, never with sleeps:

- at a stage boundary, the next stage's first write is held (a ``timeout`` fault with a long
  hold, nothing committed) and the run is killed when the hold shows in the request log;
- inside a write, the write commits and its reply is dropped (``commit_then_drop``) while the
  component answers slowly (latency), so the module is still busy re-reading when the log shows
  the commit and the run is killed there: between the API's commit and the module's return;
- inside the shared wait (``mailops_wait``), SendCloud verifies only after a lag and the run is
  killed at the wait's first read of the domain: everything written, nothing verified yet.

The rerun must converge: nothing twice, no key lost, no journal left pending, no orphan record,
no unmanaged record changed. CI runs a few kill points; ``MAILOPS_RELIABILITY_LONG=1``
(``make reliability``) runs them all. The credential file's atomic write is proven apart: a
child process loops ``CredentialStore.add_key`` and is SIGKILLed at random moments.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import reliability as rel
from tests.helpers.playbook import REPO
from tests.helpers.sandbox_fixture import start_sandbox

HOLD = 60.0  # a held request outlives the kill
SLOW_MS = 400  # the re-read after a dropped reply waits this long: time to see the commit


@dataclass
class KillPoint:
    name: str
    tenant: str
    rules: list[dict[str, Any]]          # faults for the first run
    kill_when: dict[str, Any]            # request-log filters: kill when this row shows
    latency: str | None = None           # component answered slowly
    arm_after: dict[str, Any] | None = None  # set the faults only once this row shows...
    nth: int = 1                         # ...for the nth time
    ci: bool = False                     # one of the few kill points CI runs
    kill_nth: int = 1                    # kill when kill_when shows for the nth time
    verify_lag: float = 0                # SendCloud verifies this long after DNS serves


def hold(component: str, action: str = "*") -> dict[str, Any]:
    return {"component": component, "action": action, "kind": "timeout", "hold_s": HOLD,
            "count": 1}


def drop(component: str, action: str) -> dict[str, Any]:
    return {"component": component, "action": action, "kind": "commit_then_drop", "count": 1}


HELD = {"fault": "timeout"}
DROPPED = {"fault": "commit_then_drop"}
POINTS = [
    # stage boundaries: killed before the next stage's first write reached the API
    KillPoint("boundary: start|preflight", "acme", [hold("sendcloud")],
              dict(HELD, component="sendcloud")),
    KillPoint("boundary: preflight|sending_domain", "acme", [hold("sendcloud", "domain/add")],
              dict(HELD, component="sendcloud")),
    KillPoint("boundary: domain|dns records", "acme", [hold("dnspod", "CreateRecord")],
              dict(HELD, component="dnspod")),
    KillPoint("boundary: sending_domain|api_users", "acme", [hold("sendcloud", "apiuser/add")],
              dict(HELD, component="sendcloud"), ci=True),
    # the binding's first write, held from the start (the plan's GET binding passes). Arming a
    # hold on every platform call once the second key showed raced the run, which reaches
    # PUT binding a few milliseconds after writing that key.
    KillPoint("boundary: api_users|platform_binding", "acme", [hold("platform", "PUT */binding")],
              dict(HELD, component="platform")),
    KillPoint("boundary: platform_binding|report", "acme", [],
              {"component": "platform", "action": "PUT binding", "status": 200}),
    # inside a write: committed at the API, the module has not returned
    KillPoint("inside: domain/add", "acme", [drop("sendcloud", "domain/add")],
              dict(DROPPED, component="sendcloud"), latency="sendcloud"),
    KillPoint("inside: CreateRecord", "acme", [drop("dnspod", "CreateRecord")],
              dict(DROPPED, component="dnspod"), latency="dnspod", ci=True),
    KillPoint("inside: ModifyRecord (SPF merge)", "globex", [drop("dnspod", "ModifyRecord")],
              dict(DROPPED, component="dnspod"), latency="dnspod"),
    KillPoint("inside: apiuser/add (batch)", "acme", [drop("sendcloud", "apiuser/add")],
              dict(DROPPED, component="sendcloud"), latency="sendcloud", ci=True),
    KillPoint("inside: apiuser/add (trigger)", "acme", [drop("sendcloud", "apiuser/add")],
              dict(DROPPED, component="sendcloud"), latency="sendcloud",
              arm_after={"component": "sendcloud", "action": "apiuser/add", "status": 200}),
    KillPoint("inside: PUT binding", "acme", [drop("platform", "*binding")],
              dict(DROPPED, component="platform"), latency="platform"),
    # the shared wait: domain/list by the plan, the apply's ensure, its look once the records
    # are served, then the wait's first read (the lag keeps the domain unverified meanwhile)
    KillPoint("inside: the shared wait (mailops_wait)", "acme", [],
              {"component": "sendcloud", "action": "domain/list"}, kill_nth=4, verify_lag=60,
              ci=True),
]


def _point_params() -> list:
    chosen = [p for p in POINTS if p.ci or rel.long_series()]
    return [pytest.param(p, id=p.name, marks=[] if p.ci else [pytest.mark.slow]) for p in chosen]


@pytest.fixture(scope="module")
def crash_sandbox(tmp_path_factory):
    handle = start_sandbox(tmp_path_factory.mktemp("crash-sandbox"), exit_after=1200)
    yield handle
    handle.stop()


@pytest.mark.parametrize("point", _point_params())
def test_a_run_killed_here_is_finished_by_one_rerun(point, crash_sandbox, tmp_path):
    sandbox = crash_sandbox
    sandbox.reset()
    before = rel.zone_dumps(sandbox)
    if point.latency:
        sandbox.set_latency(SLOW_MS, component=point.latency)
    if point.verify_lag:
        sandbox.set_verify_lag(point.verify_lag)
    if point.arm_after is None:
        sandbox.set_faults(point.rules)
    workdir = tmp_path / "work"
    process = rel.start_playbook(sandbox, workdir, "-l", point.tenant)
    try:
        if point.arm_after is not None:
            assert rel.wait_for_rows(sandbox, process, point.arm_after, point.nth), "run ended first"
            sandbox.set_faults(point.rules)
        killed = rel.wait_for_rows(sandbox, process, point.kill_when, point.kill_nth)
    finally:
        output = rel.kill_group(process)
    sandbox.clear_faults()
    sandbox.clear_latency()
    sandbox.clear_verify_lag()
    assert killed, f"the run ended before the kill point:\n{output[-4000:]}"
    if point.verify_lag:   # killed in the wait, before any tenant was finished
        assert "TASK [Wait for every tenant's DNS" in output, output[-4000:]
        assert "Finish this tenant" not in output, output[-4000:]

    runs = rel.converge(sandbox, workdir, "-l", point.tenant, max_reruns=0)
    figures = rel.check_converged(sandbox, workdir, before, only=[point.tenant])
    rel.record("crash-" + "".join(c if c.isalnum() else "_" for c in point.name), {
        "kind": "crash", "point": point.name, "killed": killed, "runs": len(runs),
        "figures": figures.counts()})
    figures.assert_ok()


def test_a_killed_controller_takes_its_workers_with_it(crash_sandbox, tmp_path):
    """kill -9 of ansible-playbook alone: its worker (in a session of its own) must not go on
    writing, unsupervised, beside the rerun an operator starts."""
    sandbox = crash_sandbox
    sandbox.reset()
    sandbox.set_faults([{"component": "sendcloud", "action": "apiuser/add", "kind": "timeout",
                         "hold_s": 3.0, "count": 1}])
    process = rel.start_playbook(sandbox, tmp_path / "work", "-l", "acme")
    try:
        assert rel.wait_for_rows(sandbox, process, HELD), "the run ended before the hold"
        workers = rel._descendants(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        killed_at = max(row["id"] for row in rel.rows(sandbox))
        time.sleep(6.0)   # the hold ends after 3 s: a surviving worker would write again by now
    finally:
        sandbox.clear_faults()
    assert [row for row in rel.rows(sandbox) if row["id"] > killed_at] == []
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[3])
    import tests.conftest  # noqa: F401  (module_utils as ansible.module_utils)
    from ansible.module_utils.mailops.credentials import CredentialStore
    store = CredentialStore(sys.argv[1], b"crash-test-password", "sandbox")
    start = int(sys.argv[2])
    print("ready", flush=True)
    for n in range(start, start + 10_000):
        store.add_key("acme", f"user{n:05d}", "k" * 32 + str(n), email_type="batch",
                      domain="news.acme.example", filler="x" * 2000)
        print(n, flush=True)
""")


def test_a_credential_file_killed_mid_write_is_the_old_or_the_new_one(tmp_path):
    """SIGKILL a process looping add_key at random moments: the file always decrypts and holds
    every key whose add_key returned."""
    from ansible.module_utils.mailops.credentials import CredentialStore

    path = tmp_path / "credentials" / "acme.vault.yml"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    store = CredentialStore(str(path), b"crash-test-password", "sandbox")
    rng = random.Random(8)
    acknowledged: set[str] = set()
    start = 0
    for _ in range(8):
        child = subprocess.Popen([sys.executable, str(script), str(path), str(start), str(REPO)],
                                 stdout=subprocess.PIPE, text=True, cwd=REPO)
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.02, 0.4))
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate()
        acknowledged |= {f"user{int(n):05d}" for n in out.split()}
        keys = store.keys()   # decrypts, or raises on a half-written file
        assert acknowledged <= set(keys)
        start += 10_000
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert acknowledged
