#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_plan
short_description: Write the run's plan (or what it applied) and enforce the pin and the safety rails
description:
  - With O(stage=plan), builds the plan from the check-mode results of every stage per tenant,
    writes C(plan.json), C(plan.md) and C(checksum) to a new directory under O(plan_dir)
    (C(latest-check) or C(latest-apply) points at it), then refuses to go on when the checksum
    differs from O(expected_checksum), or when the plan needs O(force) and it is not given and
    this is not a check-mode run.
  - With O(stage=applied), writes C(applied.json) and C(applied.md) beside the plan - the changes
    the apply actually made, in the same shape.
  - Plans and their checksums never contain secrets. Writing them is a run artifact, not a change
    of managed state, so the task always reports C(changed=false).
options:
  plan_dir: {description: "Root directory of plans.", type: path, required: true}
  stage: {description: "plan or applied.", type: str, choices: [plan, applied], default: plan}
  mode: {description: "check or apply (the run's mode).", type: str, choices: [check, apply], required: true}
  stage_results:
    description: Per tenant, the registered results of the stages (keys domain, dns, api_users, binding).
    type: dict
    required: true
  failed: {description: "Tenants that failed before planning, with their error.", type: dict, default: {}}
  expected_checksum: {description: "Refuse unless the plan's checksum equals this (the reviewed plan).", type: str}
  max_changed_tenants: {description: "More changed tenants than this needs force.", type: int, default: 25}
  force: {description: "Allow what the safety rails refuse.", type: bool, default: false}
  run_dir: {description: "The plan directory to add applied.json to (stage applied).", type: path}
author: mailops
"""

EXAMPLES = r"""
- name: Write the plan and check it against the pin and the safety rails
  mailops_plan:
    plan_dir: "{{ mailops_plan_dir }}"
    mode: "{{ 'check' if ansible_check_mode else 'apply' }}"
    stage_results: "{{ mailops_stage_results_by_tenant }}"
    expected_checksum: "{{ expected_plan_checksum | default(omit) }}"
  check_mode: false
  run_once: true
"""

RETURN = r"""
checksum: {description: "Checksum of the normalised plan.", returned: stage plan, type: str}
run_dir: {description: "Directory the plan was written to.", returned: always, type: str}
changed_tenants: {description: "Tenants with at least one change.", returned: always, type: list, elements: str}
requires_force: {description: "What the safety rails found.", returned: stage plan, type: list, elements: str}
"""

import json
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.artifacts import write_text
from ansible.module_utils.mailops.gitops_plan import Plan, render_markdown, run_directory

ARGUMENT_SPEC = dict(
    plan_dir={"type": "path", "required": True},
    stage={"type": "str", "default": "plan", "choices": ["plan", "applied"]},
    mode={"type": "str", "required": True, "choices": ["check", "apply"]},
    stage_results={"type": "dict", "required": True},
    failed={"type": "dict", "default": {}},
    expected_checksum={"type": "str"},
    max_changed_tenants={"type": "int", "default": 25},
    force={"type": "bool", "default": False},
    run_dir={"type": "path"},
)


def write(directory: Path, name: str, document: dict, title: str) -> None:
    write_text(directory / f"{name}.json",
               json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")
    write_text(directory / f"{name}.md", render_markdown(document, title))


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    plan = Plan.build(params["mode"], params["stage_results"], params["failed"])
    document = plan.to_dict()
    if params["stage"] == "applied":
        directory = Path(params["run_dir"] or run_directory(Path(params["plan_dir"]), "apply"))
        write(directory, "applied", document, "Applied changes")
        module.exit_json(changed=False, run_dir=str(directory), changed_tenants=plan.changed_tenants)
    trips = plan.safety_trips(params["max_changed_tenants"])
    document["requires_force"] = trips
    directory = run_directory(Path(params["plan_dir"]), params["mode"])
    write(directory, "plan", document, f"Plan ({params['mode']})")
    write_text(directory / "checksum", plan.checksum() + "\n")
    result = {"changed": False, "checksum": plan.checksum(), "run_dir": str(directory),
              "changed_tenants": plan.changed_tenants, "requires_force": trips}
    expected = params["expected_checksum"]
    if expected and expected != plan.checksum():
        module.fail_json(msg=f"the plan changed since it was reviewed: expected checksum {expected}, "
                         f"the plan now is {plan.checksum()} ({directory / 'plan.md'}). Nothing was "
                         "written. Fix: review the new plan and pin its checksum, or find what "
                         "changed (inventory or the live services)", **result)
    if trips and not params["force"]:
        if params["mode"] == "apply":
            module.fail_json(msg="refusing to apply without -e force=true: " + "; ".join(trips)
                             + ". Nothing was written.", **result)
        module.warn("applying this plan will need -e force=true: " + "; ".join(trips))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
