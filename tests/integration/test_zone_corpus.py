"""Zone corpus: pre-existing zones (``tests/zone_corpus/*.yml``) with their expected plans, run
against the DNSPod emulator (sandbox, provider ``dnspod``) and a real BIND9 (``rfc2136``).

For every case, policy and provider: the plan equals the expected plan (or raises the expected
ConflictError, naming the record); apply does what the plan said; a second run changes nothing
and writes nothing (DNSPod: no write request; BIND: SOA serials unchanged); the 2048-bit DKIM
key reads back equal; and every record the plan did not name is byte-for-byte the same in a full
zone dump (DescribeRecordList over the whole zone / AXFR with the TSIG key) before and after.
Each case asserts its own figures (unmanaged records changed and unplanned writes: must be 0)
and records its row as a test property; pytest's terminal summary prints the table and the DNS
safety figure from every case of the session, whichever xdist worker ran it
(``tests/helpers/zone_corpus_report.py``).

Each case and policy gets its own zones, ``<case>-<policy>.corpus.example`` (``{base}`` in the
fixtures), so the variants do not see each other's writes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.mailops.dns.record_set import run_record_set
from ansible.module_utils.mailops.dns.txt import parse_txt
from ansible.module_utils.mailops.errors import ConflictError, MailopsError

from tests.helpers.bind_fixture import NAMED, BindServer, installed, running
from tests.helpers.moto_fixture import ACCESS_KEY_ID, SECRET_ACCESS_KEY, Route53Server
from tests.helpers.pdns_fixture import PdnsServer, start_pdns, stop_pdns
from tests.helpers.sandbox_fixture import SandboxHandle, default_seed, start_sandbox
from tests.helpers.zone_corpus_report import ROW_PROPERTY

CORPUS_DIR = Path(__file__).resolve().parents[1] / "zone_corpus"
SUFFIX = "corpus.example"
POLICY_SHORT = {"keep_and_fail": "fail", "keep_and_warn": "warn", "replace": "replace"}
SPF_VALUE = "v=spf1 include:spf.sendcloud.org ~all"
DMARC_VALUE = "v=DMARC1; p=none; rua=mailto:dmarc-reports@sendcloud.org; fo=1"
MX_TARGET = "mx.sendcloud.org"
DKIM_SELECTOR = "sendcloud._domainkey"
TTL = 600  # DNSPod free plans' floor: no clamping warning on either provider
BIND_DEFAULT_TTL = 300
DNSPOD_ACCOUNT = {
    "secret_id": "AKIDcorpus5f1e0c2b7a9d48e3b6c1f0a2",
    "secret_key": "c0rpusd5e8a1f4b7c2e9d6a3f0b5c8e1",
}
CLOUDFLARE_TOKEN = "cf-corpus-token-5f1e0c2b7a9d48e3b6c1f0a2"
ERRORS = {"ConflictError": ConflictError}
TAMPERED_DKIM = "k=rsa; p=changed-in-the-console"
# DNSPod zones for the dns_ttl change test: zone -> (plan grade, its TTL floor)
TTL_ZONES = {
    "ttl-pro.corpus.example": ("DP_Pro", 120),
    "ttl-free.corpus.example": ("DP_Free", 600),
}

# ------------------------------------------------------------------------------ the corpus
def _subst(text: str, base: str, i: int | None = None) -> str:
    text = text.replace("{base}", base)
    return text if i is None else text.replace("{i}", str(i))


def _fqdn(relative: str, zone: str) -> str:
    return zone if relative in ("@", "") else f"{relative}.{zone}"


@dataclass
class Variant:
    case_id: str
    policy: str
    base: str
    domain: str
    zone: str  # the zone holding the sending domain
    zones: dict[str, list[dict[str, Any]]]  # zone fqdn -> pre-existing records (relative names)
    plan: list[tuple[str, str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    served: list[tuple[str, str, str]] = field(default_factory=list)
    raises: str | None = None
    message_contains: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.case_id}-{POLICY_SHORT[self.policy]}"

    @property
    def dkim_name(self) -> str:
        return f"{DKIM_SELECTOR}.{self.domain}"


def _zone_records(spec: dict[str, Any], base: str) -> list[dict[str, Any]]:
    records = []
    filler = spec.get("filler") or {}
    templates = filler.get("templates") or []
    for i in range(1, int(filler.get("count", 0)) + 1):
        template = templates[(i - 1) % len(templates)]
        records.append(
            {k: _subst(v, base, i) if isinstance(v, str) else v for k, v in template.items()}
        )
    for record in spec.get("records") or []:
        record = {k: _subst(v, base) if isinstance(v, str) else v for k, v in record.items()}
        if "strings" in record:  # TXT as explicit character-strings (zone file); DNSPod: as
            # its owner enters them in the console, "a" "b" (DNSPod keeps a" "b)
            record["value"] = " ".join(f'"{part}"' for part in record["strings"])
        records.append(record)
    return records


def load_corpus() -> list[Variant]:
    variants = []
    for path in sorted(CORPUS_DIR.glob("*.yml")):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        for spec in case["variants"]:
            policy = spec["on_conflict"]
            base = f"{case['id']}-{POLICY_SHORT[policy]}.{SUFFIX}"
            zones = {_fqdn(z["name"], base): _zone_records(z, base) for z in case["zones"]}
            variants.append(
                Variant(
                    case_id=case["id"],
                    policy=policy,
                    base=base,
                    domain=_fqdn(case["domain"], base),
                    zone=_fqdn(spec.get("zone", "@"), base),
                    zones=zones,
                    plan=[(a, t, _fqdn(n, base)) for a, t, n in spec.get("plan") or []],
                    kept=[(t, _fqdn(n, base)) for t, n in spec.get("kept") or []],
                    served=[(t, _fqdn(n, base), v) for t, n, v in spec.get("served") or []],
                    raises=spec.get("raises"),
                    message_contains=[_subst(m, base) for m in spec.get("message_contains") or []],
                )
            )
    return variants


VARIANTS = load_corpus()


def desired_records(variant: Variant, dkim: str) -> list[dict[str, Any]]:
    domain = variant.domain + "."
    return [
        {"type": "TXT", "name": domain, "value": SPF_VALUE, "purpose": "spf"},
        {"type": "TXT", "name": variant.dkim_name + ".", "value": dkim, "purpose": "dkim"},
        {"type": "MX", "name": domain, "value": MX_TARGET, "priority": 10, "purpose": "mx"},
        {"type": "TXT", "name": f"_dmarc.{domain}", "value": DMARC_VALUE, "purpose": "dmarc"},
    ]


def expand(value: str, dkim: str) -> str:
    return {"$DKIM": dkim, "$DMARC": DMARC_VALUE, "$SPF": SPF_VALUE}.get(value, value)


@pytest.fixture(scope="module")
def dkim_value() -> str:
    """``k=rsa; p=<base64 SubjectPublicKeyInfo>`` of a fresh 2048-bit RSA key (> 255 bytes)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    value = "k=rsa; p=" + base64.b64encode(der).decode("ascii")
    assert len(value.encode()) > 255
    return value


