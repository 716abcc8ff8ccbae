"""The DNSPod API 3.0 emulator, driven by the official Tencent Cloud SDK."""

from __future__ import annotations

import json
import time
import types
import uuid
from typing import Any

import pytest
import requests
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.dnspod.v20210323 import dnspod_client, models

from sandbox import tc3

ACME = "acme.example"
INITECH = "initech.example"


def account(sandbox: Any, zone: str) -> dict[str, str]:
    for entry in sandbox.seed["dnspod"]["accounts"]:
        if any(z["name"] == zone for z in entry["zones"]):
            return entry
    raise KeyError(zone)


def client_for(
    sandbox: Any, zone: str, secret_key: str | None = None
) -> dnspod_client.DnspodClient:
    entry = account(sandbox, zone)
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=sandbox.dnspod_endpoint)
    )
    cred = credential.Credential(entry["secret_id"], secret_key or entry["secret_key"])
    return dnspod_client.DnspodClient(cred, "", profile)


def call(client: dnspod_client.DnspodClient, action: str, params: dict[str, Any]) -> dict[str, Any]:
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    response = getattr(client, action)(request)
    return json.loads(response.to_json_string())


def error_code(client: dnspod_client.DnspodClient, action: str, params: dict[str, Any]) -> str:
    with pytest.raises(TencentCloudSDKException) as raised:
        call(client, action, params)
    return raised.value.get_code()


