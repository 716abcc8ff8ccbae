"""Which of the sandbox's ports another process holds, named with the variable that moves it.

Checked by ``start`` before the server is spawned, and by ``serve`` before it binds: a port in
use gave a traceback in sandbox.log and "exited during start"."""

from __future__ import annotations

import socket

from sandbox.config import PORT_ENV, SandboxConfig

COMPONENT_KEYS = {"sendcloud": "sendcloud_port", "dnspod": "dnspod_port",
                  "platform": "platform_port", "dns": "dns_port", "route53": "route53_port",
                  "cloudflare": "cloudflare_port"}


def port_free(host: str, port: int, kind: int) -> bool:
    """As the servers bind: with SO_REUSEADDR (a socket in TIME_WAIT does not count)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def busy_ports(config: SandboxConfig) -> list[str]:
    """One message per port in use: the component, the port and the variable that moves it."""
    ports = {**config.ports.http_ports(), "dns": config.ports.dns}
    if config.route53_enabled:
        ports["route53"] = config.ports.route53
    messages = []
    for component, port in ports.items():
        kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if component == "dns" else (socket.SOCK_STREAM,)
        if all(port_free(config.host, port, kind) for kind in kinds):
            continue
        variable = PORT_ENV[COMPONENT_KEYS[component]]
        messages.append(
            f"sandbox: port {port} on {config.host} ({component}) is already in use. Fix: stop what "
            f"listens there, or move the sandbox: export {variable}=<a free port> (ansible-playbook "
            "reads it too, so export it in the shell that runs the playbooks)")
    return messages
