#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_plan
short_description: Write the run's plan (or what it applied) and enforce the pin and the safety rails
description:
  - With O(stage=plan), builds the plan from the check-mode results of every stage per tenant,
    writes C(plan.json), C(plan.md) and C(checksum) to a new directory under O(plan_dir)
    (C(latest-check) or C(latest-apply) points at it; an apply run's plan with nothing to apply,
    no failed tenant and no pin mismatch is not written, so a no-op run writes nothing), then
    refuses the apply when the checksum
    differs from O(expected_checksum) (unless an earlier apply of that pinned plan is recorded
    under O(plan_dir) - then a plan with nothing left to change is a success, and one whose
    changes are only the reviewed ones of the tenants that apply did not finish resumes them -
    a re-run of the merge job), or when the plan needs O(force) and it is not given and
    this is not a check-mode run.
  - A refusal is not a failed task (it would be reported against whichever tenant ran this
    run-once task). The result's C(refused) says why and names the tenants concerned, and C(apply)
    is empty. The refused plan is written marked C(refused) (plan.json and plan.md), and
    C(latest-apply) stays on the last plan that applied. The playbook rewrites those tenants'
    reports as refused and fails them.
  - With O(stage=applied), writes C(applied.json) and C(applied.md) beside the plan - the changes
    the apply actually made, in the same shape.
  - Plans and their checksums never contain secrets.
  - Reports C(changed) when it wrote a plan or an applied record. In check mode it writes nothing
    and C(changed) says whether it would write. C(onboard.yml) runs it with C(check_mode=false),
    since a plan is the product of a C(--check) run, and C(changed_when=false), since a file
    written is not a tenant changed (the recap counts the tenants' changes only).
options:
  plan_dir: {description: "Root directory of plans.", type: path, required: true}
  stage: {description: "plan or applied.", type: str, choices: [plan, applied], default: plan}
  mode: {description: "check or apply (the run's mode).", type: str, choices: [check, apply], required: true}
  stage_results:
    description:
      - Per tenant, the registered results of the stages, as the C(stages) of M(mailops_tenant)
        (keys sending_domain, api_users, binding).
      - This or O(registered) is required.
    type: dict
  failed: {description: "Tenants that failed before planning, with their error.", type: dict, default: {}}
  expected_checksum: {description: "Refuse unless the plan's checksum equals this (the reviewed plan).", type: str}
  max_changed_tenants: {description: "More changed tenants than this needs force.", type: int, default: 25}
  force: {description: "Allow what the safety rails refuse.", type: bool, default: false}
  run_dir: {description: "The plan directory to add applied.json to (stage applied).", type: path}
  plan_checksum:
    description:
      - Stage applied - the checksum of the reviewed plan this apply carried out (the plan
        stage's C(reviewed_checksum)), recorded in C(applied.json) so a re-run with the same pin
        knows it was applied.
    type: str
  inventory:
    description:
      - The inventory sources of the run (C(ansible_inventory_sources)), recorded in the plan and
        the applied record as C(inventory); not part of the checksum.
    type: list
    elements: str
    default: []
notes:
  - When Ansible adds C(invocation) to results (C(INJECT_INVOCATION), off by default), this one
    holds every argument but O(stage_results); echoed back, every tenant's results would travel
    to the controller and into the registered result a second time.
extends_documentation_fragment: [mailops_registered, mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: none
    details: ["Writes the plan; its C(plan.md) is the diff a reviewer reads."]
requirements:
  - python >= 3.12
seealso:
  - module: mailops_tenant
  - module: mailops_report
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Write the plan and check it against the pin and the safety rails
  mailops_plan:
    plan_dir: "{{ mailops_plan_dir }}"
    mode: "{{ 'check' if ansible_check_mode else 'apply' }}"
    registered: {hosts: "{{ ansible_play_hosts }}", var: tenant_result, key: stages}
    expected_checksum: "{{ expected_plan_checksum | default(omit) }}"
  check_mode: false
  run_once: true
"""

RETURN = r"""
checksum: {description: "Checksum of the normalised plan.", returned: stage plan, type: str}
run_dir:
  description:
    - Directory the plan (or the applied record) was written to.
    - Null for an apply run's plan with nothing to apply, no failed tenant and no pin mismatch,
      which is not written (a no-op run writes nothing).
  returned: always
  type: str
changed_tenants: {description: "Tenants with at least one change.", returned: always, type: list, elements: str}
failures:
  description: "Each tenant that failed, with its error: in planning; for stage applied, also O(failed) (the plan's) and in the apply."
  returned: always
  type: dict
requires_force: {description: "What the safety rails found.", returned: stage plan, type: list, elements: str}
refused:
  description:
    - Null, or why the pin or the safety rails refused the plan - C(reason) (C(plan changed since
      review), C(needs -e force=true), C(no reviewed plan pinned)), C(message) and C(tenants),
      those the apply would have worked on.
  returned: stage plan
  type: dict
reviewed_checksum:
  description: "The checksum of the reviewed plan this apply carries out: the pin, or the plan's own without one."
  returned: stage plan
  type: str
resumes:
  description:
    - With a pin whose plan was applied before (a re-run) - C(plan_checksum), C(applied_dir) (the
      earlier apply) and C(tenants) (those resumed; none when nothing is left to do).
  returned: on a re-run with the pin
  type: dict
apply:
  description: "The tenants the apply runs: a stage has something to write, or the domain awaits verification; none when refused."
  returned: stage plan
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402
from ansible.module_utils.mailops.plan_files import PLAN_ARGS, run_plan  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=PLAN_ARGS, supports_check_mode=True)
    run(module, lambda: run_plan(module.params, module.check_mode))


if __name__ == "__main__":
    main()
