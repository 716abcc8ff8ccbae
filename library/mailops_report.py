#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_report
short_description: Write every tenant's onboarding report (JSON and Markdown) and the index
description:
  - Assembles each tenant's report from what the stages returned (records with their verify
    status, the API users, the binding, quota and reputation) and writes
    C(<report_dir>/<tenant>.json) and C(.md), then C(index.json) and C(index.md) over every
    tenant report in the directory.
  - One call for all tenants (run it with C(run_once)) - a module run per tenant costs more
    than the reports themselves.
  - Files are written only when their content changes; in check mode nothing is written.
    Reports never contain keys or tokens.
options:
  report_dir: {description: "Directory of the reports.", type: path, required: true}
  tenants:
    description:
      - Per tenant, what M(mailops_tenant) returned last in the run (the apply's result, or the
        plan's for a tenant that was up to date) - its C(stages) and its preflight's C(account).
    type: dict
    required: true
author: mailops
"""

EXAMPLES = r"""
- name: Write the reports
  mailops_report:
    report_dir: "{{ mailops_report_dir }}"
    tenants: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'tenant_result'))) }}"
  run_once: true
"""

RETURN = r"""
paths: {description: "Files written or up to date.", returned: always, type: list, elements: str}
statuses: {description: "Status per tenant (verified and bound, or incomplete).", returned: always, type: dict}
"""

import json
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops import report as reports


def tenant_outputs(directory: Path, tenant: str, result: dict[str, Any]) -> tuple[dict[Path, str], dict]:
    json_path = directory / f"{tenant}.json"
    previous = json.loads(json_path.read_text()) if json_path.exists() else None
    stages = result.get("stages") or {}
    facts = reports.compose(stages.get("sending_domain") or {}, stages.get("api_users") or {},
                            stages.get("binding") or {},
                            (result.get("preflight") or {}).get("account") or {}, [])
    report = reports.tenant_report(tenant, facts, previous)
    return {json_path: json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            directory / f"{tenant}.md": reports.render_tenant_markdown(report)}, report


def main() -> None:
    module = AnsibleModule(argument_spec=dict(
        report_dir={"type": "path", "required": True},
        tenants={"type": "dict", "required": True},
    ), supports_check_mode=True)
    directory = Path(module.params["report_dir"])
    outputs: dict[Path, str] = {}
    statuses = {}
    for tenant, result in sorted(module.params["tenants"].items()):
        files, report = tenant_outputs(directory, tenant, result)
        outputs.update(files)
        statuses[tenant] = report["status"]
    others = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))
              if p.name != "index.json" and p.stem not in statuses]
    current = [json.loads(text) for path, text in outputs.items() if path.suffix == ".json"]
    index_json, index_md = reports.render_index(others + current)
    outputs.update({directory / "index.json": index_json, directory / "index.md": index_md})
    changed = any(not path.exists() or path.read_text() != text for path, text in outputs.items())
    if changed and not module.check_mode:
        for path, text in outputs.items():
            reports.write_if_changed(path, text)
    module.exit_json(changed=changed, paths=[str(p) for p in outputs], statuses=statuses)


if __name__ == "__main__":
    main()