# ------------------------------------------------------------------------ zone dumps
# A dump maps an identity to (raw, key): ``raw`` is compared byte for byte, ``key`` is the
# logical (name, type, value, priority) the plan's before/after records are matched on.
Key = tuple[str, str, str, int | None]
Dump = dict[str, tuple[str, Key]]


def change_key(record: dict[str, Any]) -> Key:
    rtype = record["type"]
    return (record["name"], rtype, record["value"], record["priority"] if rtype == "MX" else None)


class Backend:
    name: str

    def params(self, variant: Variant, dkim: str) -> dict[str, Any]:
        raise NotImplementedError

    def dump(self, zone: str) -> Dump:
        raise NotImplementedError

    def write_marker(self, variant: Variant) -> object:
        """Changes whenever something was written (or a write was attempted)."""
        raise NotImplementedError

    def check_dkim_encoding(self, variant: Variant, dkim: str) -> None:
        """Provider-specific check that the long key is stored the way the provider needs."""

    def tamper(self, variant: Variant, value: str) -> None:
        """Change the DKIM record behind the project's back (as a console user would)."""
        raise NotImplementedError


def check_served_dkim(host: str, port: int, variant: Variant, dkim: str) -> None:
    """The server answers the DKIM key as one record of ≥ 2 strings of ≤ 255 bytes."""
    import dns.message
    import dns.query

    query = dns.message.make_query(variant.dkim_name + ".", "TXT")
    response = dns.query.tcp(query, host, port=port, timeout=5)
    strings = [rdata.strings for rrset in response.answer for rdata in rrset]
    assert len(strings) == 1, strings
    assert len(strings[0]) >= 2 and all(len(s) <= 255 for s in strings[0])
    assert b"".join(strings[0]).decode() == dkim


