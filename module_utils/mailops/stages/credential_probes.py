"""When one of a tenant's credentials (or its preflight) fails, the others are read too, so one
run names every credential to fix: wrong SendCloud, platform and DNS credentials used to come
out one per run. Reads only: the binding ``GET`` with the platform token, and the DNS
provider's read of the zone apex with its credentials, then its ``check_credentials`` (a signed
probe where a read proves nothing, RFC 2136: docs/dns.md)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.errors import AuthError, MailopsError
from ansible.module_utils.mailops.stages.binding import read_binding


def platform_problem(tenant: str, binding: dict[str, Any]) -> str | None:
    try:
        read_binding(binding)
    except AuthError as error:
        return f"tenant {tenant}: platform_api_token: {error}"
    except MailopsError as error:
        return f"tenant {tenant}: platform_api_url: {error}"
    return None


def dns_problem(tenant: str, dns: dict[str, Any], zone: str | None) -> str | None:
    """Only with a zone to read, and for a provider that holds credentials (not ``manual``)."""
    if not zone or dns["provider"] == "manual":
        return None
    from ansible.module_utils.mailops.dns.record_set import build_provider
    try:
        provider = build_provider(dns)
        provider.list_records(zone, {zone})
        provider.check_credentials(zone)
    except AuthError as error:
        return f"tenant {tenant}: {dns['provider']} credentials: {error}"
    except MailopsError as error:
        return f"tenant {tenant}: dns_provider {dns['provider']}: {error}"
    return None


PLATFORM_VALUES = {"tenant_id", "platform_api_url"}
DNS_VALUES = {"dns_nameservers", "rfc2136_server", "rfc2136_port", "dnspod_api_endpoint"}


def other_credential_problems(params: dict[str, Any], zone: str | None, platform_checked: bool,
                              bad_values: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """``params``: mailops_tenant's. The platform's and DNS provider's problems (the platform's
    unless ``platform_checked``: its read already failed); not with a value the preflight
    found bad (``bad_values``, inventory names), which is reported already."""
    tenant = params["preflight"]["tenant_id"]
    problems = []
    if not platform_checked and not bad_values & PLATFORM_VALUES:
        problems.append(platform_problem(tenant, params["binding"]))
    if not bad_values & DNS_VALUES:
        problems.append(dns_problem(tenant, params["dns"], params["dns"].get("zone") or zone))
    return [problem for problem in problems if problem]
