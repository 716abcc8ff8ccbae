"""Route 53 in the sandbox: moto's server, a third-party emulator of the AWS API, run as a child
process when the seed has a ``route53:`` section, holding the seed's hosted zones; and the view
of those zones that the sandbox's DNS server answers from (moto does not answer DNS).

moto is looser than Route 53 (it checks no signature and lets through what Route 53 refuses);
the project's client enforces Route 53's rules itself (docs/dns.md, Route 53).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from sandbox.dnspod import Record, Zone

log = logging.getLogger("sandbox.route53")
START_TIMEOUT_S = 30.0
VIEW_TTL_S = 1.0  # the DNS view re-reads moto at most once a second per zone
# moto checks no credentials; the sandbox seeds its zones with this pair (fake, like all here)
SEED_CREDENTIALS = {"aws_access_key_id": "AKIASANDBOXSEED00001",
                    "aws_secret_access_key": "sandbox-seed-secret-not-checked"}


def moto_executable() -> Path:
    return Path(sys.executable).parent / "moto_server"


class Route53Moto:
    def __init__(self, host: str, port: int, seed: dict[str, Any], log_path: Path) -> None:
        self.host, self.port = host, port
        self.zones_seed = list(seed.get("zones") or [])
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.session = requests.Session()
        self.session.trust_env = False
        self.lock = threading.Lock()
        self.zone_ids: dict[str, str] = {}  # name -> hosted zone id
        self.numbers: dict[str, int] = {}   # hosted zone id -> the view's Zone.id
        self.cache: dict[str, tuple[float, Any]] = {}
        self._client: Any = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ----------------------------------------------------------------------------- process
    def start(self) -> None:
        if not moto_executable().exists():
            log.warning("moto_server not found beside %s: Route 53 is not served "
                        "(pip install -r requirements-sandbox.txt)", sys.executable)
            return
        with open(self.log_path, "ab") as stream:
            self.process = subprocess.Popen(
                [str(moto_executable()), "-H", self.host, "-p", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=stream, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log.error("moto_server did not start; see %s", self.log_path)
                return
            time.sleep(0.05)
        for zone in self.zones_seed:
            self.create_zone(zone)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def healthy(self) -> bool:
        try:
            return self.session.get(f"{self.url}/moto-api/", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    # -------------------------------------------------------------------------------- seed
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.session.Session().client(
                "route53", region_name="us-east-1", endpoint_url=self.url, **SEED_CREDENTIALS)
        return self._client

    def create_zone(self, zone: dict[str, Any]) -> None:
        """A public hosted zone with the seed's records (``name`` relative, ``@`` the apex;
        TXT values unquoted, stored quoted in ≤255-byte strings as Route 53 wants them)."""
        name = zone["name"].rstrip(".").lower()
        created = self.client().create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)
        zone_id = created["HostedZone"]["Id"].split("/")[-1]
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for record in zone.get("records") or []:
            owner = name if record["name"] in ("@", "") else f"{record['name']}.{name}"
            rrset = grouped.setdefault((owner, record["type"]), {
                "Name": owner + ".", "Type": record["type"], "TTL": int(record.get("ttl", 600)),
                "ResourceRecords": []})
            rrset["ResourceRecords"].append({"Value": stored_value(record)})
        if grouped:
            self.client().change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
                "Changes": [{"Action": "UPSERT", "ResourceRecordSet": r} for r in grouped.values()]})

    # ---------------------------------------------------------------- the DNS server's view
    def hosted_zone(self, name: str) -> Zone | None:
        """The public hosted zone called ``name`` as a DNS zone, if moto holds one."""
        if self.process is None:
            return None
        zone_ids = self._cached("zones", self._list_zones)
        zone_id = zone_ids.get(name)
        if zone_id is None:
            return None
        with self.lock:
            number = self.numbers.setdefault(zone_id, 1_000_000 + len(self.numbers))
            self.zone_ids[name] = zone_id
        return Zone(number, name, "", "route53", 1, 0.0, "", "")

    def zone_records(self, number: int) -> list[Record]:
        zone_id = next(z for z, n in self.numbers.items() if n == number)
        name = next(n for n, z in self.zone_ids.items() if z == zone_id)
        rrsets = self._cached(zone_id, lambda: self._rrsets(zone_id))
        records = []
        for rrset in rrsets:
            if rrset["Type"] == "SOA" or "ResourceRecords" not in rrset:
                continue
            owner = rrset["Name"].rstrip(".").lower()
            relative = "@" if owner == name else owner[: -len(name) - 1]
            for item in rrset["ResourceRecords"]:
                value, mx = served_value(rrset["Type"], item["Value"])
                records.append(Record(len(records) + 1, number, relative, rrset["Type"], value,
                                      mx, int(rrset.get("TTL", 300)), "", "", "ENABLE", None, "",
                                      False, "", 0.0))
        return records

    def _cached(self, key: str, read: Any) -> Any:
        with self.lock:
            hit = self.cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < VIEW_TTL_S:
            return hit[1]
        value = read()
        with self.lock:
            self.cache[key] = (time.monotonic(), value)
        return value

    def _list_zones(self) -> dict[str, str]:
        paginator = self.client().get_paginator("list_hosted_zones")
        return {z["Name"].rstrip(".").lower(): z["Id"].split("/")[-1]
                for page in paginator.paginate() for z in page["HostedZones"]
                if not (z.get("Config") or {}).get("PrivateZone")}

    def _rrsets(self, zone_id: str) -> list[dict[str, Any]]:
        paginator = self.client().get_paginator("list_resource_record_sets")
        return [r for page in paginator.paginate(HostedZoneId=zone_id)
                for r in page["ResourceRecordSets"]]


def stored_value(record: dict[str, Any]) -> str:
    value = str(record["value"])
    if record["type"] == "TXT":
        data = value.encode("utf-8")
        chunks = [data[i:i + 255].decode("utf-8", "ignore") for i in range(0, len(data), 255)]
        return " ".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks or [""])
    if record["type"] == "MX":
        return f"{record.get('mx', 10)} {value.rstrip('.')}."
    if record["type"] in ("CNAME", "NS"):
        return value.rstrip(".") + "."
    return value


def served_value(rtype: str, stored: str) -> tuple[str, int]:
    """A Route 53 value in the DNS server's record form: TXT as ``a" "b`` (outer quotes off,
    escapes undone), MX split into preference and target."""
    if rtype == "TXT":
        text = stored.strip()
        if text.startswith('"') and text.endswith('"'):
            text = text[1:-1]
        return text.replace('\\"', '"').replace("\\\\", "\\"), 0
    if rtype == "MX":
        preference, _, target = stored.partition(" ")
        return target, int(preference)
    return stored, 0
