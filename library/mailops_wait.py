#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_wait
short_description: Wait for every tenant's DNS propagation and SendCloud verification at once
description:
  - The apply pass of C(onboard.yml) runs M(mailops_tenant) with O(mailops_tenant#module:defer_wait),
    so each tenant writes its domain and records, looks once, and returns what is left to wait
    for (its C(wait)) instead of holding a worker for it. This task, run once, then waits for all of
    them together, so that N tenants pay the services' delays about once, not N / forks times.
  - Each round asks DNS once per nameserver, name and type that some tenant waits for (a tenant
    asks its first missing record per nameserver, and the others in the same round once that one
    is served), and SendCloud once per tenant whose next read is due, from O(tenants)'
    C(verify_interval) backing off by 1.5 up to 15 s; both on small thread pools.
  - Every tenant keeps its own deadlines (C(dns_propagation_timeout) from its write,
    C(sendcloud_verify_timeout) from its propagation) and fails alone, with the error its stage's
    own wait gives (each record and nameserver not served yet, or each item SendCloud has not
    verified and what DNS serves for it), which the tenant's finish pass raises on its own host.
  - A line says where the wait stands (C(waiting - 812 verified, 188 waiting (slowest - t0042 - DKIM
    not served by ns2 yet, 35s))) every O(progress_interval) seconds; a tenant whose DNS provider is
    C(manual) has the path of its change request printed at once.
  - Check mode never waits (a plan only reads).
options:
  tenants:
    description:
      - Per tenant, the C(wait) its M(mailops_tenant) returned; an empty one (nothing to wait for)
        or a failed task's entry is left out. This or O(registered) is required.
    type: dict
  api_keys:
    description:
      - Per waiting tenant, its SendCloud account key. The action plugin reads each one from the
        tenant's C(sendcloud_api_key); no result carries it.
    type: dict
    default: {}
  progress_interval:
    description: Seconds between two progress lines.
    type: float
    default: 30
extends_documentation_fragment: [mailops_registered, mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: N/A
    details: ["Waits and reads; writes nothing."]
requirements:
  - python >= 3.12
  - requests
  - dnspython
seealso:
  - module: mailops_tenant
  - module: dns_propagation
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Wait for every tenant's DNS and SendCloud verification at once
  mailops_wait:
    registered: {hosts: "{{ ansible_play_hosts }}", var: tenant_result, key: wait}
  run_once: true
  register: tenant_wait
"""

RETURN = r"""
tenants:
  description:
    - Per tenant waited for, its outcome - C(ok), C(propagation) (as M(dns_propagation) returns
      it, when it was waited for), C(verification) (C(polls)), C(domain) (as M(sendcloud_domain)
      returns it, once verified), C(error) (C(type), C(message), C(hint), when it failed) and
      C(seconds) (from its write to the end of its wait).
  returned: always
  type: dict
verified_tenants: {description: "The tenants whose wait succeeded.", returned: always, type: list, elements: str}
failed_tenants: {description: "The tenants whose wait failed.", returned: always, type: list, elements: str}
elapsed: {description: "Seconds the task waited.", returned: always, type: float}
progress:
  description: The progress lines, when run as a module (in the worker they are shown as they come).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402
from ansible.module_utils.mailops.wait.together import WAIT_ARGS, run_wait  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=WAIT_ARGS, supports_check_mode=True)
    run(module, lambda: run_wait(module.params, module.check_mode))


if __name__ == "__main__":
    main()
