"""A run where tenants fail still writes the truth: the plan, the applied record and the reports
list each failed tenant with its error, and the run fails."""

from __future__ import annotations

import json

import pytest

from tests.helpers.playbook import run_playbook
from tests.helpers.sandbox_fixture import default_seed, start_sandbox

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh(sandbox, tmp_path):
    sandbox.reset()
    sandbox.clear_requests()
    yield tmp_path
    sandbox.clear_faults()


def report(workdir, tenant: str) -> dict:
    return json.loads((workdir / "reports" / f"{tenant}.json").read_text())


def test_when_every_applied_tenant_fails_the_reports_and_applied_record_are_still_written(sandbox, fresh):
    sandbox.set_faults([{"component": "platform", "action": "PUT *", "kind": "http_500", "count": 100}])
    run = run_playbook(sandbox, fresh, "-e", "force=true")
    assert run.returncode != 0
    assert {host for host, counts in run.recap().items() if counts["failed"]} == {"acme", "globex", "initech"}
    applied = json.loads((fresh / "plans" / "latest-apply" / "applied.json").read_text())
    assert set(applied["failed"]) == {"acme", "globex", "initech"}
    assert "binding stage" in applied["failed"]["acme"] and "HTTP 500" in applied["failed"]["acme"]
    # what the completed stages did is recorded beside the failure
    done = {c["object"] for c in applied["tenants"]["acme"]["changes"]}
    assert {"sendcloud_domain", "dns_record", "api_user"} <= done and "binding" not in done
    acme = report(fresh, "acme")
    assert acme["status"] == "failed" and "HTTP 500" in acme["error"]
    assert acme["domain"]["name"] == "news.acme.example"
    assert {u["name"]: u["key_stored"] for u in acme["api_users"]} == {
        "acme_batch": True, "acme_trigger": True}
    assert "Last run failed: binding stage" in (fresh / "reports" / "acme.md").read_text()
    index = json.loads((fresh / "reports" / "index.json").read_text())
    assert {t["tenant_id"]: t["status"] for t in index["tenants"]} == {
        "acme": "failed", "globex": "failed", "initech": "failed"}


def test_a_tenant_that_fails_is_reported_as_failed_beside_those_that_converged(sandbox, fresh):
    assert run_playbook(sandbox, fresh).returncode == 0
    assert report(fresh, "acme")["status"] == "verified and bound"
    sandbox.set_faults([{"component": "platform", "action": "*/tenants/acme/*", "kind": "http_500",
                         "count": 100}])
    run = run_playbook(sandbox, fresh, "-e", "sender_name=Renamed")
    assert run.returncode != 0
    assert {host for host, counts in run.recap().items() if counts["failed"]} == {"acme"}
    applied = json.loads((fresh / "plans" / "latest-apply" / "applied.json").read_text())
    assert set(applied["failed"]) == {"acme"} and set(applied["tenants"]) == {"globex", "initech"}
    assert "binding stage" in applied["failed"]["acme"]   # it failed planning: nothing applied
    acme = report(fresh, "acme")
    assert acme["status"] == "failed" and "HTTP 500" in acme["error"]
    # it failed planning, so nothing was done: the last report's facts stay
    assert acme["binding"]["sender_name"] != "Renamed" and acme["domain"]["name"] == "news.acme.example"
    assert report(fresh, "globex")["binding"]["sender_name"] == "Renamed"
    sandbox.clear_faults()
    healed = run_playbook(sandbox, fresh, "-e", "sender_name=Renamed")
    assert healed.returncode == 0, healed.output[-3000:]
    assert report(fresh, "acme")["status"] == "verified and bound"
    assert "error" not in report(fresh, "acme")


def test_a_check_run_in_which_every_tenant_fails_planning_still_writes_its_plan(sandbox, fresh):
    old = run_playbook(sandbox, fresh, "--check")
    assert old.returncode == 0
    old_checksum = old.plan("check")["checksum"]
    sandbox.set_faults([{"component": "platform", "action": "*", "kind": "http_500", "count": 100}])
    run = run_playbook(sandbox, fresh, "--check")
    assert run.returncode != 0
    assert {host for host, counts in run.recap().items() if counts["failed"]} == {"acme", "globex", "initech"}
    plan = run.plan("check")
    assert set(plan["failed"]) == {"acme", "globex", "initech"} and plan["tenants"] == {}
    assert plan["checksum"] != old_checksum   # plans/latest-check is this run's plan


