"""pytest plugin: a real PowerDNS Authoritative (``pdns_server``, gsqlite3 backend) on free
loopback ports, DNS and HTTP API.

``pdns_server`` (session scope) starts it in a temporary directory with a random API key and no
zone; ``PdnsServer.create_zone`` adds one through the API (records given as RRsets). It answers
DNS itself, so the propagation wait asks it directly. Tests are skipped cleanly when
``pdns_server`` or its sqlite3 backend is absent (scripts/ensure-system-packages installs them).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.bind_fixture import free_port

PDNS = os.environ.get("MAILOPS_PDNS", "/usr/sbin/pdns_server")
SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")
STARTUP_TIMEOUT = 15.0


@dataclass
class PdnsServer:
    host: str
    dns_port: int
    api_port: int
    api_key: str
    directory: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def nameserver(self) -> str:
        """``host:port`` as the modules' ``nameservers`` option wants it."""
        return f"{self.host}:{self.dns_port}"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        session = requests.Session()
        session.trust_env = False
        response = session.request(method, f"{self.api_url}/api/v1/servers/localhost{path}",
                                   headers={"X-API-Key": self.api_key}, timeout=10, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"PowerDNS {method} {path}: {response.status_code} {response.text}")
        return response

    def create_zone(self, zone: str, rrsets: list[dict[str, Any]] | None = None) -> None:
        """The zone with its SOA and NS (``ns1.<zone>``, whose A record points here) and
        ``rrsets`` (``{"name": fqdn., "type", "ttl", "records": [{"content"}]}``)."""
        apex = zone.rstrip(".") + "."
        self.api("POST", "/zones", json={
            "name": apex, "kind": "Native", "nameservers": [f"ns1.{apex}"],
            "rrsets": [{"name": f"ns1.{apex}", "type": "A", "ttl": 300,
                        "records": [{"content": "127.0.0.1", "disabled": False}]},
                       *(rrsets or [])],
        })

    def zone(self, zone: str) -> dict[str, Any]:
        return self.api("GET", f"/zones/{zone.rstrip('.')}.").json()

    def patch(self, zone: str, rrsets: list[dict[str, Any]]) -> None:
        self.api("PATCH", f"/zones/{zone.rstrip('.')}.", json={"rrsets": rrsets})


def pdns_conf_text(directory: Path, dns_port: int, api_port: int, api_key: str) -> str:
    return f"""launch=gsqlite3
gsqlite3-database={directory}/pdns.sqlite3
local-address=127.0.0.1
local-port={dns_port}
socket-dir={directory}
daemon=no
guardian=no
disable-syslog=yes
write-pid=no
loglevel=4
api=yes
api-key={api_key}
webserver=yes
webserver-address=127.0.0.1
webserver-port={api_port}
webserver-allow-from=127.0.0.1/32
default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600
security-poll-suffix=
"""


def wait_until_ready(process: subprocess.Popen, server: PdnsServer, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pdns_server exited with {process.returncode}: "
                               f"{log.read_text()[-2000:]}")
        try:
            server.api("GET", "/zones")
            return
        except (requests.ConnectionError, AssertionError):
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"pdns_server did not answer within {STARTUP_TIMEOUT}s: "
                       f"{log.read_text()[-2000:]}")


def start_pdns(directory: Path) -> PdnsServer:
    if not (os.path.exists(PDNS) and os.access(PDNS, os.X_OK)) or not SCHEMA.exists():
        pytest.skip(f"PowerDNS with its sqlite3 backend is not installed ({PDNS}, {SCHEMA})")
    with sqlite3.connect(directory / "pdns.sqlite3") as database:
        database.executescript(SCHEMA.read_text())
    dns_port = free_port()
    api_port = next(port for port in iter(free_port, None) if port != dns_port)
    api_key = secrets.token_hex(16)
    (directory / "pdns.conf").write_text(pdns_conf_text(directory, dns_port, api_port, api_key))
    log = directory / "pdns.log"
    with log.open("w") as stream:
        process = subprocess.Popen([PDNS, f"--config-dir={directory}"], stdout=stream,
                                   stderr=subprocess.STDOUT)
    server = PdnsServer("127.0.0.1", dns_port, api_port, api_key, directory, process)
    try:
        wait_until_ready(process, server, log)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return server


def stop_pdns(server: PdnsServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    if not os.environ.get("MAILOPS_KEEP_PDNS"):
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def pdns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PdnsServer]:
    server = start_pdns(tmp_path_factory.mktemp("pdns"))
    yield server
    stop_pdns(server)
