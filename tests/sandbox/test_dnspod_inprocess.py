"""The DNSPod emulator in-process (no sockets): rate limit, clock skew, non-POST requests, and
the zone's propagation delay as the DNS server's resolver sees it, on a clock the test moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dns.message
import dns.rcode
import pytest

from sandbox import tc3
from sandbox.core import Request, Store
from sandbox.dns_server import Resolver
from sandbox.dnspod import DnspodEmulator

SECRET_ID, SECRET_KEY = "AKIDunit", "unit-secret"
SEED = {
    "dnspod": {
        "rate_limit_per_second": 3,
        "accounts": [
            {
                "secret_id": SECRET_ID,
                "secret_key": SECRET_KEY,
                "zones": [{"name": "unit.example", "grade": "DP_Free", "records": []}],
            }
        ],
    }
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emulator(tmp_path: Path) -> tuple[DnspodEmulator, Clock]:
    return started(tmp_path, SEED)


def started(tmp_path: Path, seed: dict[str, Any]) -> tuple[DnspodEmulator, Clock]:
    clock = Clock()
    emulator = DnspodEmulator(clock=clock)
    store = Store(tmp_path / "state.db")
    emulator.init_schema(store)
    emulator.load_seed(store, seed)
    emulator.configure(seed)
    return emulator, clock


def signed(action: str, params: dict[str, Any], timestamp: int, method: str = "POST") -> Request:
    body = json.dumps(params).encode()
    headers = {
        "content-type": "application/json",
        "host": "127.0.0.1:1",
        "x-tc-action": action,
        "x-tc-version": "2021-03-23",
        "x-tc-timestamp": str(timestamp),
    }
    date = tc3.utc_date(timestamp)
    canonical = tc3.canonical_request(method, "/", "", headers, ("content-type", "host"), body)
    signature = tc3.signature(
        SECRET_KEY, date, "dnspod", tc3.string_to_sign(str(timestamp), date, "dnspod", canonical)
    )
    headers["authorization"] = (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/dnspod/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )
    return Request(method, "/", {}, headers, body)


def result(emulator: DnspodEmulator, request: Request) -> dict[str, Any]:
    response = emulator.handle(request)
    assert response.status == 200 and response.headers["Content-Type"] == "application/json"
    payload = json.loads(response.body)["Response"]
    assert payload["RequestId"]
    return payload


def test_rate_limit_per_account(emulator: tuple[DnspodEmulator, Clock]) -> None:
    dnspod, clock = emulator
    codes = [
        result(dnspod, signed("DescribeDomain", {"Domain": "unit.example"}, int(clock.now)))
        .get("Error", {})
        .get("Code")
        for _ in range(4)
    ]
    assert codes == [None, None, None, "RequestLimitExceeded"]
    clock.now += 1.0
    assert "Error" not in result(
        dnspod, signed("DescribeDomain", {"Domain": "unit.example"}, int(clock.now))
    )


def test_clock_skew_limit(emulator: tuple[DnspodEmulator, Clock]) -> None:
    dnspod, clock = emulator
    ok = result(dnspod, signed("DescribeDomainList", {}, int(clock.now) - 299))
    assert "Error" not in ok
    late = result(dnspod, signed("DescribeDomainList", {}, int(clock.now) - 301))
    assert late["Error"]["Code"] == "AuthFailure.SignatureExpire"


def test_tampered_body_and_get(emulator: tuple[DnspodEmulator, Clock]) -> None:
    dnspod, clock = emulator
    request = signed("DescribeDomain", {"Domain": "unit.example"}, int(clock.now))
    request.body = json.dumps({"Domain": "other.example"}).encode()
    assert result(dnspod, request)["Error"]["Code"] == "AuthFailure.SignatureFailure"
    get = signed("DescribeDomain", {}, int(clock.now), method="GET")
    assert result(dnspod, get)["Error"]["Code"] == "UnsupportedOperation"


def test_writes_are_marked(emulator: tuple[DnspodEmulator, Clock]) -> None:
    dnspod, clock = emulator
    params = {
        "Domain": "unit.example",
        "SubDomain": "_dmarc",
        "RecordType": "TXT",
        "RecordLine": "默认",
        "Value": "v=DMARC1; p=none",
        "TTL": 600,
    }
    response = dnspod.handle(signed("CreateRecord", params, int(clock.now)))
    assert (response.kind, response.committed_write, response.account) == (
        "write",
        True,
        "unit.example",
    )
    again = dnspod.handle(signed("CreateRecord", params, int(clock.now)))
    assert (again.kind, again.committed_write) == ("write", False)
    assert (
        json.loads(again.body)["Response"]["Error"]["Code"] == "InvalidParameter.DomainRecordExist"
    )


def test_a_record_is_served_once_the_zones_propagation_delay_has_passed(tmp_path: Path) -> None:
    dnspod, clock = started(tmp_path, {**SEED, "dns": {"propagation_delay": {"unit.example": 0.6}}})
    resolver = Resolver(dnspod, clock=clock)
    params = {"Domain": "unit.example", "SubDomain": "late", "RecordType": "TXT",
              "RecordLine": "默认", "Value": "eventually", "TTL": 600}
    assert "Error" not in result(dnspod, signed("CreateRecord", params, int(clock.now)))

    def served() -> dns.message.Message:
        return resolver.respond(dns.message.make_query("late.unit.example", "TXT"))

    clock.now += 0.5
    assert served().rcode() == dns.rcode.NXDOMAIN
    # the API lists it at once; only DNS lags
    listed = result(dnspod, signed("DescribeRecordList",
                                   {"Domain": "unit.example", "SubDomain": "late"}, int(clock.now)))
    assert listed["RecordCountInfo"]["TotalCount"] == 1
    clock.now += 0.1
    assert served().answer[0][0].strings == (b"eventually",)
