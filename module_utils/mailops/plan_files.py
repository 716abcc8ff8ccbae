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
from ansible.module_utils.mailops.pinned_plans import (
    PinnedApply,
    find_pinned_apply,
    resumable_tenants,
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
    "plan_checksum": {"type": "str"},
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


def worth_writing(mode: str, plan: Plan, refusal: dict[str, Any] | None) -> bool:
    """A plan is the output of a --check run; an apply run writes its plan only when it has
    something to apply, a failure to record, or a refusal to show: a no-op run writes nothing
    (plans/latest-apply stays the last apply that did something)."""
    return mode == "check" or bool(plan.to_apply) or bool(plan.failed) or bool(refusal)


def run_plan(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Writes the plan (or the applied record) and reports ``changed`` when it did; in check mode
    writes nothing and ``changed`` says whether it would. onboard.yml runs the task with
    ``check_mode: false`` (a plan is the product of a ``--check`` run) and ``changed_when: false``
    (a file written is not a tenant changed). A plan the pin or a rail refuses is written, marked
    ``refused``, without moving ``latest-apply``, and returned as ``refused`` with nothing to
    ``apply``."""
    results, failed = split_failed(given_or_registered(params, "stage_results"),
                                   params["failed"], keep_partial=params["stage"] == "applied")
    plan = Plan.build(params["mode"], results, failed, params["inventory"])
    document = plan.to_dict()
    invocation = invocation_without(params, "stage_results", "registered")
    if params["stage"] == "applied":
        run_dir = params["run_dir"]
        if not check_mode:
            directory = Path(run_dir or run_directory(Path(params["plan_dir"]), "apply"))
            document["plan_checksum"] = params["plan_checksum"]   # the reviewed plan carried out
            write(directory, "applied", document, "Applied changes")
            run_dir = str(directory)
        return {"changed": True, "run_dir": run_dir, "changed_tenants": plan.changed_tenants,
                "failures": plan.failed, "invocation": invocation}
    trips = plan.safety_trips(params["max_changed_tenants"])
    document["requires_force"] = trips
    pinned = pinned_apply_of(plan, params)
    refusal = refusal_of(plan, params, trips, pinned)
    directory = None
    writing = worth_writing(params["mode"], plan, refusal)
    if writing and not check_mode:
        directory = run_directory(Path(params["plan_dir"]), params["mode"],
                                  latest_link=not (refusal and params["mode"] == "apply"))
    result = {"changed": writing, "checksum": plan.checksum(),
              "run_dir": str(directory) if directory else None,
              "changed_tenants": plan.changed_tenants, "requires_force": trips,
              "apply": [] if refusal else plan.to_apply, "failures": plan.failed,
              "refused": None, "reviewed_checksum": params["expected_checksum"] or plan.checksum(),
              "invocation": invocation}
    if pinned and not refusal:
        document["resumes"] = result["resumes"] = {
            "plan_checksum": params["expected_checksum"], "applied_dir": str(pinned.applied_dir),
            "tenants": plan.tenants_to_change}
        result["msg"] = (f"the pinned plan was applied before ({pinned.applied_dir}); "
                         + (f"resuming it for {', '.join(plan.tenants_to_change)}" if plan.tenants_to_change
                            else "nothing is left to do"))
    if refusal:
        refusal["message"] += (
            f" Nothing was applied; tenants concerned: "
            f"{', '.join(refusal['tenants']) or 'none (no tenant has changes now)'}."
            + (f" The refused plan: {directory}/plan.md" if directory else ""))
        document["refused"] = refusal
        result["refused"] = refusal
    if directory:
        write(directory, "plan", document, f"Plan ({params['mode']})")
        write_text(directory / "checksum", plan.checksum() + "\n")
    if trips and not params["force"] and params["mode"] == "check":
        result["warnings"] = ["applying this plan will need -e force=true: " + "; ".join(trips)]
    return result


def pinned_apply_of(plan: Plan, params: dict[str, Any]) -> PinnedApply | None:
    """When an apply's pin is not this plan's checksum: the earlier apply of the pinned plan, if
    one was recorded (a re-run of the merge job)."""
    expected = (params["expected_checksum"] or "").strip()
    if params["mode"] != "apply" or not expected or expected == plan.checksum():
        return None
    return find_pinned_apply(Path(params["plan_dir"]), expected)


def refusal_of(plan: Plan, params: dict[str, Any], trips: list[str],
               pinned: PinnedApply | None) -> dict[str, Any] | None:
    """Why the pin or the safety rails refuse this plan, or None. Not a failed result: the run
    goes on to rewrite the reports of the tenants concerned (``reason``) and then fails them
    (onboard.yml), instead of failing on whichever host ran this task once."""
    expected = params["expected_checksum"]
    tenants = plan.tenants_to_change
    if expected is not None and not expected.strip():
        return {"reason": "no reviewed plan pinned", "tenants": tenants, "message": (
            "the pinned checksum (expected_plan_checksum) is empty, so no reviewed plan is pinned. "
            "Fix: pass the reviewed plan's checksum (plans/latest-check/checksum), or leave "
            "expected_plan_checksum out to apply without a pin.")}
    why_not_resumed = None
    if pinned:   # a re-run: done, or resumed for the tenants its apply did not finish
        why_not_resumed = ("tenants failed planning now: " + ", ".join(plan.failed) if plan.failed
                           else resumable_tenants(plan.tenants, tenants, pinned))
    if expected and expected != plan.checksum() and (not pinned or why_not_resumed):
        return {"reason": "plan changed since review", "tenants": tenants, "message": (
            f"the plan changed since it was reviewed: expected checksum {expected}, the plan now "
            f"is {plan.checksum()}"
            + (f"; the reviewed plan was applied before ({pinned.applied_dir}), but {why_not_resumed}"
               if pinned else "")
            + ". Fix: review the new plan and pin its checksum, "
            "or find what changed (inventory or the live services).")}
    if trips and not params["force"] and params["mode"] == "apply":
        return {"reason": "needs -e force=true", "tenants": tenants, "message": (
            "refusing to apply without -e force=true: " + "; ".join(trips) + ".")}
    return None
