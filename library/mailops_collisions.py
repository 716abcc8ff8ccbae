#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_collisions
short_description: Refuse tenants of one inventory that would overwrite each other
description:
  - Fails, naming both inventory hosts of each pair, when two tenants have the same
    C(tenant_id) (one credential file, lock and platform tenant), the same C(sending_domain)
    (compared without case and trailing dot) or the same SendCloud API user name (names are
    global across SendCloud accounts).
  - C(playbooks/require_tenants.yml) runs it first in every playbook, with O(from_inventory),
    over every host of the group C(tenants), whatever the limit. A run with C(-l globex) is
    refused as well when globex collides with acme, a host outside the limit. A host outside
    the run is compared without the run's extra variables (C(-e)), which are not its own.
    Nothing is read from an API or written.
  - Reads and writes nothing; check mode and diff mode change nothing.
options:
  tenants:
    description:
      - Per inventory host, its C(tenant_id), C(sending_domain) and C(api_users) (the list of its
        API user names). A value missing or not a string is left to the tenant's own checks.
    type: dict
    default: {}
  from_inventory:
    description:
      - Build O(tenants) from every host of the inventory's group C(tenants), with the
        inventory contract's defaults (C(roles/mailops_defaults)) below the inventory's values.
      - Handled by the action plugin (C(action_plugins/mailops_collisions.py)).
    type: bool
    default: false
  hosts:
    description:
      - The hosts of the run (C(ansible_play_hosts_all)); only the collisions of one of them
        with any tenant are refused. Default, every tenant of O(tenants).
    type: list
    elements: str
extends_documentation_fragment: [mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: N/A
    details: ["Reads and writes nothing."]
requirements:
  - python >= 3.12
seealso:
  - module: mailops_preflight
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Refuse tenants that collide
  mailops_collisions:
    from_inventory: true
    hosts: "{{ ansible_play_hosts_all }}"
  run_once: true
"""

RETURN = r"""
tenants_checked: {description: "How many tenants were compared.", returned: success, type: int}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.collisions import COLLISIONS_ARGS, refuse_collisions  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=COLLISIONS_ARGS, supports_check_mode=True)
    run(module, lambda: refuse_collisions(module.params, module.check_mode))


if __name__ == "__main__":
    main()
