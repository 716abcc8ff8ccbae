"""The body of the ``mailops_plan`` module: the run's plan (or what was applied) written to the
plan directory, then the pin and the safety rails checked against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ansible.module_utils.mailops.artifacts import write_text
from ansible.module_utils.mailops.gitops_plan import Plan, render_markdown, run_directory
from ansible.module_utils.mailops.module_glue import (
    REGISTERED_ARG,
    given_or_registered,
    invocation_without,
)

PLAN_ARGS: dict[str, dict[str, Any]] = {
    "plan_dir": {"type": "path", "required": True},
    "stage": {"type": "str", "default": "plan", "choices": ["plan", "applied"]},
    "mode": {"type": "str", "required": True, "choices": ["check", "apply"]},
    "stage_results": {"type": "dict"},
    "registered": REGISTERED_ARG,
    "failed": {"type": "dict", "default": {}},
    "expected_checksum": {"type": "str"},
    "max_changed_tenants": {"type": "int", "default": 25},
    "force": {"type": "bool", "default": False},
    "run_dir": {"type": "path"},
    "inventory": {"type": "list", "elements": "str", "default": []},
}


def write(directory: Path, name: str, document: dict, title: str) -> None:
    write_text(directory / f"{name}.json",
               json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")
    write_text(directory / f"{name}.md", render_markdown(document, title))


def split_failed(results: dict[str, dict[str, Any]], failed: dict[str, str],
                 keep_partial: bool) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each tenant's stage results, and the tenants that failed with their errors: those the
    action plugin read as a failed result (local_action.failed_entry) joined to ``failed``. An
    applied record keeps what a failed tenant completed (``keep_partial``); a plan never does."""
    done, failures = {}, dict(failed)
    for tenant, result in results.items():
        if result.get("failed") is True:
            failures[tenant] = result.get("msg") or "failed; see the run output"
            if keep_partial and result.get("stages"):
                done[tenant] = result["stages"]
        else:
            done[tenant] = result
    return done, failures


def worth_writing(mode: str, plan: Plan, expected: str | None) -> bool:
    """A plan is the output of a --check run; an apply run writes its plan only when it has
    something to apply, a failure to record, or a pin to show the difference with: a no-op run
    writes nothing (plans/latest-apply stays the last apply that did something)."""
    return (mode == "check" or bool(plan.to_apply) or bool(plan.failed)
            or bool(expected and expected != plan.checksum()))


def run_plan(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Writes even in check mode (the task runs with ``check_mode: false``): a plan is the output
    of a ``--check`` run. A failed pin or rail is a failed result that still says where the plan is."""
    results, failed = split_failed(given_or_registered(params, "stage_results"),
                                   params["failed"], keep_partial=params["stage"] == "applied")
    plan = Plan.build(params["mode"], results, failed, params["inventory"])
    document = plan.to_dict()
    invocation = invocation_without(params, "stage_results", "registered")
    if params["stage"] == "applied":
        directory = Path(params["run_dir"] or run_directory(Path(params["plan_dir"]), "apply"))
        write(directory, "applied", document, "Applied changes")
        return {"changed": False, "run_dir": str(directory), "changed_tenants": plan.changed_tenants,
                "failures": plan.failed, "invocation": invocation}
    trips = plan.safety_trips(params["max_changed_tenants"])
    document["requires_force"] = trips
    expected = params["expected_checksum"]
    directory = None
    if worth_writing(params["mode"], plan, expected):
        directory = run_directory(Path(params["plan_dir"]), params["mode"])
        write(directory, "plan", document, f"Plan ({params['mode']})")
        write_text(directory / "checksum", plan.checksum() + "\n")
    result = {"changed": False, "checksum": plan.checksum(),
              "run_dir": str(directory) if directory else None,
              "changed_tenants": plan.changed_tenants, "requires_force": trips,
              "apply": plan.to_apply, "failures": plan.failed, "invocation": invocation}
    if expected is not None and not expected.strip():
        return dict(result, failed=True, msg=(
            "the pinned checksum (expected_plan_checksum) is empty, so no reviewed plan is pinned. "
            "Nothing was written. Fix: pass the reviewed plan's checksum (plans/latest-check/"
            "checksum), or leave expected_plan_checksum out to apply without a pin"))
    if expected and expected != plan.checksum():
        return dict(result, failed=True, msg=(
            f"the plan changed since it was reviewed: expected checksum {expected}, the plan now "
            f"is {plan.checksum()} ({directory}/plan.md). Nothing was written. Fix: review the "
            "new plan and pin its checksum, or find what changed (inventory or the live services)"))
    if trips and not params["force"]:
        if params["mode"] == "apply":
            return dict(result, failed=True, msg="refusing to apply without -e force=true: "
                        + "; ".join(trips) + ". Nothing was written.")
        result["warnings"] = ["applying this plan will need -e force=true: " + "; ".join(trips)]
    return result
