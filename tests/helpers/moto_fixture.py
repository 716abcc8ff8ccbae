"""pytest plugin: moto's server (``moto_server``, a third-party AWS emulator) on a free loopback
port, as the tests' Route 53.

``moto_route53`` (session scope) starts it with its request recorder on, so a test can count the
writes a run sent (``Route53Server.writes``). ``create_zone`` makes a public hosted zone with
RRsets through boto3. moto is looser than Route 53 (docs/dns.md, Route 53): what it lets through,
the provider refuses itself. Skipped when moto is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.bind_fixture import free_port

STARTUP_TIMEOUT = 30.0
ACCESS_KEY_ID = "AKIAMOTOEXAMPLE00001"
SECRET_ACCESS_KEY = "moto-secret-not-checked-by-moto-0001"


@dataclass
class Route53Server:
    endpoint_url: str
    recording: Path
    directory: Path
    process: subprocess.Popen = field(repr=False)
    _client: Any = field(default=None, repr=False)
    _zone_ids: dict[str, str] = field(default_factory=dict, repr=False)

    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("route53", region_name="us-east-1",
                                        endpoint_url=self.endpoint_url,
                                        aws_access_key_id=ACCESS_KEY_ID,
                                        aws_secret_access_key=SECRET_ACCESS_KEY)
        return self._client

    def create_zone(self, zone: str, rrsets: list[dict[str, Any]] | None = None) -> str:
        """A public hosted zone; ``rrsets`` are Route 53 ResourceRecordSets. Its id."""
        client = self.client()
        created = client.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)
        zone_id = self._zone_ids[zone] = created["HostedZone"]["Id"].split("/")[-1]
        if rrsets:
            client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
                {"Action": "UPSERT", "ResourceRecordSet": rrset} for rrset in rrsets]})
        return zone_id

    def zone_id(self, zone: str) -> str:
        if zone not in self._zone_ids:
            zones = self.client().list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
            self._zone_ids[zone] = next(z["Id"].split("/")[-1] for z in zones
                                        if z["Name"] == zone.rstrip(".") + ".")
        return self._zone_ids[zone]

    def rrsets(self, zone: str) -> list[dict[str, Any]]:
        paginator = self.client().get_paginator("list_resource_record_sets")
        return [rrset for page in paginator.paginate(HostedZoneId=self.zone_id(zone))
                for rrset in page["ResourceRecordSets"]]

    def requests(self) -> list[dict[str, Any]]:
        if not self.recording.exists():
            return []
        return [json.loads(line) for line in self.recording.read_text().splitlines() if line]

    def writes(self, zone_id: str | None = None) -> int:
        """ChangeResourceRecordSets requests received (for one zone when given)."""
        return sum(1 for entry in self.requests()
                   if entry["method"] == "POST" and "/rrset" in entry["url"]
                   and (zone_id is None or f"/hostedzone/{zone_id}/" in entry["url"]))


def start_moto(directory: Path) -> Route53Server:
    executable = Path(sys.executable).parent / "moto_server"
    if not executable.exists():
        pytest.skip("moto's server is not installed (pip install 'moto[server]')")
    port = free_port()
    recording = directory / "recording.jsonl"
    log = directory / "moto.log"
    environment = dict(os.environ, MOTO_ENABLE_RECORDING="1",
                       MOTO_RECORDER_FILEPATH=str(recording))
    with log.open("w") as stream:
        process = subprocess.Popen([str(executable), "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=stream, stderr=subprocess.STDOUT, env=environment)
    server = Route53Server(f"http://127.0.0.1:{port}", recording, directory, process)
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"moto_server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            session.get(f"{server.endpoint_url}/moto-api/", timeout=1)
            return server
        except requests.ConnectionError:
            time.sleep(0.1)
    process.terminate()
    pytest.fail(f"moto_server did not answer within {STARTUP_TIMEOUT}s: {log.read_text()[-2000:]}")


def stop_moto(server: Route53Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def moto_route53(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Route53Server]:
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    stop_moto(server)