class DnspodBackend(Backend):
    name = "dnspod"

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox

    def params(self, variant: Variant, dkim: str) -> dict[str, Any]:
        return {
            "tenant": "corpus",
            "state": "present",
            "zone": None,
            "records": desired_records(variant, dkim),
            "ttl": TTL,
            "provider": "dnspod",
            "on_conflict": variant.policy,
            "nameservers": [],
            "dnspod_secret_id": DNSPOD_ACCOUNT["secret_id"],
            "dnspod_secret_key": DNSPOD_ACCOUNT["secret_key"],
            "dnspod_api_endpoint": self.sandbox.dnspod_endpoint,
            "dnspod_api_scheme": "http",
        }

    def items(self, zone: str) -> list[dict[str, Any]]:
        """Every record of the zone, DescribeRecordList paged at 100."""
        items: list[dict[str, Any]] = []
        while True:
            response = self.sandbox.dnspod_call(
                zone, "DescribeRecordList", {"Domain": zone, "Offset": len(items), "Limit": 3000}
            )
            page = response["RecordList"]
            items += page
            if len(items) >= response["RecordCountInfo"]["TotalCount"] or not page:
                return items

    def dump(self, zone: str) -> Dump:
        dump: Dump = {}
        for item in self.items(zone):
            rtype = item["Type"]
            name = _fqdn(item["Name"], zone)
            value = item["Value"]
            if rtype in ("MX", "CNAME", "NS"):
                value = value.lower().rstrip(".")
            if rtype == "TXT":  # a" "b: strings entered split (the corpus has no escapes)
                value = "".join(value.split('" "'))
            key = (name, rtype, value, item["MX"] if rtype == "MX" else None)
            dump[str(item["RecordId"])] = (json.dumps(item, sort_keys=True, ensure_ascii=False), key)
        return dump

    def write_marker(self, variant: Variant) -> object:
        return len(self.sandbox.requests(kind="write"))

    def tamper(self, variant: Variant, value: str) -> None:
        host = variant.dkim_name[: -len(variant.zone) - 1]
        item = next(i for i in self.items(variant.zone) if i["Name"] == host and i["Type"] == "TXT")
        self.sandbox.dnspod_call(variant.zone, "ModifyRecord", {
            "Domain": variant.zone, "RecordId": item["RecordId"], "SubDomain": host,
            "RecordType": "TXT", "RecordLine": "默认", "Value": value, "TTL": item["TTL"]})


class BindBackend(Backend):
    name = "rfc2136"

    def __init__(self, server: BindServer) -> None:
        self.server = server

    def params(self, variant: Variant, dkim: str) -> dict[str, Any]:
        return {
            "tenant": "corpus",
            "state": "present",
            "zone": None,
            "records": desired_records(variant, dkim),
            "ttl": TTL,
            "provider": "rfc2136",
            "on_conflict": variant.policy,
            "nameservers": [self.server.nameserver],
            "rfc2136_server": self.server.host,
            "rfc2136_port": self.server.port,
            "rfc2136_key_name": self.server.key_name,
            "rfc2136_key_secret": self.server.key_secret,
            "rfc2136_key_algorithm": self.server.key_algorithm,
        }

    def transfer(self, zone: str) -> Any:
        import dns.query
        import dns.zone

        xfr = dns.query.xfr(
            self.server.host,
            zone + ".",
            port=self.server.port,
            keyring=self.server.keyring(),
            keyname=self.server.key_name,
            relativize=False,
        )
        return dns.zone.from_xfr(xfr, relativize=False)

    def dump(self, zone: str) -> Dump:
        import dns.rdatatype

        dump: Dump = {}
        for name, ttl, rdata in self.transfer(zone).iterate_rdatas():
            rtype = dns.rdatatype.to_text(rdata.rdtype)
            if rtype == "SOA":  # its serial changes on every write: compared by write_marker
                continue
            line = f"{name} {ttl} IN {rtype} {rdata.to_text()}"
            fqdn = name.to_text(omit_final_dot=True).lower()
            priority = None
            if rtype == "TXT":
                value = b"".join(rdata.strings).decode("utf-8", errors="replace")
            elif rtype == "MX":
                value = rdata.exchange.to_text(omit_final_dot=True).lower()
                priority = rdata.preference
            elif rtype in ("CNAME", "NS"):
                value = rdata.target.to_text(omit_final_dot=True).lower()
            else:
                value = rdata.to_text()
            dump[line] = (line, (fqdn, rtype, value, priority))
        return dump

    def write_marker(self, variant: Variant) -> object:
        import dns.rdatatype

        serials = {}
        for zone in variant.zones:
            soa = self.transfer(zone).find_rdataset(zone + ".", dns.rdatatype.SOA)
            serials[zone] = soa[0].serial
        return serials

    def check_dkim_encoding(self, variant: Variant, dkim: str) -> None:
        check_served_dkim(self.server.host, self.server.port, variant, dkim)

    def tamper(self, variant: Variant, value: str) -> None:
        import dns.query
        import dns.update

        update = dns.update.UpdateMessage(variant.zone + ".", keyring=self.server.keyring(),
                                          keyname=self.server.key_name)
        update.replace(variant.dkim_name + ".", TTL, "TXT", _quote_txt(value))
        dns.query.tcp(update, self.server.host, port=self.server.port, timeout=5)