def unique_label(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(
    client: dnspod_client.DnspodClient,
    zone: str,
    name: str,
    rtype: str,
    value: str,
    ttl: int = 600,
    **extra: Any,
) -> int:
    params = {
        "Domain": zone,
        "SubDomain": name,
        "RecordType": rtype,
        "RecordLine": "默认",
        "Value": value,
        "TTL": ttl,
        **extra,
    }
    return call(client, "CreateRecord", params)["RecordId"]


def test_create_list_modify_delete(sandbox: Any) -> None:
    client = client_for(sandbox, ACME)
    name = unique_label("_dmarc")
    record_id = create(client, ACME, name, "TXT", "v=DMARC1; p=none")
    assert isinstance(record_id, int)

    listed = call(
        client, "DescribeRecordList", {"Domain": ACME, "SubDomain": name, "RecordType": "TXT"}
    )
    assert listed["RecordCountInfo"]["TotalCount"] == 1
    item = listed["RecordList"][0]
    assert (item["RecordId"], item["Name"], item["Value"], item["TTL"]) == (
        record_id,
        name,
        "v=DMARC1; p=none",
        600,
    )
    assert (item["Line"], item["LineId"], item["MX"]) == ("默认", "0", 0)

    # ModifyRecord is a full overwrite: without SubDomain the record moves to "@"
    call(
        client,
        "ModifyRecord",
        {
            "Domain": ACME,
            "RecordId": record_id,
            "RecordType": "TXT",
            "RecordLine": "默认",
            "Value": "v=DMARC1; p=reject",
            "TTL": 1200,
        },
    )
    info = call(client, "DescribeRecord", {"Domain": ACME, "RecordId": record_id})["RecordInfo"]
    assert (info["SubDomain"], info["Value"], info["TTL"]) == ("@", "v=DMARC1; p=reject", 1200)
    call(
        client,
        "ModifyRecord",
        {
            "Domain": ACME,
            "RecordId": record_id,
            "RecordType": "TXT",
            "RecordLineId": "0",
            "SubDomain": name,
            "Value": "v=DMARC1; p=none",
        },
    )
    info = call(client, "DescribeRecord", {"Domain": ACME, "RecordId": record_id})["RecordInfo"]
    assert (info["SubDomain"], info["TTL"]) == (name, 600)  # omitted TTL is back to 600

    call(client, "DeleteRecord", {"Domain": ACME, "RecordId": record_id})
    assert (
        error_code(client, "DescribeRecordList", {"Domain": ACME, "SubDomain": name})
        == "ResourceNotFound.NoDataOfRecord"
    )
    empty = call(
        client, "DescribeRecordList", {"Domain": ACME, "SubDomain": name, "ErrorOnEmpty": "no"}
    )
    assert empty["RecordList"] == [] and empty["RecordCountInfo"]["TotalCount"] == 0
    assert (
        error_code(client, "DeleteRecord", {"Domain": ACME, "RecordId": record_id})
        == "InvalidParameter.RecordIdInvalid"
    )


def test_duplicate_and_conflicts(sandbox: Any) -> None:
    client = client_for(sandbox, ACME)
    name = unique_label("dup")
    create(client, ACME, name, "TXT", "hello world")
    assert (
        error_code(
            client,
            "CreateRecord",
            {
                "Domain": ACME,
                "SubDomain": name,
                "RecordType": "TXT",
                "RecordLine": "默认",
                "Value": '"hello world"',
                "TTL": 600,
            },
        )
        == "InvalidParameter.DomainRecordExist"
    )  # outer quotes are not part of the value
    assert (
        error_code(
            client,
            "CreateRecord",
            {
                "Domain": ACME,
                "SubDomain": name,
                "RecordType": "CNAME",
                "RecordLine": "默认",
                "Value": "x.example.",
                "TTL": 600,
            },
        )
        == "InvalidParameter.RecordConflict"
    )
    other = unique_label("alias")
    create(client, ACME, other, "CNAME", "target.example")
    listed = call(
        client, "DescribeRecordList", {"Domain": ACME, "Subdomain": other}
    )  # old spelling
    assert listed["RecordList"][0]["Value"] == "target.example."
    assert (
        error_code(
            client,
            "CreateRecord",
            {
                "Domain": ACME,
                "SubDomain": other,
                "RecordType": "TXT",
                "RecordLine": "默认",
                "Value": "x",
                "TTL": 600,
            },
        )
        == "InvalidParameter.RecordConflict"
    )


def test_domain_actions_and_system_ns(sandbox: Any) -> None:
    client = client_for(sandbox, ACME)
    info = call(client, "DescribeDomain", {"Domain": ACME})["DomainInfo"]
    assert info["Domain"] == ACME and info["Grade"] == "DP_Free"
    domains = call(client, "DescribeDomainList", {})
    assert [d["Name"] for d in domains["DomainList"]] == [ACME]
    ns = call(client, "DescribeRecordList", {"Domain": ACME, "SubDomain": "@", "RecordType": "NS"})
    assert len(ns["RecordList"]) == 2 and all(r["DefaultNS"] for r in ns["RecordList"])
    assert (
        error_code(client, "DescribeDomain", {"Domain": "globex.example"})
        == "InvalidParameterValue.DomainNotExists"
    )


def test_paging_past_100(sandbox: Any) -> None:
    client = client_for(sandbox, INITECH)
    prefix = unique_label("page")
    for index in range(105):
        create(client, INITECH, f"{prefix}-{index}", "A", f"198.51.100.{index % 250}")
    first = call(client, "DescribeRecordList", {"Domain": INITECH, "RecordType": "A"})
    assert first["RecordCountInfo"]["ListCount"] == 100  # default Limit
    total = first["RecordCountInfo"]["TotalCount"]
    assert total >= 106
    second = call(
        client,
        "DescribeRecordList",
        {"Domain": INITECH, "RecordType": "A", "Offset": 100, "Limit": 100},
    )
    ids = {r["RecordId"] for r in first["RecordList"]} | {
        r["RecordId"] for r in second["RecordList"]
    }
    assert len(ids) == total
    assert (
        error_code(client, "DescribeRecordList", {"Domain": INITECH, "Limit": 3001})
        == "InvalidParameterValue.LimitInvalid"
    )


def test_ttl_floor_by_grade(sandbox: Any) -> None:
    acme, initech = client_for(sandbox, ACME), client_for(sandbox, INITECH)
    assert (
        error_code(
            acme,
            "CreateRecord",
            {
                "Domain": ACME,
                "SubDomain": unique_label("t"),
                "RecordType": "A",
                "RecordLine": "默认",
                "Value": "192.0.2.1",
                "TTL": 300,
            },
        )
        == "LimitExceeded.RecordTtlLimit"
    )
    create(initech, INITECH, unique_label("t"), "A", "192.0.2.1", ttl=120)  # DP_Pro allows 120
    assert (
        error_code(
            initech,
            "CreateRecord",
            {
                "Domain": INITECH,
                "SubDomain": unique_label("t"),
                "RecordType": "A",
                "RecordLine": "默认",
                "Value": "192.0.2.1",
                "TTL": 60,
            },
        )
        == "LimitExceeded.RecordTtlLimit"
    )


def test_mx_record(sandbox: Any) -> None:
    client = client_for(sandbox, ACME)
    name = unique_label("mx")
    assert (
        error_code(
            client,
            "CreateRecord",
            {
                "Domain": ACME,
                "SubDomain": name,
                "RecordType": "MX",
                "RecordLine": "默认",
                "Value": "mx.example.",
                "TTL": 600,
            },
        )
        == "InvalidParameter.MxInvalid"
    )
    create(client, ACME, name, "MX", "mx.example.", MX=10)
    item = call(client, "DescribeRecordList", {"Domain": ACME, "SubDomain": name})["RecordList"][0]
    assert (item["Type"], item["Value"], item["MX"]) == ("MX", "mx.example.", 10)


def test_bad_signature(sandbox: Any) -> None:
    client = client_for(sandbox, ACME, secret_key="0" * 32)
    assert error_code(client, "DescribeDomain", {"Domain": ACME}) == "AuthFailure.SignatureFailure"
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=sandbox.dnspod_endpoint)
    )
    stranger = dnspod_client.DnspodClient(
        credential.Credential("AKIDnobody", "x" * 32), "", profile
    )
    assert (
        error_code(stranger, "DescribeDomain", {"Domain": ACME}) == "AuthFailure.SecretIdNotFound"
    )


