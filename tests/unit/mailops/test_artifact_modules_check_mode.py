"""mailops_plan and mailops_audit in check mode: nothing written, ``changed`` says whether a file
would be; applied, ``changed`` says a file was written (the playbooks' recap ignores it with
changed_when, the modules do not hide it)."""

from __future__ import annotations

from pathlib import Path

from ansible.module_utils.mailops import audit
from ansible.module_utils.mailops.plan_files import PLAN_ARGS, run_plan

UP_TO_DATE = {"sending_domain": {"changed": False, "domain": {"verified": True}},
              "api_users": {"changed": False}, "binding": {"changed": False}}
TO_CREATE = {**UP_TO_DATE, "api_users": {"changed": True, "changes": [
    {"object": "api_user", "id": "acme_batch", "action": "create", "before": None,
     "after": {"name": "acme_batch"}}]}}


def plan_params(plan_dir: Path, mode: str, results: dict, **extra) -> dict:
    defaults = {name: spec.get("default") for name, spec in PLAN_ARGS.items()}
    return {**defaults, "plan_dir": str(plan_dir), "mode": mode, "stage_results": results, **extra}


def test_a_plan_in_check_mode_is_predicted_not_written(tmp_path):
    result = run_plan(plan_params(tmp_path, "check", {"acme": TO_CREATE}), check_mode=True)
    assert result["changed"] is True and result["run_dir"] is None
    assert list(tmp_path.iterdir()) == []


def test_a_plan_written_reports_changed(tmp_path):
    result = run_plan(plan_params(tmp_path, "check", {"acme": TO_CREATE}), check_mode=False)
    assert result["changed"] is True
    assert (Path(result["run_dir"]) / "plan.json").exists()


def test_a_no_op_apply_writes_nothing_and_reports_no_change(tmp_path):
    result = run_plan(plan_params(tmp_path, "apply", {"acme": UP_TO_DATE}), check_mode=False)
    assert result["changed"] is False and result["run_dir"] is None
    assert list(tmp_path.iterdir()) == []


def test_the_applied_record_in_check_mode_is_not_written(tmp_path):
    run_dir = tmp_path / "run"
    result = run_plan(plan_params(tmp_path, "apply", {"acme": TO_CREATE}, stage="applied",
                                  run_dir=str(run_dir)), check_mode=True)
    assert result["changed"] is True and not run_dir.exists()


def test_the_audit_in_check_mode_is_predicted_not_written(tmp_path):
    findings = audit.build({}, {})
    assert audit.write_audit(tmp_path / "audit", findings, check_mode=True) is True
    assert not (tmp_path / "audit").exists()


def test_the_audit_is_written_and_an_identical_one_is_not_rewritten(tmp_path):
    findings = audit.build({}, {})
    assert audit.write_audit(tmp_path, findings, check_mode=False) is True
    written = (tmp_path / "audit.md").stat().st_mtime_ns
    assert audit.write_audit(tmp_path, findings, check_mode=False) is False
    assert (tmp_path / "audit.md").stat().st_mtime_ns == written