class PowerdnsBackend(Backend):
    name = "powerdns"

    def __init__(self, server: PdnsServer) -> None:
        self.server = server

    def params(self, variant: Variant, dkim: str) -> dict[str, Any]:
        return {
            "tenant": "corpus", "state": "present", "zone": None,
            "records": desired_records(variant, dkim), "ttl": TTL, "provider": "powerdns",
            "on_conflict": variant.policy, "nameservers": [self.server.nameserver],
            "powerdns_api_url": self.server.api_url, "powerdns_api_key": self.server.api_key,
            "powerdns_server_id": "localhost",
        }

    def dump(self, zone: str) -> Dump:
        dump: Dump = {}
        for rrset in self.server.zone(zone)["rrsets"]:
            rtype, fqdn = rrset["type"], rrset["name"].rstrip(".")
            if rtype == "SOA":  # its serial changes on every write: compared by write_marker
                continue
            for item in rrset["records"]:
                content, priority = item["content"], None
                value = content
                if rtype == "TXT":
                    value = parse_txt(content)
                elif rtype == "MX":
                    priority_text, _, value = content.partition(" ")
                    priority, value = int(priority_text), value.lower().rstrip(".")
                elif rtype in ("CNAME", "NS"):
                    value = content.lower().rstrip(".")
                raw = f"{fqdn} {rrset['ttl']} {rtype} {content} disabled={item['disabled']}"
                dump[f"{fqdn} {rtype} {content}"] = (raw, (fqdn, rtype, value, priority))
        return dump

    def write_marker(self, variant: Variant) -> object:
        return {zone: self.server.zone(zone)["edited_serial"] for zone in variant.zones}

    def check_dkim_encoding(self, variant: Variant, dkim: str) -> None:
        check_served_dkim(self.server.host, self.server.dns_port, variant, dkim)

    def tamper(self, variant: Variant, value: str) -> None:
        self.server.patch(variant.zone, [{
            "name": variant.dkim_name + ".", "type": "TXT", "ttl": TTL, "changetype": "REPLACE",
            "records": [{"content": _quote_txt(value), "disabled": False}]}])


class Route53Backend(Backend):
    name = "route53"

    def __init__(self, server: Route53Server) -> None:
        self.server = server

    def params(self, variant: Variant, dkim: str) -> dict[str, Any]:
        return {
            "tenant": "corpus", "state": "present", "zone": None,
            "records": desired_records(variant, dkim), "ttl": TTL, "provider": "route53",
            "on_conflict": variant.policy, "nameservers": [],
            "route53_access_key_id": ACCESS_KEY_ID,
            "route53_secret_access_key": SECRET_ACCESS_KEY,
            "route53_endpoint_url": self.server.endpoint_url,
        }

    def dump(self, zone: str) -> Dump:
        dump: Dump = {}
        for rrset in self.server.rrsets(zone):
            rtype, fqdn = rrset["Type"], rrset["Name"].rstrip(".").lower()
            if rtype == "SOA":
                continue
            for item in rrset.get("ResourceRecords", []):
                stored, priority = item["Value"], None
                value = stored
                if rtype == "TXT":
                    value = parse_txt(stored)
                elif rtype == "MX":
                    priority_text, _, value = stored.partition(" ")
                    priority, value = int(priority_text), value.lower().rstrip(".")
                elif rtype in ("CNAME", "NS"):
                    value = stored.lower().rstrip(".")
                raw = f"{fqdn} {rrset['TTL']} {rtype} {stored}"
                dump[f"{fqdn} {rtype} {stored}"] = (raw, (fqdn, rtype, value, priority))
        return dump

    def write_marker(self, variant: Variant) -> object:
        return {zone: self.server.writes(self.server.zone_id(zone)) for zone in variant.zones}

    def check_dkim_encoding(self, variant: Variant, dkim: str) -> None:
        (rrset,) = [r for r in self.server.rrsets(variant.zone)
                    if r["Name"] == variant.dkim_name + "." and r["Type"] == "TXT"]
        (stored,) = [item["Value"] for item in rrset["ResourceRecords"]]
        strings = stored[1:-1].split('" "')
        assert len(strings) >= 2 and all(len(s.encode()) <= 255 for s in strings), stored
        assert "".join(strings) == dkim

    def tamper(self, variant: Variant, value: str) -> None:
        self.server.client().change_resource_record_sets(
            HostedZoneId=self.server.zone_id(variant.zone), ChangeBatch={"Changes": [{
                "Action": "UPSERT", "ResourceRecordSet": {
                    "Name": variant.dkim_name + ".", "Type": "TXT", "TTL": TTL,
                    "ResourceRecords": [{"Value": _quote_txt(value)}]}}]})