def test_a_tenant_refused_in_planning_keeps_its_last_reports_facts_not_the_plans(sandbox, fresh):
    """The plan's results are predictions: the report of a tenant that failed planning must not
    show the domain it asked for as the one it has."""
    assert run_playbook(sandbox, fresh, "-l", "acme").returncode == 0
    before = report(fresh, "acme")
    renamed = '{"sendcloud_api_users": {"batch": "acme_bulk", "trigger": "acme_trigger"}}'
    refused = run_playbook(sandbox, fresh, "-l", "acme", "-e", renamed)
    assert refused.returncode != 0
    acme = report(fresh, "acme")
    assert acme["status"] == "failed" and "never renames a bound tenant's API users" in acme["error"]
    assert {k: acme[k] for k in ("domain", "records", "api_users", "binding", "warnings")} == {
        k: before[k] for k in ("domain", "records", "api_users", "binding", "warnings")}


@pytest.fixture
def slow_dns_sandbox(tmp_path):
    """acme.example serves a written record only 60 s later."""
    seed = default_seed()
    seed.setdefault("dns", {})["propagation_delay"] = {"acme.example": 60}
    handle = start_sandbox(tmp_path / "sandbox", seed=seed, exit_after=600)
    try:
        yield handle
    finally:
        handle.stop()


def test_what_a_stage_wrote_before_its_wait_timed_out_is_in_the_applied_record(slow_dns_sandbox, tmp_path):
    run = run_playbook(slow_dns_sandbox, tmp_path, "-l", "acme", "-e", "dns_propagation_timeout=2")
    assert run.returncode != 0
    applied = json.loads((tmp_path / "plans" / "latest-apply" / "applied.json").read_text())
    assert "sending_domain stage" in applied["failed"]["acme"]
    objects = [c["object"] for c in applied["tenants"]["acme"]["changes"]]
    assert objects.count("sendcloud_domain") == 1 and objects.count("dns_record") >= 3
    acme = report(tmp_path, "acme")
    assert acme["status"] == "failed" and acme["domain"]["name"] == "news.acme.example"
    assert acme["api_users"] == [] and not acme["binding"].get("sending_domain")   # never reached


@pytest.fixture
def taken_trigger_name_sandbox(tmp_path):
    """An API user of initech's account is named acme_trigger. SendCloud's API-user names are
    global, so acme's plan (which lists acme's users) creates it, and the apply's second
    apiuser/add fails after the first one made acme_batch."""
    seed = default_seed()
    initech = next(a for a in seed["sendcloud"]["accounts"] if a["api_user"] == "initech_admin")
    initech["api_users"] = [{"name": "acme_trigger", "key": "f" * 32, "email_type": 0,
                             "domain": "notify.initech.example"}]
    handle = start_sandbox(tmp_path / "sandbox", seed=seed, exit_after=600)
    try:
        yield handle
    finally:
        handle.stop()


def test_the_api_users_made_before_the_stage_failed_are_in_the_applied_record(
        taken_trigger_name_sandbox, tmp_path):
    from tests.helpers.reliability import credentials

    sandbox = taken_trigger_name_sandbox
    run = run_playbook(sandbox, tmp_path, "-l", "acme")
    assert run.returncode != 0
    adds = sandbox.requests(action="apiuser/add")
    assert len(adds) == 2 and "acme_batch" in credentials(tmp_path, "acme")["api_users"]
    applied_text = (tmp_path / "plans" / "latest-apply" / "applied.json").read_text()
    applied = json.loads(applied_text)
    assert "api_users stage" in applied["failed"]["acme"]
    api_user_changes = [(c["id"], c["action"]) for c in applied["tenants"]["acme"]["changes"]
                        if c["object"] == "api_user"]
    assert api_user_changes == [("acme_batch", "create")]
    acme = report(tmp_path, "acme")
    assert acme["status"] == "failed"
    assert [(u["name"], u["key_stored"]) for u in acme["api_users"]] == [("acme_batch", True)]
    key = credentials(tmp_path, "acme")["api_users"]["acme_batch"]["key"]
    reports_text = "".join(p.read_text() for p in (tmp_path / "reports").glob("acme.*"))
    assert key not in applied_text + reports_text + run.output
