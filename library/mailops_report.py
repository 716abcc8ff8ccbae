#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_report
short_description: Write every tenant's onboarding report (JSON and Markdown), the index, the fleet page and metrics
description:
  - Assembles each tenant's report from what the stages returned (records with their verify
    status, the API users, the binding, quota and reputation) and writes
    C(<report_dir>/<tenant>.json) and C(.md), then C(index.json) and C(index.md) over every
    tenant report in the directory, and the fleet page C(index.html) over them and the last
    audit (C(audit/audit.json)).
  - Unless in check mode, rewrites C(<report_dir>/mailops.prom), the metrics for the node
    exporter's textfile collector (written with prometheus_client's C(write_to_textfile)), on every run; it
    holds the run's time and duration, so it is the one file a no-op run rewrites, and it does
    not count as a change (docs/observability.md).
  - One call for all tenants (run it with C(run_once)) - a module run per tenant costs more
    than the reports themselves.
  - Files are written only when their content changes; in check mode nothing is written.
    Reports never contain keys or tokens.
options:
  report_dir: {description: "Directory of the reports.", type: path, required: true}
  tenants:
    description:
      - Per tenant, what M(mailops_tenant) returned last in the run (the apply's result, or the
        plan's for a tenant that was up to date) - its C(stages), its preflight's C(account)
        and its C(report_warnings).
      - This or O(registered) is required.
    type: dict
  refused:
    description:
      - The tenants whose apply the pin or the safety rails refused, each with the reason
        (C(plan changed since review)). Their reports say C(refused) with the reason and keep the
        last report's facts (nothing was applied; the plan's results are predictions).
    type: dict
  metrics_run:
    description: The kind of run, the C(run) label of the run metrics in C(mailops.prom).
    type: str
    choices: [onboard, rebind]
    default: onboard
  run_started:
    description: When the run started (Unix time), for the C(mailops_run_duration_seconds) metric.
    type: float
  retired:
    description:
      - Per tenant, the old domain rebind.yml or retire.yml just retired - its last report loses
        the line saying that domain serves until its grace period ends; the rest stays as it was.
    type: dict
notes:
  - When Ansible adds C(invocation) to results (C(INJECT_INVOCATION), off by default), this one
    holds every argument but O(tenants); echoed back, every tenant's results would travel to the
    controller and into the registered result a second time.
extends_documentation_fragment: [mailops_registered, mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: none
    details: ["Writes reports; returns no diff."]
requirements:
  - python >= 3.12
seealso:
  - module: mailops_tenant
  - module: mailops_plan
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Write the reports
  mailops_report:
    report_dir: "{{ mailops_report_dir }}"
    registered: {hosts: "{{ ansible_play_hosts }}", var: tenant_result}
  run_once: true
"""

RETURN = r"""
paths: {description: "Files written or up to date.", returned: always, type: list, elements: str}
statuses: {description: "Status per tenant (verified and bound, incomplete, failed, refused, or rebind pending).", returned: always, type: dict}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402
from ansible.module_utils.mailops.stages.report import REPORT_ARGS, run_report  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=REPORT_ARGS, supports_check_mode=True)
    run(module, lambda: run_report(module.params, module.check_mode))


if __name__ == "__main__":
    main()