class CloudflareBackend(Backend):
    """The sandbox's Cloudflare emulator, read and tampered with through the official SDK."""

    name = "cloudflare"

    def __init__(self, sandbox: SandboxHandle) -> None:
        from cloudflare import Cloudflare

        self.sandbox = sandbox
        self.client = Cloudflare(api_token=CLOUDFLARE_TOKEN, base_url=sandbox.cloudflare_url,
                                 max_retries=0)

    def params(self, variant: Variant, dkim: str) -> dict[str, Any]:
        return {
            "tenant": "corpus", "state": "present", "zone": None,
            "records": desired_records(variant, dkim), "ttl": TTL, "provider": "cloudflare",
            "on_conflict": variant.policy, "nameservers": [],
            "cloudflare_api_token": CLOUDFLARE_TOKEN,
            "cloudflare_api_base_url": self.sandbox.cloudflare_url,
        }

    def zone_id(self, zone: str) -> str:
        return self.client.zones.list(name=zone).result[0].id

    def items(self, zone: str) -> list[Any]:
        return list(self.client.dns.records.list(zone_id=self.zone_id(zone), per_page=100))

    def dump(self, zone: str) -> Dump:
        dump: Dump = {}
        for item in self.items(zone):
            rtype, value = item.type, item.content
            priority = int(item.priority) if rtype == "MX" else None
            if rtype == "TXT":
                value = parse_txt(value)
            elif rtype in ("MX", "CNAME", "NS"):
                value = value.lower().rstrip(".")
            dump[item.id] = (item.to_json(), (item.name, rtype, value, priority))
        return dump

    def write_marker(self, variant: Variant) -> object:
        return len([r for r in self.sandbox.requests(kind="write")
                    if r["component"] == "cloudflare"])

    def check_dkim_encoding(self, variant: Variant, dkim: str) -> None:
        (item,) = [i for i in self.items(variant.zone)
                   if i.name == variant.dkim_name and i.type == "TXT"]
        strings = item.content[1:-1].split('" "')
        assert len(strings) >= 2 and all(len(s.encode()) <= 255 for s in strings), item.content
        assert "".join(strings) == dkim

    def tamper(self, variant: Variant, value: str) -> None:
        (item,) = [i for i in self.items(variant.zone)
                   if i.name == variant.dkim_name and i.type == "TXT"]
        self.client.dns.records.edit(item.id, zone_id=self.zone_id(variant.zone),
                                     name=item.name, type="TXT", content=f'"{value}"',
                                     ttl=int(item.ttl))


def route53_rrsets(zone: str, records: list[dict[str, Any]], all_zones: list[str]) -> list[dict]:
    """The corpus records of ``zone`` as Route 53 ResourceRecordSets."""
    return [{"Name": rrset["name"], "Type": rrset["type"], "TTL": rrset["ttl"],
             "ResourceRecords": [{"Value": item["content"]} for item in rrset["records"]]}
            for rrset in pdns_rrsets(zone, records, all_zones)]


