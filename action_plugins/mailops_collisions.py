"""mailops_collisions: with ``from_inventory``, every tenant's ``tenant_id``, sending domain
and API user names as a run gets them (the contract's defaults below the inventory's values),
for every host of the group ``tenants`` whatever the limit; then the check, in the worker
process. library/mailops_collisions.py is its interface and documentation."""

from collections.abc import Mapping
from typing import Any

import ansible.module_utils
from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

# The project's module_utils, importable on the controller as they are inside a module.
ansible.module_utils.__path__ += [p for p in C.DEFAULT_MODULE_UTILS_PATH
                                  if p not in ansible.module_utils.__path__]

from ansible.module_utils.mailops.ansible_internals import (  # noqa: E402
    extra_variable_names,
    raw_host_variables,
)
from ansible.module_utils.mailops.collisions import (  # noqa: E402
    COLLISIONS_ARGS,
    default_api_users,
    refuse_collisions,
)
from ansible.module_utils.mailops.local_action import (  # noqa: E402
    run_work,
    runs_in_process,
    warm_controller,
)

warm_controller()   # as the other plugins' in_process_action does, in the controller


def identity(templar: Any, host: str, variables: Mapping[str, Any],
             unknown: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """One tenant's identity from its inventory variables. The defaults (tenant_id: the host's
    name; the API user names: from the tenant_id) are computed, not rendered: every tenant of
    the inventory is read, and a template per value would cost a Jinja compile each. A value the inventory gives as a
    template is rendered with the host's variables; one that does not render (undefined, a bad
    template), or is ``unknown``, is left out, for the tenant's own validation to name."""
    variables = {name: value for name, value in variables.items() if name not in unknown}
    context = templar.copy_with_new_env(available_variables=variables)

    def rendered(name: str) -> Any:
        try:
            return context.template(variables[name])
        except AnsibleError:
            return None

    tenant_id = (rendered("tenant_id") if "tenant_id" in variables
                 else None if "tenant_id" in unknown else host)
    if isinstance(tenant_id, str):
        context.available_variables = {**variables, "tenant_id": tenant_id}
    found: dict[str, Any] = {"tenant_id": tenant_id, "sending_domain": rendered("sending_domain")
                             if "sending_domain" in variables else None}
    if "sendcloud_api_users" in unknown:
        found["api_users"] = []
    elif "sendcloud_api_users" not in variables:
        found["api_users"] = default_api_users(tenant_id) if isinstance(tenant_id, str) else []
    elif isinstance(names := rendered("sendcloud_api_users"), Mapping):
        found["api_users"] = [name for name in names.values() if isinstance(name, str)]
    return found


class ActionModule(ActionBase):
    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if boolean(args.pop("from_inventory", False)):
            hostvars = task_vars["hostvars"]
            in_run = set(args.get("hosts") or task_vars["groups"].get("tenants", []))
            # -e values are the run's, not the inventory's: a host outside the run has no
            # known value for them (-e sendcloud_api_users=... with -l acme is no collision)
            extra = extra_variable_names(hostvars)
            args["tenants"] = {
                host: identity(self._templar, host, raw_host_variables(hostvars, host),
                               frozenset() if host in in_run else extra)
                for host in task_vars["groups"].get("tenants", [])}
        if not runs_in_process(self._connection.transport, self._task.async_val, task_vars):
            return merge_hash(result, self._execute_module(
                module_name="mailops_collisions", module_args=args, task_vars=task_vars))
        outcome, _warnings = run_work("mailops_collisions", COLLISIONS_ARGS, args, refuse_collisions,
                                      bool(self._task.check_mode))
        result.update(outcome)
        return result
