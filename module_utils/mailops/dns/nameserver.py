"""Nameservers as the modules name them ("host[:port]"), and the wait defaults.

Kept apart from the query code so that a module run that asks no nameserver (a DNSPod
tenant whose zone is given and whose records are up to date) never imports dnspython.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from ansible.module_utils.mailops.errors import TransientError, ValidationError

DEFAULT_QUERY_TIMEOUT = 5.0
DEFAULT_TIMEOUT = 300.0       # propagation wait
DEFAULT_MAX_INTERVAL = 10.0   # longest pause between two propagation rounds


@dataclass(frozen=True)
class Nameserver:
    host: str
    port: int = 53
    address: str = ""

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}" if self.port != 53 else self.host


def parse_nameserver(text: str) -> Nameserver:
    """``"1.2.3.4"``, ``"1.2.3.4:5353"``, ``"[::1]:53"`` or ``"ns1.example.com"``."""
    spec = text.strip()
    host, port = spec, 53
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        if rest.startswith(":"):
            port = _port(text, rest[1:])
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
        port = _port(text, port_text)
    if not host:
        raise ValidationError(f"nameserver {text!r} has no host", hint="write host[:port]")
    return Nameserver(host=host, port=port, address=resolve_address(host))


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValidationError(f"nameserver {text!r} has a bad port (not within 1..65535)",
                              hint="write host[:port]")
    return int(port_text)


def resolve_address(host: str) -> str:
    """IP address of a nameserver host (an IP is returned as is)."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return host
    except OSError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
    except OSError as exc:
        raise TransientError(
            f"cannot resolve nameserver {host}: {exc}",
            hint="check the nameserver name or give its IP address",
        ) from exc
    return str(infos[0][4][0])