def pdns_rrsets(zone: str, records: list[dict[str, Any]], all_zones: list[str]) -> list[dict]:
    """The corpus records of ``zone`` as PowerDNS RRsets (with the delegation of a child zone
    served here too), contents in presentation format as a zone file has them."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}

    def add(name: str, rtype: str, content: str, ttl: int) -> None:
        fqdn = _fqdn(name, zone) + "."
        rrset = grouped.setdefault((fqdn, rtype), {"name": fqdn, "type": rtype, "ttl": ttl,
                                                   "records": []})
        rrset["records"].append({"content": content, "disabled": False})

    for child in all_zones:
        if child.endswith("." + zone):
            label = child[: -len(zone) - 1]
            add(label, "NS", f"ns1.{child}.", BIND_DEFAULT_TTL)
            add(f"ns1.{label}", "A", "127.0.0.1", BIND_DEFAULT_TTL)
    for record in records:
        rtype, value = record["type"], record["value"]
        if rtype == "TXT" and "strings" in record:
            content = " ".join(_quote_txt(part) for part in record["strings"])
        elif rtype == "TXT":
            content = _quote_txt(value)
        elif rtype == "MX":
            content = f"{record.get('mx', 0)} {value.rstrip('.')}."
        elif rtype in ("CNAME", "NS"):
            content = value.rstrip(".") + "."
        else:
            content = value
        add(record["name"], rtype, content, record.get("ttl", BIND_DEFAULT_TTL))
    return list(grouped.values())


# ---------------------------------------------------------------------- BIND zone files
def _quote_txt(value: str) -> str:
    data = value.encode("utf-8")
    chunks = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
    quoted = []
    for chunk in chunks:
        text = chunk.decode("utf-8").replace("\\", "\\\\").replace('"', '\\"')
        quoted.append(f'"{text}"')
    return " ".join(quoted)


def zone_file(zone: str, records: list[dict[str, Any]], all_zones: list[str]) -> str:
    lines = [
        f"$TTL {BIND_DEFAULT_TTL}",
        f"@ IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 600 86400 300",
        f"@ IN NS ns1.{zone}.",
        "ns1 IN A 127.0.0.1",
    ]
    for child in all_zones:  # delegation and glue for a child zone served here too
        if child.endswith("." + zone):
            label = child[: -len(zone) - 1]
            lines += [f"{label} IN NS ns1.{child}.", f"ns1.{label} IN A 127.0.0.1"]
    for record in records:
        rtype = record["type"]
        ttl = record.get("ttl", BIND_DEFAULT_TTL)
        rdata = record["value"]
        if rtype == "TXT" and "strings" in record:
            rdata = " ".join(_quote_txt(part) for part in record["strings"])
        elif rtype == "TXT":
            rdata = _quote_txt(rdata)
        elif rtype == "MX":
            rdata = f"{record.get('mx', 0)} {rdata}"
        lines.append(f"{record['name']} {ttl} IN {rtype} {rdata}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def corpus_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """A sandbox whose extra DNSPod account holds every corpus zone with its records."""
    seed = default_seed()
    zones = []
    for variant in VARIANTS:
        for zone, records in variant.zones.items():
            seeded = [
                {k: v for k, v in r.items() if k in ("name", "type", "value", "mx", "ttl")}
                for r in records
            ]
            for child in variant.zones:  # the parent delegates the child to DNSPod's servers
                if child.endswith("." + zone):
                    label = child[: -len(zone) - 1]
                    seeded += [
                        {"name": label, "type": "NS", "value": ns}
                        for ns in ("ns1.dnspod.net.", "ns2.dnspod.net.")
                    ]
            zones.append({"name": zone, "grade": "DP_Free", "records": seeded})
    zones += [{"name": zone, "grade": grade, "records": []}
              for zone, (grade, _) in TTL_ZONES.items()]
    seed["dnspod"]["accounts"].append({**DNSPOD_ACCOUNT, "label": "corpus", "zones": zones})
    handle = start_sandbox(tmp_path_factory.mktemp("corpus-sandbox"), seed=seed)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def corpus_cloudflare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """A sandbox whose extra Cloudflare token holds every corpus zone with its records."""
    seed = default_seed()
    zones = {zone: records for v in VARIANTS for zone, records in v.zones.items()}
    seed["cloudflare"]["tokens"].append({"token": CLOUDFLARE_TOKEN, "label": "corpus", "zones": [
        {"name": zone, "records": [
            {k: v for k, v in r.items() if k in ("name", "type", "value", "mx", "ttl")}
            for r in records]}
        for zone, records in zones.items()]})
    handle = start_sandbox(tmp_path_factory.mktemp("corpus-cloudflare"), seed=seed)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def corpus_pdns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PdnsServer]:
    """A PowerDNS of its own holding every corpus zone with its records."""
    server = start_pdns(tmp_path_factory.mktemp("corpus-pdns"))
    try:
        zones = {zone: records for v in VARIANTS for zone, records in v.zones.items()}
        for zone, records in zones.items():
            server.create_zone(zone, pdns_rrsets(zone, records, list(zones)))
        yield server
    finally:
        stop_pdns(server)


@pytest.fixture(scope="module")
def corpus_route53(moto_route53: Route53Server) -> Route53Server:
    """moto's Route 53 holding every corpus zone with its records (ids kept by moto)."""
    zones = {zone: records for v in VARIANTS for zone, records in v.zones.items()}
    for zone, records in zones.items():
        moto_route53.create_zone(zone, route53_rrsets(zone, records, list(zones)))
    return moto_route53


@pytest.fixture(scope="module")
def corpus_bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BindServer]:
    """A BIND9 of its own (bind_fixture.running, as ``bind_server``) serving every corpus zone."""
    if not installed():
        pytest.skip(f"BIND9 is not installed ({NAMED} missing)")
    pytest.importorskip("dns")
    zones = {zone: records for v in VARIANTS for zone, records in v.zones.items()}
    zone_files = {zone: zone_file(zone, records, list(zones)) for zone, records in zones.items()}
    with running(tmp_path_factory.mktemp("corpus-bind"), zone_files) as server:
        for zone in zones:  # every zone loaded (a zone-file error leaves it out, silently)
            server.axfr(zone)
        yield server


