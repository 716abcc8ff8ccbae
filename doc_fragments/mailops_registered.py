"""The option of the run-once modules that read every tenant's registered result."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  registered:
    description:
      - Instead of writing the per-tenant option out, the hosts whose registered variable
        fills it, read by the action plugin (C(action_plugins/)) as Ansible stored it.
      - Extracted by a template (C(map('extract', hostvars, ...))), each host's whole result
        went through the template engine again, a cost per host; this task runs once while
        every other worker waits.
    type: dict
    suboptions:
      hosts: {description: "The hosts, e.g. C(ansible_play_hosts).", type: list, elements: str, required: true}
      var: {description: "The registered variable, e.g. C(tenant_result).", type: str, required: true}
      key: {description: Take this key of each registered value (e.g. C(stages))., type: str}
      missing:
        description: A host without the variable (or the key) fails the task (V(fail)) or is left out (V(skip)).
        type: str
        choices: [fail, skip]
        default: fail
"""
