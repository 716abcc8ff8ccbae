#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_notify
short_description: Tell the ops team what a run did, in their chat or by mail (apprise)
description:
  - Sends one short message (a title and a few lines) to every target - what changed, what
    failed, and where the report is - after an apply (O(event=apply), from the run's
    C(applied.json)), a drifting audit (O(event=audit), from C(audit.json)), and when a rebind
    starts, ends or fails (O(event=rebind_window_start), C(rebind_window_end), C(rebind_failed)).
  - Targets are apprise URLs - C(dingtalk://SECRET@TOKEN) (signed), C(wecombot://KEY),
    C(feishu://TOKEN), C(slack://...), C(mailto://...), C(json://host/path) - so any transport
    apprise speaks works; keep them vaulted. They are never returned or logged, and a failing
    target is named by its position and scheme only.
  - A target that fails or refuses the message is a warning, never a failure; the run's outcome
    is in its reports. The task reports C(changed=false) (nothing managed changes).
  - In check mode nothing is sent; the message is returned.
options:
  targets:
    description: Apprise URLs (the inventory's C(mailops_notify_targets)). None - nothing is sent.
    type: list
    elements: str
    default: []
  event:
    description: What happened.
    type: str
    required: true
    choices: [apply, audit, rebind_window_start, rebind_window_end, rebind_failed]
  record_file:
    description: For C(apply) the run's C(applied.json), for C(audit) the audit's C(audit.json).
    type: path
  rebind:
    description: For the rebind events - C(tenant), C(ticket), C(old_domain), C(new_domain), and C(error) when it failed.
    type: dict
  report:
    description: Where the report is, named in the message (a path, or C(mailops_report_url)'s link).
    type: str
    required: true
extends_documentation_fragment: [mailops_attributes]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: N/A
    details: ["Sends a message; changes no managed state."]
requirements:
  - python >= 3.12
  - apprise
seealso:
  - module: mailops_report
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Tell the ops channel what the apply did
  mailops_notify:
    targets: "{{ mailops_notify_targets }}"
    event: apply
    record_file: "{{ mailops_plan_result.run_dir }}/applied.json"
    report: "{{ mailops_report_dir }}/index.html"
  run_once: true
"""

RETURN = r"""
title: {description: "The message's title.", returned: always, type: str}
body: {description: "The message's lines.", returned: always, type: str}
sent: {description: "Targets that took the message (0 in check mode).", returned: always, type: int}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402
from ansible.module_utils.mailops.stages.notify import NOTIFY_ARGS, run_notify  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=NOTIFY_ARGS, supports_check_mode=True)
    run(module, lambda: run_notify(module.params, module.check_mode))


if __name__ == "__main__":
    main()
