"""The rebind's switch: the API users re-pointed to the new domain and the binding switched,
back to back.

Between the two, a send through the platform goes out with the old binding (its From on the old
domain) from API users that SendCloud already gives the new domain's envelope (docs/rebind.md).
So every read either step needs (the vault, the stored keys, the current binding, the API users)
is made first; then the API-user updates and the binding's one write follow with no request in
between.
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.module_glue import SENDCLOUD_ARGS
from ansible.module_utils.mailops.stages.api_users import API_USERS_OPTIONS, run_api_users
from ansible.module_utils.mailops.stages.binding import BINDING_ARGS, prepare_binding

SWITCH_ARGS: dict[str, dict[str, Any]] = {
    "sendcloud": {"type": "dict", "required": True, "options": SENDCLOUD_ARGS},
    "api_users": {"type": "dict", "required": True, "options": API_USERS_OPTIONS},
    "binding": {"type": "dict", "required": True, "options": BINDING_ARGS},
}


def run_switch(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    switch_binding = prepare_binding(params["binding"], check_mode)   # reads only
    api_users = run_api_users({**params["sendcloud"], **params["api_users"]}, check_mode,
                              then=switch_binding)
    binding = api_users.pop("then")
    parts = (api_users, binding)
    diffs = [result.pop("diff") for result in parts]
    return {"changed": api_users["changed"] or binding["changed"], "api_users": api_users,
            "binding": binding,
            "diff": [diff for diff, result in zip(diffs, parts, strict=True) if result["changed"]],
            "warnings": [warning for result in parts for warning in result.pop("warnings", [])]}
