"""A run where tenants fail still writes the truth: the plan, the applied record and the reports
list each failed tenant with its error, and the run fails."""

from __future__ import annotations

import json

import pytest

from tests.helpers.playbook import run_playbook

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
    # the planning failure left every stage undone: the last report's facts stay
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
