"""rebind.yml killed at its critical points, and its check-mode plan against the apply.

Kill matrix: acme is onboarded on a reset sandbox, then ``rebind.yml -l acme`` (to
mail2.acme.example) is SIGKILLed, whole process tree, with test_crash.py's technique:

- at a step, the write is held by a sandbox ``timeout`` fault (before it commits) and the run
  is killed once the hold shows in the request log;
- inside a write, the write commits and its reply is dropped (``commit_then_drop``) while the
  component answers slowly, and the run is killed when the log shows the commit.

One rerun must then converge: rc 0, bound to the new domain with no sending gap, the API users
once each on the new domain with the keys they had before (nothing regenerated), the new domain
listed once, the old domain's records gone, the zone's other records untouched, the audit log
ending ``completed``. CI runs the two kill points after the new domain is up;
``MAILOPS_RELIABILITY_LONG=1`` runs all four.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers import reliability as rel
from tests.helpers.playbook import run_playbook, tenants
from tests.integration.test_crash import DROPPED, HELD, SLOW_MS, drop, hold
from tests.integration.test_rebind import IN_WINDOW, audit, binding_history, rebind, served

TENANT, ZONE = "acme", "acme.example"
OLD, NEW = "news.acme.example", "mail2.acme.example"
SENDER = "marketing"
TICKET = "change_ticket=CHG-42"
ARGS = ("-l", TENANT, "-e", f"rebind_tenants={TENANT}", "-e", "rebind_retire_after=0",
        "-e", f"sending_domain={NEW}", "-e", f"sender_address={SENDER}@{NEW}",
        "-e", TICKET, "-e", IN_WINDOW)


@dataclass
class KillPoint:
    name: str
    rules: list[dict[str, Any]]
    kill_when: dict[str, Any]
    bound_at_kill: str           # where the platform binding stood when the run was killed
    audit_at_kill: str           # the audit log's last outcome then
    latency: str | None = None
    ci: bool = False


POINTS = [
    KillPoint("inside: domain/add", [drop("sendcloud", "domain/add")],
              dict(DROPPED, component="sendcloud"), OLD, "started", latency="sendcloud"),
    KillPoint("at: apiuser/update", [hold("sendcloud", "apiuser/update")],
              dict(HELD, component="sendcloud"), OLD, "started"),
    KillPoint("at: PUT binding", [hold("platform", "PUT */binding")],
              dict(HELD, component="platform"), OLD, "started", ci=True),
    KillPoint("at: first DeleteRecord", [hold("dnspod", "DeleteRecord")],
              dict(HELD, component="dnspod"), NEW, "retiring", ci=True),
]


def _point_params() -> list:
    params = []
    for p in POINTS:
        marks = [] if p.ci else [
            pytest.mark.slow,
            pytest.mark.skipif(not rel.long_series(), reason="MAILOPS_RELIABILITY_LONG=1 only")]
        params.append(pytest.param(p, id=p.name, marks=marks))
    return params


def _env(workdir: Path) -> dict[str, str]:
    return {"MAILOPS_AUDIT_LOG": str(workdir / "audit.jsonl"),
            "MAILOPS_BACKUP_DIR": str(workdir / "backups")}


def _domains(sandbox) -> list[dict[str, Any]]:
    spec = tenants(sandbox)[TENANT]
    return rel._sendcloud(sandbox, spec, "domain/list")["info"]["dataList"]


@pytest.fixture
def onboarded(sandbox, tmp_path):
    """acme onboarded on a reset sandbox: (workdir, its keys, the old domain, the zone)."""
    sandbox.reset()
    done = run_playbook(sandbox, tmp_path, "-l", TENANT)
    assert done.returncode == 0, done.output[-3000:]
    keys = {name: entry["key"]
            for name, entry in rel.credentials(tmp_path, TENANT)["api_users"].items()}
    assert sorted(keys) == ["acme_batch", "acme_trigger"]
    old_item = next(d for d in _domains(sandbox) if d["name"] == OLD)
    sandbox.clear_requests()
    return tmp_path, keys, old_item, rel.zone_dump(sandbox, ZONE)


def assert_rebound(sandbox, workdir: Path, keys: dict[str, str], old_item: dict[str, Any],
                   zone_before: set) -> None:
    spec = tenants(sandbox)[TENANT]
    # the platform: bound to the new domain, never without a binding
    history = binding_history(sandbox, TENANT)
    assert history["history"][-1]["sending_domain"] == NEW, history
    assert history["sending_gap_seconds"] == 0, history
    # SendCloud: the new domain once, each API user once on it, with the key it had before
    names = Counter(d["name"] for d in _domains(sandbox))
    assert names[NEW] == 1, names
    users = rel._sendcloud(sandbox, spec, "apiuser/list")["info"]["dataList"]
    for name in ("acme_batch", "acme_trigger"):
        mine = [u for u in users if u["name"] == name]
        assert len(mine) == 1, users
        assert mine[0]["domainName"] == NEW, mine
    stored = rel.credentials(workdir, TENANT)
    assert not stored.get("pending"), stored.get("pending")
    now = {name: entry["key"] for name, entry in stored["api_users"].items()}
    assert now == keys, "a key was regenerated or lost"
    for name, key in keys.items():
        answer = rel._sendcloud(sandbox, spec, "userinfo/get", apiUser=name, apiKey=key)
        assert answer.get("result") is True, (name, answer)
    token = sandbox.seed["platform"]["tokens"][TENANT]
    binding = requests.get(f"{sandbox.platform_url}/api/v1/tenants/{TENANT}/binding",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert binding.get("sending_domain") == NEW, binding
    for role in ("batch", "trigger"):
        bound = (binding.get("api_users") or {}).get(role) or {}
        assert bound.get("name") == f"acme_{role}", binding
        assert bound.get("key_sha256") == \
            hashlib.sha256(keys[f"acme_{role}"].encode()).hexdigest(), binding
    # DNS: the old domain's records are gone, the new ones served, nothing else changed
    assert served(sandbox, ZONE, "news", "MX") == []
    assert not [v for v in served(sandbox, ZONE, "news", "TXT") if "spf" in v.lower()]
    after = rel.zone_dump(sandbox, ZONE)
    old_wanted = rel.desired_records(old_item)
    assert not [r for r in after for w in old_wanted if rel._satisfies(r, w)], old_wanted
    new_item = next(d for d in _domains(sandbox) if d["name"] == NEW)
    managed = {w[0] for w in old_wanted + rel.desired_records(new_item)}
    unrelated_before = {r for r in zone_before if r[0] not in managed}
    unrelated_after = {r for r in after if r[0] not in managed}
    assert unrelated_after == unrelated_before
    # the audit log
    assert audit(workdir)[-1]["outcome"] == "completed", audit(workdir)


@pytest.mark.parametrize("point", _point_params())
def test_a_rebind_killed_here_is_finished_by_one_rerun(point, sandbox, onboarded):
    workdir, keys, old_item, zone_before = onboarded
    if point.latency:
        sandbox.set_latency(SLOW_MS, component=point.latency)
    sandbox.set_faults(point.rules)
    process = rel.start_playbook(sandbox, workdir, *ARGS, playbook="rebind.yml",
                                 extra_env=_env(workdir))
    try:
        killed = rel.wait_for_rows(sandbox, process, point.kill_when)
    finally:
        output = rel.kill_group(process)
    sandbox.clear_faults()
    sandbox.clear_latency()
    assert killed, f"the run ended before the kill point:\n{output[-4000:]}"
    # the kill landed where it was meant to
    assert binding_history(sandbox, TENANT)["history"][-1]["sending_domain"] == point.bound_at_kill
    assert audit(workdir)[-1]["outcome"] == point.audit_at_kill, audit(workdir)
    if point.name == "inside: domain/add":
        assert [d["name"] for d in _domains(sandbox)].count(NEW) == 1, "domain/add not committed"
    if point.bound_at_kill == NEW:
        assert served(sandbox, ZONE, "news", "MX"), "old records already gone at the kill"

    rerun = rebind(sandbox, workdir, TENANT, NEW, SENDER, "-e", TICKET, "-e", IN_WINDOW)
    rel.assert_clean(rerun)
    assert rerun.returncode == 0, rerun.output[-4000:]
    assert_rebound(sandbox, workdir, keys, old_item, zone_before)


def test_a_retirement_killed_after_the_grace_period_is_finished_by_one_rerun(sandbox, onboarded):
    """The old domain is served for its grace period; retire.yml, killed at its first
    DeleteRecord, has journaled the retirement (retiring), and its rerun finishes it."""
    workdir, keys, old_item, zone_before = onboarded
    done = run_playbook(sandbox, workdir, *ARGS, "-e", "rebind_retire_after=5s", playbook="rebind.yml",
                        extra_env=_env(workdir))
    assert done.returncode == 0, done.output[-3000:]
    assert served(sandbox, ZONE, "news", "MX"), "retired before its grace period"
    serves_until = datetime.fromisoformat(audit(workdir)[-1]["serves_until"])
    time.sleep(max(0.0, (serves_until - datetime.now(UTC)).total_seconds()) + 1)
    sandbox.set_faults([hold("dnspod", "DeleteRecord")])
    process = rel.start_playbook(sandbox, workdir, *ARGS, playbook="retire.yml", extra_env=_env(workdir))
    try:
        killed = rel.wait_for_rows(sandbox, process, dict(HELD, component="dnspod"))
    finally:
        output = rel.kill_group(process)
    sandbox.clear_faults()
    assert killed, f"the run ended before the kill point:\n{output[-4000:]}"
    assert audit(workdir)[-1]["outcome"] == "retiring", audit(workdir)
    assert served(sandbox, ZONE, "news", "MX"), "old records already gone at the kill"
    rerun = run_playbook(sandbox, workdir, *ARGS, playbook="retire.yml", extra_env=_env(workdir))
    rel.assert_clean(rerun)
    assert rerun.returncode == 0, rerun.output[-4000:]
    assert_rebound(sandbox, workdir, keys, old_item, zone_before)


TASK = re.compile(r"^TASK \[(?P<name>.*)\] \*+$")
CHANGED = re.compile(r"^changed: \[" + TENANT + r"\]")


def changed_tasks(output: str) -> Counter:
    """How often each task reported ``changed: [acme]`` (loops count once per item)."""
    found, task = Counter(), None
    for line in output.splitlines():
        header = TASK.match(line)
        if header:
            task = header["name"]
        elif task is not None and CHANGED.match(line):
            found[task] += 1
    return found


# the tasks (by name prefix) that may send each write action in an apply
WRITE_TASKS = {
    "domain/add": ("sending_domain : ",),
    "CreateRecord": ("sending_domain : ",),
    "ModifyRecord": ("sending_domain : ", "Stop serving the old domain's records"),
    "DeleteRecord": ("Stop serving the old domain's records",),
    "apiuser/update": ("Re-point the API users",),
    "PUT binding": ("Re-point the API users",),
}
# Tasks that change local files only (no API write): planned and done like the others.
LOCAL_FILE_TASKS = {"Update the tenant's onboarding report to the new domain"}


def senders(action: str, tasks: set[str]) -> set[str]:
    return {t for t in tasks if t.startswith(WRITE_TASKS.get(action, ("<unknown write>",)))}


def test_the_check_mode_plan_is_what_the_apply_does(sandbox, onboarded):
    """``--check --diff`` predicts the apply's writes.

    The check run leaves no machine-readable plan (``--diff`` is prose), so the prediction is
    the set of tasks it reports ``changed: [acme]`` (parsed under each ``TASK [...]`` header);
    the apply must report exactly the same tasks changed (the audit-journal tasks report ok, not
    changed, in both). The writes the apply actually sent (request log, kind=write) must
    each come from a task the plan marked changed, and each planned task but the report's
    (local files) must have sent one.
    """
    workdir, _keys, _old, _zone = onboarded
    planned = rebind(sandbox, workdir, TENANT, NEW, SENDER, "-e", IN_WINDOW, "--check", "--diff")
    assert planned.returncode == 0, planned.output[-3000:]
    assert [r for r in sandbox.requests() if r["kind"] == "write"] == []
    applied = rebind(sandbox, workdir, TENANT, NEW, SENDER, "-e", TICKET, "-e", IN_WINDOW)
    assert applied.returncode == 0, applied.output[-3000:]

    plan, done = changed_tasks(planned.output), changed_tasks(applied.output)
    sent = Counter(r["action"] for r in sandbox.requests() if r["kind"] == "write")
    assert set(plan) == set(done), f"check predicted {dict(plan)}, apply changed {dict(done)}"
    assert sent.keys() >= {"domain/add", "CreateRecord", "apiuser/update", "PUT binding"}, sent
    # every write the apply sent was planned, and every planned change sent a write
    unplanned = [action for action in sent if not senders(action, set(plan))]
    assert not unplanned, f"writes {unplanned} not in the plan {sorted(plan)}"
    explained = set().union(*(senders(action, set(plan)) for action in sent))
    assert LOCAL_FILE_TASKS <= set(plan)
    assert explained == set(plan) - LOCAL_FILE_TASKS, f"planned but nothing written: {set(plan) - explained}"
