"""mailops_tenant, run in Ansible's worker process when the connection is local (see
module_utils/mailops/local_action.py); library/mailops_tenant.py is its interface and documentation."""

from typing import Any

import ansible.module_utils
from ansible import constants as C

# The project's module_utils, importable on the controller as they are inside a module.
ansible.module_utils.__path__ += [p for p in C.DEFAULT_MODULE_UTILS_PATH
                                  if p not in ansible.module_utils.__path__]

from ansible.errors import AnsibleActionFail  # noqa: E402
from ansible.module_utils.mailops.local_action import in_process_action  # noqa: E402
from ansible.module_utils.mailops.stages.tenant import TENANT_ARGS, converge_tenant  # noqa: E402
from ansible.module_utils.mailops.tenant_inputs import READS, tenant_args  # noqa: E402


def resumed(args: dict[str, Any], read: dict[str, Any], task_vars: dict[str, Any]) -> None:
    """The finish pass (``resume_from: {result: VAR, wait: VAR}``): this tenant's first result
    and its outcome of the shared wait, read as Ansible stored them. Through a template, the
    whole registered result would be rendered again for every tenant."""
    names = args.pop("resume_from", None)
    if not names:
        return
    host = task_vars["inventory_hostname"]
    stored = task_vars["hostvars"].raw_get(host)
    try:
        read["resume"] = stored[names["result"]]
        read["waited"] = stored[names["wait"]]["tenants"][host]
    except (KeyError, TypeError):
        raise AnsibleActionFail(
            f"mailops_tenant: resume_from names {names}, but host {host} has no such result "
            "(the finish pass runs after the tenant task and mailops_wait registered them)") from None


ActionModule = in_process_action("mailops_tenant", TENANT_ARGS, converge_tenant,
                                 from_inventory=(READS, tenant_args), prepare=resumed)
