"""Tenants of one inventory that would overwrite each other: two hosts with the same
``tenant_id`` (one credential file, one lock, one platform tenant), the same sending domain, or
the same SendCloud API user name (names are global across SendCloud accounts). Found over the
whole inventory, whatever the limit, before anything is read or written."""

from __future__ import annotations

import re
from typing import Any

from ansible.module_utils.mailops.errors import ValidationError
from ansible.module_utils.mailops.names import domain_key

COLLISIONS_ARGS: dict[str, dict[str, Any]] = {
    "tenants": {"type": "dict", "default": {}},
    "from_inventory": {"type": "bool", "default": False},
    "hosts": {"type": "list", "elements": "str"},
}

# what each shared value breaks, and the fix
FIELDS = {
    "tenant_id": ("tenant_id", "it names the credential file, the lock and the platform tenant, "
                  "so one tenant would write the other's keys and binding",
                  "give each tenant its own tenant_id"),
    "sending_domain": ("sending_domain", "one SendCloud domain and one set of DNS records "
                       "cannot serve two tenants", "give each tenant its own sending_domain"),
    "api_users": ("API user name", "SendCloud API user names are global, so one tenant would "
                  "take the other's user and keys",
                  "give each tenant its own sendcloud_api_users (never rename existing ones)"),
}


def default_api_users(tenant_id: str) -> list[str]:
    """The API user names roles/mailops_defaults gives a tenant that names none: the same rule
    as its template (tests/unit/mailops/test_collisions.py renders both), without rendering a
    template per tenant (three per tenant, each a Jinja compile)."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", tenant_id)
    return [f"{stem[:26]}_batch", f"{stem[:24]}_trigger"]


def comparable(field: str, value: str) -> str:
    return domain_key(value) if field == "sending_domain" else value


def tenant_collisions(tenants: dict[str, dict[str, Any]], hosts: list[str] | None = None) -> list[str]:
    """``tenants``: per inventory host, its ``tenant_id``, ``sending_domain`` and ``api_users``
    (a list of names); a value missing or not a string is left to the tenant's own checks.
    One problem per pair of hosts and shared value, naming both hosts; with ``hosts`` (the
    run's), only the pairs with one of them."""
    targeted = set(tenants if hosts is None else hosts)
    problems = []
    for field, (label, why, fix) in FIELDS.items():
        first_host: dict[str, str] = {}
        for host in sorted(tenants):
            value = tenants[host].get(field)
            for one in value if isinstance(value, list) else [value]:
                if not isinstance(one, str) or not one.strip():
                    continue
                key = comparable(field, one)
                other = first_host.setdefault(key, host)
                if other != host and (other in targeted or host in targeted):
                    problems.append(f"tenants {other} and {host} have the same {label} '{one}': "
                                    f"{why}. Fix: {fix}")
    return problems


def refuse_collisions(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The body of ``mailops_collisions``: reads nothing, writes nothing."""
    problems = tenant_collisions(params["tenants"], params["hosts"])
    if problems:
        raise ValidationError(f"{len(problems)} collision(s) between tenants of the inventory, "
                              "so nothing was read or written: " + " | ".join(problems))
    return {"changed": False, "tenants_checked": len(params["tenants"])}
