"""pytest plugin: a real BIND9 (``named``) on a free loopback port, with a TSIG key.

``bind_server`` (session scope) starts ``/usr/sbin/named -g`` in a temporary directory serving
the zones of ``bind_zones`` (override that fixture to serve others), with ``running``, which
the zone corpus and the bench use too. A zone ``sub.<parent>`` is
delegated from ``<parent>`` when both are served. Tests are skipped cleanly when named is absent.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NAMED = os.environ.get("MAILOPS_NAMED", "/usr/sbin/named")
DEFAULT_ZONES = ("example.test", "sub.example.test", "bind-a.test", "bind-b.test")
KEY_NAME = "mailops-test-key"
KEY_ALGORITHM = "hmac-sha256"
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


@dataclass
class BindServer:
    host: str
    port: int
    key_name: str
    key_secret: str
    key_algorithm: str
    zones: list[str]
    directory: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def nameserver(self) -> str:
        """``host:port`` as the modules' ``nameservers`` option wants it."""
        return f"{self.host}:{self.port}"

    def keyring(self) -> dict:
        import dns.tsigkeyring

        return dns.tsigkeyring.from_text({self.key_name: (self.key_algorithm, self.key_secret)})

    def axfr(self, zone: str) -> set[str]:
        """All records of ``zone`` as sorted text lines (SOA left out: its serial changes)."""
        import dns.query
        import dns.rdatatype
        import dns.zone

        transfer = dns.query.xfr(
            self.host,
            zone.rstrip(".") + ".",
            port=self.port,
            keyring=self.keyring(),
            keyname=self.key_name,
            relativize=False,
        )
        loaded = dns.zone.from_xfr(transfer, relativize=False)
        lines = set()
        for name, ttl, rdata in loaded.iterate_rdatas():
            if rdata.rdtype != dns.rdatatype.SOA:
                lines.add(f"{name} {ttl} {dns.rdatatype.to_text(rdata.rdtype)} {rdata.to_text()}")
        return lines


def free_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free loopback port for named")


def zone_file_text(zone: str, zones: list[str]) -> str:
    lines = [
        "$TTL 300",
        f"@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 300",
        f"@ IN NS ns1.{zone}.",
        "ns1 IN A 127.0.0.1",
    ]
    for child in zones:
        if child.endswith("." + zone) and child.count(".") == zone.count(".") + 1:
            label = child[: -len(zone) - 1]
            lines.append(f"{label} IN NS ns1.{child}.")
            lines.append(f"ns1.{label} IN A 127.0.0.1")
    return "\n".join(lines) + "\n"


def named_conf_text(directory: Path, port: int, zones: list[str], secret: str) -> str:
    zone_blocks = "\n".join(
        f'zone "{zone}" {{ type primary; file "{directory}/{zone}.zone"; '
        f"update-policy {{ grant {KEY_NAME} zonesub ANY; }}; }};"
        for zone in zones
    )
    return f"""
key "{KEY_NAME}" {{ algorithm {KEY_ALGORITHM}; secret "{secret}"; }};
options {{
    directory "{directory}";
    pid-file "{directory}/named.pid";
    session-keyfile "{directory}/session.key";
    managed-keys-directory "{directory}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query {{ 127.0.0.1; }};
    allow-transfer {{ key {KEY_NAME}; }};
}};
controls {{ }};
{zone_blocks}
"""


def wait_until_ready(process: subprocess.Popen, port: int, zone: str, log: Path) -> None:
    import dns.message
    import dns.query

    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"named exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            dns.query.udp(dns.message.make_query(zone, "SOA"), "127.0.0.1", port=port, timeout=0.5)
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError(f"named did not answer within {STARTUP_TIMEOUT}s: {log.read_text()[-2000:]}")


@contextmanager
def running(directory: Path, zone_files: dict[str, str]) -> Iterator[BindServer]:
    """The one way this project starts BIND9 (the fixtures here, the zone corpus, the bench):
    ``named -g`` serving each zone of ``zone_files`` (zone -> zone file text, written to
    ``directory``) on a free loopback port, updatable and transferable with a fresh TSIG key;
    ready once the last zone answers; stopped when the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    zones = list(zone_files)
    for zone, text in zone_files.items():
        (directory / f"{zone}.zone").write_text(text)
    port = free_port()
    secret = base64.b64encode(os.urandom(32)).decode("ascii")
    conf = directory / "named.conf"
    conf.write_text(named_conf_text(directory, port, zones, secret))
    log = directory / "named.log"
    with log.open("w") as log_stream:
        process = subprocess.Popen(
            [NAMED, "-g", "-c", str(conf)], stdout=log_stream, stderr=subprocess.STDOUT
        )
    try:
        wait_until_ready(process, port, zones[-1], log)
        yield BindServer("127.0.0.1", port, KEY_NAME, secret, KEY_ALGORITHM, zones, directory,
                         process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def installed() -> bool:
    return os.path.exists(NAMED) and os.access(NAMED, os.X_OK)


@pytest.fixture(scope="session")
def bind_zones() -> list[str]:
    """Zones the BIND server serves from the start (override to add zones)."""
    return list(DEFAULT_ZONES)


@pytest.fixture(scope="session")
def bind_server(tmp_path_factory: pytest.TempPathFactory, bind_zones: list[str]):
    if not installed():
        pytest.skip(f"BIND9 is not installed ({NAMED} missing)")
    pytest.importorskip("dns")
    directory = tmp_path_factory.mktemp("bind")
    with running(directory, {zone: zone_file_text(zone, bind_zones) for zone in bind_zones}) as server:
        yield server
    if not os.environ.get("MAILOPS_KEEP_BIND"):
        shutil.rmtree(directory, ignore_errors=True)
