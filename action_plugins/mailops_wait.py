"""mailops_wait, run in Ansible's worker process when the connection is local (see
module_utils/mailops/local_action.py); library/mailops_wait.py is its interface and documentation.

The wait reads each tenant's domain at SendCloud, so it needs each waiting tenant's SendCloud
key, which no registered result carries (a result masks every secret): the plugin reads
``sendcloud_api_key`` from each of those tenants' variables (``api_keys``, a no_log option).
Its progress lines are shown as they come (Ansible's display, from the worker)."""

from typing import Any

import ansible.module_utils
from ansible import constants as C

# The project's module_utils, importable on the controller as they are inside a module.
ansible.module_utils.__path__ += [p for p in C.DEFAULT_MODULE_UTILS_PATH
                                  if p not in ansible.module_utils.__path__]

from ansible.errors import AnsibleActionFail  # noqa: E402
from ansible.module_utils.mailops.local_action import in_process_action  # noqa: E402
from ansible.module_utils.mailops.wait.together import WAIT_ARGS, run_wait  # noqa: E402
from ansible.utils.display import Display  # noqa: E402


def waiting_keys(args: dict[str, Any], read: dict[str, Any], task_vars: dict[str, Any]) -> None:
    """``api_keys``: the SendCloud key of every tenant that left a wait, from its variables."""
    tenants = read.get("tenants") or args.get("tenants") or {}
    hostvars = task_vars["hostvars"]
    keys = {}
    for host, spec in tenants.items():
        if isinstance(spec, dict) and spec and not spec.get("failed"):
            try:
                keys[host] = hostvars[host]["sendcloud_api_key"]
            except KeyError:
                raise AnsibleActionFail(f"mailops_wait: tenant {host} has no sendcloud_api_key "
                                        "in its variables; set it in the inventory") from None
    args["api_keys"] = keys


def show(line: str) -> None:
    Display().display(line)


ActionModule = in_process_action(
    "mailops_wait", WAIT_ARGS, lambda params, check_mode: run_wait(params, check_mode, show),
    from_registered="tenants", prepare=waiting_keys)
