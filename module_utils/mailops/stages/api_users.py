"""The API-user stage: the tenant's batch and trigger API users, their keys captured once into
the key store (the body of the ``sendcloud_apiuser`` module)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.module_utils.mailops.artifacts import KNOWN_AFTER_APPLY
from ansible.module_utils.mailops.errors import MailopsError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.key_store import KEY_STORE_ARG, open_key_store
from ansible.module_utils.mailops.module_glue import SENDCLOUD_ARGS, sendcloud_client
from ansible.module_utils.mailops.names import domain_key
from ansible.module_utils.mailops.sendcloud.apiusers import ApiUserChange, ApiUserService

NAMES_OPTION = {"type": "dict", "required": True, "options": {
    "batch": {"type": "str", "required": True},
    "trigger": {"type": "str", "required": True}}}

API_USERS_OPTIONS: dict[str, dict[str, Any]] = {
    "tenant_id": {"type": "str", "required": True},
    "domain": {"type": "str", "required": True},
    "names": NAMES_OPTION,
    "tracking": {"type": "dict", "default": {}, "options": {
        "open": {"type": "bool", "default": True},
        "click": {"type": "bool", "default": False},
        "unsubscribe": {"type": "bool", "default": True}}},
    "credentials_file": {"type": "path", "required": True},
    "vault_password_file": {"type": "path", "required": True, "no_log": False},
    "vault_id": {"type": "str", "default": "default"},
    "key_store": KEY_STORE_ARG,
    "allow_domain_change": {"type": "bool", "default": False},
    "lock_timeout": {"type": "float", "default": 120},
}

API_USERS_ARGS: dict[str, dict[str, Any]] = dict(SENDCLOUD_ARGS, **API_USERS_OPTIONS)


def run_api_users(params: dict[str, Any], check_mode: bool,
                  sendcloud_http: HttpClient | None = None,
                  then: Callable[[], Any] | None = None) -> dict[str, Any]:
    """``params``: the SendCloud connection options and ``API_USERS_OPTIONS``. ``then``: run
    right after the API users are written (the rebind's binding switch), its result returned
    as ``then``."""
    store = open_key_store(params)
    service = ApiUserService(sendcloud_client(params, sendcloud_http), store, params["tenant_id"])
    domain = domain_key(params["domain"])
    with store.lock(params["tenant_id"], params["lock_timeout"], check_mode):
        plan = service.plan(params["names"], domain, params["tracking"] or {},
                            params["allow_domain_change"])
        if not check_mode:
            try:
                if any(c.action in ("create", "recreate") for c in plan.changes):
                    store.probe()   # a key SendCloud shows once must have somewhere to go
                service.apply(plan)
            except MailopsError as error:
                # the users made before the failure, their keys already stored: the applied
                # record and the report say so
                standing = as_they_stand(plan.changes)
                error.partial = {"stage_result": {
                    "changed": any(change.applied for change in plan.changes),
                    "api_users": [entry_of(change) for change in standing],
                    "credentials_file": store.location}}
                raise
        then_result = then() if then else None
    entries = [entry_of(change) for change in plan.changes]
    return {"changed": plan.changed, "api_users": entries, "credentials_file": store.location,
            **({"then": then_result} if then else {}),
            # Ansible's diff wants mappings (or text), as in dns_record_set: the lists wrapped
            "diff": {"before": {"api_users": [c.before for c in plan.changes if c.before]},
                     "after": {"api_users": [
                         dict(c.after, key=KNOWN_AFTER_APPLY)
                         if c.action in ("create", "recreate") else c.after
                         for c in plan.changes]},
                     "before_header": f"API users of {params['tenant_id']}",
                     "after_header": f"API users of {params['tenant_id']}"}}


def entry_of(change: ApiUserChange) -> dict[str, Any]:
    return {"role": change.role, "name": change.name, "action": change.action,
            "before": change.before, "after": change.after, "key_captured": change.key_captured}


def as_they_stand(changes: list[ApiUserChange]) -> list[ApiUserChange]:
    """After a failed apply, the API users as they are: those it wrote, those it had nothing to
    do for, and one it did not get to update as it was. One it did not get to create (or
    recreate) is left out: it does not exist, or exists without a stored key."""
    standing = []
    for change in changes:
        if change.applied or change.action == "unchanged":
            standing.append(change)
        elif change.action == "update":
            standing.append(ApiUserChange(change.role, change.name, "unchanged", change.before,
                                          change.before or {}))
    return standing