def test_expired_timestamp(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real_time = time.time
    monkeypatch.setattr(
        abstract_client, "time", types.SimpleNamespace(time=lambda: real_time() - 400)
    )
    client = client_for(sandbox, ACME)
    assert error_code(client, "DescribeDomain", {"Domain": ACME}) == "AuthFailure.SignatureExpire"


def signed_post(
    sandbox: Any,
    action: str,
    body: bytes,
    content_type: str,
    signed: tuple[str, ...] = ("content-type", "host"),
    version: str = "2021-03-23",
) -> requests.Response:
    """A request signed by the sandbox's own TC3 code (other clients sign other headers)."""
    entry = account(sandbox, ACME)
    timestamp = int(time.time())
    headers = {"content-type": content_type, "host": sandbox.dnspod_endpoint, "x-tc-action": action}
    canonical = tc3.canonical_request("POST", "/", "", headers, signed, body)
    date = tc3.utc_date(timestamp)
    signature = tc3.signature(
        entry["secret_key"],
        date,
        "dnspod",
        tc3.string_to_sign(str(timestamp), date, "dnspod", canonical),
    )
    authorization = (
        f"TC3-HMAC-SHA256 Credential={entry['secret_id']}/{date}/dnspod/tc3_request, "
        f"SignedHeaders={';'.join(sorted(signed))}, Signature={signature}"
    )
    return requests.post(
        f"{sandbox.dnspod_url}/",
        data=body,
        timeout=5,
        headers={
            "Content-Type": content_type,
            "X-TC-Action": action,
            "X-TC-Version": version,
            "X-TC-Timestamp": str(timestamp),
            "Authorization": authorization,
        },
    )


def test_other_signed_headers_and_envelope(sandbox: Any) -> None:
    body = json.dumps({"Domain": ACME}).encode()
    response = signed_post(
        sandbox,
        "DescribeDomain",
        body,
        "application/json; charset=utf-8",
        signed=("content-type", "host", "x-tc-action"),
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    payload = response.json()["Response"]
    assert payload["DomainInfo"]["Domain"] == ACME and payload["RequestId"]
    wrong_version = signed_post(
        sandbox, "DescribeDomain", body, "application/json", version="2018-08-26"
    )
    assert wrong_version.json()["Response"]["Error"]["Code"] == "NoSuchVersion"
    unsigned = requests.post(
        f"{sandbox.dnspod_url}/",
        data=body,
        timeout=5,
        headers={"X-TC-Action": "DescribeDomain", "X-TC-Version": "2021-03-23"},
    )
    assert unsigned.status_code == 200 and unsigned.json()["Response"]["Error"]["Code"].startswith(
        "AuthFailure"
    )
    assert unsigned.json()["Response"]["RequestId"]


def test_request_log_marks_writes(sandbox: Any) -> None:
    client = client_for(sandbox, ACME)
    last = max((r["id"] for r in sandbox.requests()), default=0)
    name = unique_label("log")
    create(client, ACME, name, "TXT", "logged")
    call(client, "DescribeRecordList", {"Domain": ACME, "SubDomain": name})
    entries = sandbox.requests(component="dnspod", account=ACME, since_id=last)
    assert [(e["action"], e["kind"]) for e in entries] == [
        ("CreateRecord", "write"),
        ("DescribeRecordList", "read"),
    ]
    assert entries[0]["params"]["SubDomain"] == name
