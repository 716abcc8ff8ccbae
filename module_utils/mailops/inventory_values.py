"""Inventory values that a type check cannot judge: a range (``dns_ttl``, a port), a URL's
scheme, a ``host[:port]``, the characters of ``tenant_id``. Each problem names the inventory
variable and the fix, and is found before anything is read with the value: a bad value used to
end in "failed unexpectedly" (``OverflowError``, ``InvalidSchema``) or, for a ``tenant_id`` such
as ``../../x``, reach a file path."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

TENANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TTL = 604800   # one week: more is a typo, and resolvers cap it anyway
HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


def tenant_id_problem(value: Any) -> str | None:
    if isinstance(value, str) and TENANT_ID.match(value):
        return None
    return (f"'{value}' may hold only letters, digits, '_' and '-', 1 to 64 of them (it names the "
            "credential file, the lock and the platform tenant in the API's URL)")


def ttl_problem(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_TTL:
        return None
    return f"{value} is not a TTL within 1..{MAX_TTL} seconds"


def port_problem(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return None
    return f"port {value} is not within 1..65535"


def url_problem(value: Any) -> str | None:
    try:
        parts = urlsplit(str(value))
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as error:
        return f"'{value}' is not a valid URL ({error})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{value}' is not an http:// or https:// URL"
    return None


def host_port_problem(value: Any) -> str | None:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port``."""
    text = str(value).strip()
    host, port_text = text, None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else (rest or None)
        valid_host = bool(host) and all(c in "0123456789abcdefABCDEF:." for c in host)
    elif text.count(":") > 1:   # a bare IPv6 address, without a port
        valid_host = all(c in "0123456789abcdefABCDEF:." for c in text)
    else:
        if text.count(":") == 1:
            host, port_text = text.split(":")
        valid_host = bool(HOST.match(host))
    if not valid_host:
        return f"'{value}' is not host[:port] (the host is not a name or an IP address)"
    if port_text is not None:
        port = int(port_text) if port_text.isdigit() else port_text
        if (problem := port_problem(port)) is not None:
            return f"'{value}': {problem}"
    return None


FIXES = {
    "tenant_id": "rename it, e.g. acme-cn; set sendcloud_api_users too if the tenant has API "
                 "users already (their names never change)",
    "dns_ttl": "give the records' TTL in seconds, e.g. 600 (the default); a provider raises it "
               "to its minimum",
    "url": "write the whole URL with its scheme, e.g. https://api.example.com/path",
    "host": "write a host name or IP address, with :port when it is not the default, "
            "e.g. 192.0.2.53:5353",
    "port": "give a port number within 1..65535",
}

CHECKS = {"tenant_id": (tenant_id_problem, "tenant_id"), "dns_ttl": (ttl_problem, "dns_ttl"),
          "sendcloud_api_base": (url_problem, "url"), "platform_api_url": (url_problem, "url"),
          "dns_nameservers": (host_port_problem, "host"), "rfc2136_server": (host_port_problem, "host"),
          "dnspod_api_endpoint": (host_port_problem, "host"), "rfc2136_port": (port_problem, "port")}


def value_problems(values: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Per inventory variable of ``values`` (the names of ``CHECKS``; None: not set), its
    problems with their fix. A list (``dns_nameservers``) is checked item by item."""
    found: dict[str, list[tuple[str, str]]] = {}
    for name, value in values.items():
        if value is None or name not in CHECKS:
            continue
        check, fix = CHECKS[name]
        for item in value if isinstance(value, list) else [value]:
            if (problem := check(item)) is not None:
                found.setdefault(name, []).append((problem, FIXES[fix]))
    return found
