#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_audit
short_description: Write the drift and health audit of every tenant (JSON and Markdown)
description:
  - Assembles, per tenant, what differs between the inventory and the live services from the
    check-mode results of the onboarding stages (a planned change is drift), what each
    nameserver serves, whether the stored keys authenticate, verification and quota.
  - Writes C(audit.json) and C(audit.md) to O(audit_dir), each only when its content differs, and
    reports C(changed) when it wrote. In check mode it writes nothing and C(changed) says whether
    it would write. C(playbooks/audit.yml) runs it with C(check_mode=false), since the report is
    the audit's product, and C(changed_when=false), so the recap counts no change for a read-only
    audit.
options:
  audit_dir: {description: "Directory for audit.json and audit.md.", type: path, required: true}
  stage_results:
    description:
      - "Per tenant: preflight, sending_domain (with its domain and dns), api_users, binding (the
        M(mailops_tenant) result's C(preflight) and C(stages)), propagation (M(dns_propagation)) and
        keys (M(sendcloud_key_check)), and failed_probes (each probe that failed, with its
        error: the others' findings are reported all the same); playbooks/audit.yml builds it."
    type: dict
    required: true
  failed: {description: "Tenants whose audit failed, with a message.", type: dict, default: {}}
  report_dir:
    description:
      - "The reports' directory. A tenant's last report there holds the foreign records it keeps
        (C(dns_on_conflict=keep_and_warn)): such a record is drift only when it changed or
        disappeared since (without a report, kept records are listed, not drift). When given,
        the fleet page (C(index.html)) there is also rebuilt from the tenants' reports and this
        audit (each tenant's drift and key probes), if it changed, and the metrics
        (C(mailops.prom)) are rewritten with the audit's (C(run=audit))."
    type: path
  run_started: {description: "When the audit started (Unix time), for the run duration metric.", type: float}
extends_documentation_fragment: [mailops_attributes]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: none
    details: ["Writes a report; returns no diff."]
requirements:
  - python >= 3.12
seealso:
  - module: mailops_tenant
  - module: dns_propagation
  - module: sendcloud_key_check
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Write the audit
  mailops_audit:
    audit_dir: "{{ mailops_report_dir }}/audit"
    report_dir: "{{ mailops_report_dir }}"
    stage_results: "{{ results_by_tenant }}"
  run_once: true
"""

RETURN = r"""
drifted_tenants: {description: "Tenants audited, with drift.", returned: always, type: list, elements: str}
failed_tenants: {description: "Tenants whose audit failed, or one of whose probes failed (their findings say which and why).", returned: always, type: list, elements: str}
tenants: {description: "Findings per tenant.", returned: always, type: dict}
"""

from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops import audit
from ansible.module_utils.mailops.artifacts import write_if_changed
from ansible.module_utils.mailops.fleet_files import (
    fleet_outputs,
    stored_reports,
    write_fleet_metrics,
)


def main() -> None:
    module = AnsibleModule(argument_spec=dict(
        audit_dir={"type": "path", "required": True},
        stage_results={"type": "dict", "required": True},
        failed={"type": "dict", "default": {}},
        report_dir={"type": "path"},
        run_started={"type": "float"},
    ), supports_check_mode=True)
    report_dir = Path(module.params["report_dir"]) if module.params["report_dir"] else None
    reports = stored_reports(report_dir) if report_dir else []
    findings = audit.build(module.params["stage_results"], module.params["failed"],
                           {report["tenant_id"]: report for report in reports})
    changed = audit.write_audit(Path(module.params["audit_dir"]), findings, module.check_mode)
    if report_dir:
        for path, text in fleet_outputs(report_dir, reports, findings).items():
            if not path.exists() or path.read_text() != text:
                changed = True
                if not module.check_mode:
                    write_if_changed(path, text)
        if not module.check_mode:   # the run's metrics: written by every audit run
            write_fleet_metrics(report_dir, reports, findings, "audit",
                                len(findings["failed_tenants"]), module.params["run_started"])
    module.exit_json(changed=changed, **findings)


if __name__ == "__main__":
    main()