# ------------------------------------------------------------------------------ the run
def audit(before: Dump, after: Dump, changes: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Compare two dumps of a zone, allowing only what ``changes`` named."""
    touched_before = {change_key(c["before"]) for c in changes if c["before"]}
    touched_after = {change_key(c["after"]) for c in changes if c["after"]}
    changed = [
        raw
        for ident, (raw, key) in before.items()
        if (ident not in after or after[ident][0] != raw) and key not in touched_before
    ]
    unexpected = [
        raw
        for ident, (raw, key) in after.items()
        if (ident not in before or before[ident][0] != raw) and key not in touched_after
    ]
    return {"changed": changed, "unexpected": unexpected}


def not_done(after: dict[str, Dump], changes: list[dict[str, Any]]) -> list[str]:
    """Planned records missing after apply, or planned removals still there (all zones)."""
    after_keys = {key for dump in after.values() for _, key in dump.values()}
    touched_before = {change_key(c["before"]) for c in changes if c["before"]}
    touched_after = {change_key(c["after"]) for c in changes if c["after"]}
    return [str(key) for key in touched_after - after_keys] + [
        str(key) for key in (touched_before - touched_after) & after_keys
    ]


def dump_all(backend: Backend, variant: Variant) -> dict[str, Dump]:
    return {zone: backend.dump(zone) for zone in variant.zones}


def run_variant(backend: Backend, variant: Variant, dkim: str,
                record_property: Callable[[str, object], None]) -> dict[str, Any]:
    params = backend.params(variant, dkim)
    row: dict[str, Any] = {"case": variant.case_id, "on_conflict": variant.policy,
                           "provider": backend.name, "plan": "-", "apply": "-",
                           "second run": "-", "dkim": "-", "unmanaged changed": None}
    record_property(ROW_PROPERTY, row)  # as filled in when the test ends, passed or not
    before = dump_all(backend, variant)
    unmanaged = sum(len(d) for d in before.values())
    marker = backend.write_marker(variant)

    if variant.raises:
        for check_mode in (True, False):
            with pytest.raises(ERRORS[variant.raises]) as caught:
                run_record_set(params, check_mode=check_mode)
            for text in variant.message_contains:
                assert text in str(caught.value), str(caught.value)
        after = dump_all(backend, variant)
        assert backend.write_marker(variant) == marker, "a refused plan must write nothing"
        problems = {zone: audit(before[zone], after[zone], []) for zone in variant.zones}
        changed = sum(len(p["changed"]) for p in problems.values())
        unplanned = sum(len(p["unexpected"]) for p in problems.values())
        row.update({"plan": f"raises {variant.raises}", "apply": "nothing written",
                    "second run": "raises, 0 writes", "unmanaged changed": changed,
                    "unplanned writes": unplanned, "unmanaged": unmanaged})
        assert changed == 0 and unplanned == 0, problems
        return row

    planned = run_record_set(params, check_mode=True)
    assert backend.write_marker(variant) == marker, "check mode wrote"
    assert planned["zone"] == variant.zone
    plan = [(c["action"], c["type"], c["name"]) for c in planned["changes"]]
    assert plan == variant.plan
    kept = [(r["type"], r["name"]) for r in planned["records"] if r["action"] == "kept"]
    assert kept == variant.kept
    row["plan"] = "as expected"

    applied = run_record_set(params, check_mode=False)
    assert applied["changes"] == planned["changes"], "apply did not do what the plan said"
    assert applied["status"] == "applied"
    after = dump_all(backend, variant)
    problems = {
        zone: audit(before[zone], after[zone], applied["changes"]) for zone in variant.zones
    }
    changed = sum(len(p["changed"]) for p in problems.values())
    unplanned = sum(len(p["unexpected"]) for p in problems.values())
    row["unmanaged changed"] = changed
    row["unplanned writes"] = unplanned
    row["unmanaged"] = unmanaged - sum(
        1 for c in applied["changes"] if c["before"] is not None
    )
    assert not not_done(after, applied["changes"]), not_done(after, applied["changes"])
    assert changed == 0 and unplanned == 0, problems
    served = {key for dump in after.values() for _, key in dump.values()}
    for rtype, name, value in variant.served:
        assert (name, rtype, expand(value, dkim), None) in served, (rtype, name, value)
    row["apply"] = f"{len(applied['changes'])} change(s), as planned"

    marker = backend.write_marker(variant)
    second = run_record_set(params, check_mode=False)
    assert second["changed"] is False and second["changes"] == []
    assert {r["action"] for r in second["records"]} <= {"unchanged", "kept"}
    assert backend.write_marker(variant) == marker, "the second run wrote"
    assert dump_all(backend, variant) == after
    row["second run"] = "unchanged, 0 writes"

    dkim_outcome = [r for r in second["records"] if r["purpose"] == "dkim"][0]
    assert dkim_outcome["action"] == "unchanged" and dkim_outcome["value"] == dkim
    assert (variant.dkim_name, "TXT", dkim, None) in served
    backend.check_dkim_encoding(variant, dkim)
    row["dkim"] = f"{len(dkim)} B, round-trips"

    # the audit (a check-mode plan) finds the record changed behind its back; apply restores it
    backend.tamper(variant, TAMPERED_DKIM)
    audited = run_record_set(params, check_mode=True)
    assert [(c["action"], c["name"]) for c in audited["changes"]] == [
        ("update", variant.dkim_name)], audited["changes"]
    restored = run_record_set(params, check_mode=False)
    assert restored["changes"] == audited["changes"]
    assert run_record_set(params, check_mode=True)["changed"] is False
    row["audit"] = "finds the changed DKIM"
    return row


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_corpus_on_dnspod(variant: Variant, corpus_sandbox: SandboxHandle, dkim_value: str,
                          record_property: Callable[[str, object], None]):
    run_variant(DnspodBackend(corpus_sandbox), variant, dkim_value, record_property)


def test_dnspod_listing_pages_past_100(corpus_sandbox: SandboxHandle, dkim_value: str):
    """The paging case really needs the third page of DescribeRecordList (Limit 100): its plan
    (a read, whether or not the case was applied yet) asks for offsets 0, 100 and 200."""
    variant = next(v for v in VARIANTS if v.case_id == "paging" and not v.raises)
    earlier = len(corpus_sandbox.requests(action="DescribeRecordList"))
    run_record_set(DnspodBackend(corpus_sandbox).params(variant, dkim_value), check_mode=True)
    offsets = {
        entry["params"].get("Offset")
        for entry in corpus_sandbox.requests(action="DescribeRecordList")[earlier:]
        if entry["params"].get("Domain") == variant.base and entry["params"].get("Limit") == 100
    }
    assert {0, 100, 200} <= offsets


@pytest.mark.parametrize("zone", list(TTL_ZONES))
def test_dnspod_a_changed_dns_ttl_is_applied_once(zone: str, corpus_sandbox: SandboxHandle,
                                                  dkim_value: str):
    """dns_ttl 600 -> 300: written once (raised to the plan's floor), then nothing to do."""
    floor = TTL_ZONES[zone][1]
    variant = Variant("ttl", "keep_and_fail", zone, f"send.{zone}", zone, {zone: []})
    backend = DnspodBackend(corpus_sandbox)
    at_600 = backend.params(variant, dkim_value)
    at_300 = {**at_600, "ttl": 300}

    def floor_questions() -> int:
        return sum(1 for entry in corpus_sandbox.requests(action="DescribeDomain")
                   if entry["params"].get("Domain") == zone)

    run_record_set(at_600, check_mode=False)
    assert run_record_set(at_600, check_mode=False)["changed"] is False
    assert floor_questions() == 0  # the default TTL never asks for the plan's floor

    planned = run_record_set(at_300, check_mode=True)
    applied = run_record_set(at_300, check_mode=False)
    marker = backend.write_marker(variant)
    second = run_record_set(at_300, check_mode=False)

    expected = max(300, floor)
    assert applied["changes"] == planned["changes"]
    assert len(planned["changes"]) == (4 if expected != 600 else 0)
    assert second["changed"] is False and backend.write_marker(variant) == marker
    ttls = {item["Name"]: item["TTL"] for item in backend.items(zone) if item["Type"] != "NS"}
    assert set(ttls.values()) == {expected}, ttls


@pytest.mark.powerdns
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_corpus_on_powerdns(variant: Variant, corpus_pdns: PdnsServer, dkim_value: str,
                            record_property: Callable[[str, object], None]):
    run_variant(PowerdnsBackend(corpus_pdns), variant, dkim_value, record_property)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_corpus_on_route53(variant: Variant, corpus_route53: Route53Server, dkim_value: str,
                           record_property: Callable[[str, object], None]):
    run_variant(Route53Backend(corpus_route53), variant, dkim_value, record_property)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_corpus_on_cloudflare(variant: Variant, corpus_cloudflare: SandboxHandle, dkim_value: str,
                              record_property: Callable[[str, object], None]):
    run_variant(CloudflareBackend(corpus_cloudflare), variant, dkim_value, record_property)


@pytest.mark.bind
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_corpus_on_bind(variant: Variant, corpus_bind: BindServer, dkim_value: str,
                        record_property: Callable[[str, object], None]):
    run_variant(BindBackend(corpus_bind), variant, dkim_value, record_property)


def test_corpus_fixtures_are_well_formed():
    assert len({v.label for v in VARIANTS}) == len(VARIANTS)
    for variant in VARIANTS:
        assert variant.policy in POLICY_SHORT
        assert variant.zone in variant.zones
        assert variant.raises in (None, *ERRORS)
        assert bool(variant.raises) != bool(variant.plan)
    assert issubclass(ConflictError, MailopsError)
