#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_report
short_description: Write a tenant's onboarding report (JSON and Markdown) or the index of all tenants
description:
  - With O(index=false), assembles the tenant's report from what the earlier stages returned
    (records with their DNS action and verify status, the API users, the binding, quota and
    reputation) and writes C(<report_dir>/<tenant>.json) and C(.md).
  - With O(index=true), writes C(index.json) and C(index.md) from every tenant report in the directory.
  - Files are written only when their content changes; in check mode nothing is written.
  - Reports never contain keys or tokens.
options:
  report_dir: {description: Directory of the reports., type: path, required: true}
  index: {description: Write the index instead of a tenant report., type: bool, default: false}
  tenant_id: {description: The tenant (required unless index)., type: str}
  domain_result: {description: Registered result of sendcloud_domain (after verification)., type: dict, default: {}}
  apiuser_result: {description: Registered result of sendcloud_apiuser., type: dict, default: {}}
  binding_result: {description: Registered result of platform_binding., type: dict, default: {}}
  account: {description: The account state from preflight., type: dict, default: {}}
  warnings: {description: Warnings to carry into the report., type: list, elements: str, default: []}
author: mailops
"""

EXAMPLES = r"""
- name: Write the tenant report
  mailops_report:
    report_dir: "{{ playbook_dir }}/../reports"
    tenant_id: acme
    domain_result: "{{ sending_domain_verified }}"
    apiuser_result: "{{ api_users_result }}"
    binding_result: "{{ platform_binding_result }}"
"""

RETURN = r"""
paths: {description: Files written or up to date., returned: always, type: list, elements: str}
report: {description: The tenant report (not for index)., returned: when not index, type: dict}
"""

import json
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops import report as reports

ARGUMENT_SPEC = dict(
    report_dir={"type": "path", "required": True},
    index={"type": "bool", "default": False},
    tenant_id={"type": "str"},
    domain_result={"type": "dict", "default": {}},
    apiuser_result={"type": "dict", "default": {}},
    binding_result={"type": "dict", "default": {}},
    account={"type": "dict", "default": {}},
    warnings={"type": "list", "elements": "str", "default": []},
)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_if=[("index", False, ["tenant_id"])])
    params = module.params
    directory = Path(params["report_dir"])
    if params["index"]:
        tenant_files = sorted(p for p in directory.glob("*.json") if p.name != "index.json")
        contents = reports.render_index([json.loads(p.read_text()) for p in tenant_files])
        outputs = {directory / "index.json": contents[0], directory / "index.md": contents[1]}
        result = {}
    else:
        json_path = directory / f"{params['tenant_id']}.json"
        previous = json.loads(json_path.read_text()) if json_path.exists() else None
        facts = reports.compose(params["domain_result"], params["apiuser_result"], params["binding_result"],
                                params["account"], params["warnings"])
        report = reports.tenant_report(params["tenant_id"], facts, previous)
        outputs = {json_path: json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                   directory / f"{params['tenant_id']}.md": reports.render_tenant_markdown(report)}
        result = {"report": report}
    changed = any(not path.exists() or path.read_text() != text for path, text in outputs.items())
    if changed and not module.check_mode:
        for path, text in outputs.items():
            reports.write_if_changed(path, text)
    module.exit_json(changed=changed, paths=[str(p) for p in outputs], **result)


if __name__ == "__main__":
    main()
