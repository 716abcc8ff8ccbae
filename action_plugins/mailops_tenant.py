"""mailops_tenant, run in Ansible's worker process when the connection is local (see
module_utils/mailops/local_action.py); library/mailops_tenant.py is its interface and documentation."""

import ansible.module_utils
from ansible import constants as C

# The project's module_utils, importable on the controller as they are inside a module.
ansible.module_utils.__path__ += [p for p in C.DEFAULT_MODULE_UTILS_PATH
                                  if p not in ansible.module_utils.__path__]

from ansible.module_utils.mailops.local_action import in_process_action  # noqa: E402
from ansible.module_utils.mailops.stages.tenant import TENANT_ARGS, converge_tenant  # noqa: E402
from ansible.module_utils.mailops.tenant_inputs import READS, tenant_args  # noqa: E402

ActionModule = in_process_action("mailops_tenant", TENANT_ARGS, converge_tenant,
                                 from_inventory=(READS, tenant_args))
