"""The binding stage: the domain, API users and addresses bound into the marketing platform
(the body of the ``platform_binding`` module)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.module_utils.mailops.errors import ConflictError, MailopsError, ValidationError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.key_store import KEY_STORE_ARG, open_key_store
from ansible.module_utils.mailops.names import domain_key
from ansible.module_utils.mailops.platform import DesiredBinding, PlatformClient, view_of
from ansible.module_utils.mailops.stages.api_users import NAMES_OPTION

MAX_SENDER_NAME = 64
BINDING_ARGS: dict[str, dict[str, Any]] = {
    "tenant_id": {"type": "str", "required": True},
    "api_url": {"type": "str", "required": True},
    "token": {"type": "str", "required": True, "no_log": True},
    "sending_domain": {"type": "str", "required": True},
    "edition": {"type": "str", "default": "domestic", "choices": ["domestic", "overseas"]},
    "api_user_names": NAMES_OPTION,
    "sender_address": {"type": "str", "required": True},
    "sender_name": {"type": "str", "required": True},
    "reply_to_address": {"type": "str", "required": True},
    "credentials_file": {"type": "path", "required": True},
    "vault_password_file": {"type": "path", "required": True, "no_log": False},
    "vault_id": {"type": "str", "default": "default"},
    "key_store": KEY_STORE_ARG,
    "allow_domain_change": {"type": "bool", "default": False},
    "timeout": {"type": "float", "default": 15.0},
}


def check_sender_name(name: str) -> None:
    """The platform refuses a sender name outside 1-64 characters (docs/binding-api.md): found in
    the plan, before anything is written, not by the binding write at the end of an apply."""
    if not 1 <= len(name.strip()) <= MAX_SENDER_NAME:
        raise ValidationError(
            f"sender_name '{name}' must be 1-{MAX_SENDER_NAME} characters: the platform refuses it",
            hint="set sender_name (the display name of the tenant's mail) in the inventory")


def desired_binding(params: dict[str, Any], keys: dict[str, str], check_mode: bool,
                    key_location: str) -> DesiredBinding:
    check_sender_name(params["sender_name"])
    api_users = {}
    for role, name in params["api_user_names"].items():
        key = keys.get(name)
        if key is None and not check_mode:
            raise MailopsError(f"the key of API user {name} is not in "
                               f"{key_location}",
                               hint="run the API-user stage (sendcloud_apiuser) first")
        api_users[role] = {"name": name, "key": key}
    return DesiredBinding(domain_key(params["sending_domain"]), params["edition"],
                          api_users, params["sender_address"], params["sender_name"],
                          params["reply_to_address"])


def refuse_unmanaged_switch(tenant_id: str, before: dict[str, Any] | None, after: dict[str, Any],
                            previous_domain: str | None, desired: DesiredBinding) -> None:
    """A different domain or renamed API users is a rebind, never a side effect of onboarding."""
    if previous_domain and previous_domain != desired.sending_domain:
        raise ConflictError(
            f"tenant {tenant_id} is bound to {previous_domain}; the inventory asks for "
            f"{desired.sending_domain}",
            hint=f"changing a bound domain is a change-managed rebind: run "
                 "'ansible-playbook rebind.yml -l HOST -e rebind_tenants=HOST -e change_ticket=ID' "
                 f"for tenant {tenant_id}'s inventory host in the change window (docs/rebind.md)")
    if not before:
        return
    renamed = {role: (user["name"], after["api_users"][role]["name"])
               for role, user in before["api_users"].items()
               if role in after["api_users"] and user["name"] != after["api_users"][role]["name"]}
    if renamed:
        raise ConflictError(
            f"tenant {tenant_id} is bound with API users "
            + ", ".join(f"{role} {old}" for role, (old, _new) in renamed.items())
            + "; the inventory names "
            + ", ".join(f"{role} {new}" for role, (_old, new) in renamed.items())
            + ". Renaming the platform's API users breaks sending",
            hint="keep sendcloud_api_users as bound (the names above): the project never "
                 "renames a bound tenant's API users")


NOT_READ: Any = object()   # run_binding reads the binding itself


def platform_client(params: dict[str, Any]) -> PlatformClient:
    return PlatformClient(params["api_url"], params["token"],
                          HttpClient("marketing platform", timeout=params["timeout"]))


def read_binding(params: dict[str, Any]) -> dict[str, Any] | None:
    return platform_client(params).get_binding(params["tenant_id"])


def pending_rebind(current: dict[str, Any] | None, sending_domain: str) -> dict[str, str] | None:
    """The tenant is bound to another domain than the inventory's: a rebind (rebind.yml) to do."""
    bound_domain = (current or {}).get("sending_domain")
    if bound_domain and domain_key(bound_domain) != domain_key(sending_domain):
        return {"bound_domain": bound_domain, "sending_domain": domain_key(sending_domain)}
    return None


def run_binding(params: dict[str, Any], check_mode: bool,
                current: dict[str, Any] | None = NOT_READ) -> dict[str, Any]:
    """``current``: the binding as the caller just read it (``read_binding``), else read here."""
    return prepare_binding(params, check_mode, current)()


def prepare_binding(params: dict[str, Any], check_mode: bool,
                    current: dict[str, Any] | None = NOT_READ) -> Callable[[], dict[str, Any]]:
    """Every read of the binding stage (the key store, the keys, the current binding) and its
    checks; what it returns makes the one write (none in check mode) and gives the result. The
    rebind calls it right after re-pointing the API users (rebind_switch)."""
    store = open_key_store(params)
    desired = desired_binding(params, store.keys(), check_mode, store.location)
    client = platform_client(params)
    tenant_id = params["tenant_id"]
    if current is NOT_READ:
        current = client.get_binding(tenant_id)
    before = view_of(current) if current else None
    after = desired.public_view()
    previous_domain = current.get("sending_domain") if current else None
    if not params["allow_domain_change"]:
        refuse_unmanaged_switch(tenant_id, before, after, previous_domain, desired)
    action = "unchanged" if before == after else ("create" if current is None else "update")

    def write() -> dict[str, Any]:
        binding = before
        if action != "unchanged" and not check_mode:
            written = client.put_binding(tenant_id, desired, current.get("revision") if current else None)
            binding = view_of(written)
        elif action != "unchanged":
            binding = after
        return {"changed": action != "unchanged", "action": action, "binding": binding,
                "before": before, "previous_domain": previous_domain,
                "diff": {"before": before or {}, "after": after,
                         "before_header": f"platform binding of {tenant_id}",
                         "after_header": f"platform binding of {tenant_id}"}}
    return write
