"""The SendCloud emulator over HTTP, through the real sandbox process (``sandbox`` fixture).

Uses the shared session sandbox, so it only adds a uniquely named domain and deletes it again.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

ACME = ("acme_admin", "d77c29b3973873d75fdc3f49b2f13d3a")
GLOBEX = ("globex_admin", "037e88eb6bffb91d07eab1d5f44b08c0")
GLOBEX_DNSPOD = ("AKIDglobex500cd1f2137ebdd099664", "5e9e0d3bc4cdc7292f03d586f6ca65cd")


def post(base_url: str, path: str, creds: tuple[str, str], **params: Any) -> tuple[int, Any]:
    fields = {"apiUser": creds[0], "apiKey": creds[1], **params}
    request = urllib.request.Request(
        f"{base_url}{path}", data=urlencode(fields).encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def get(base_url: str, path: str, creds: tuple[str, str], **params: Any) -> tuple[int, Any]:
    query = urlencode({"apiUser": creds[0], "apiKey": creds[1], **params})
    with urllib.request.urlopen(f"{base_url}{path}?{query}", timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_sendcloud_over_http(sandbox):
    url = sandbox.sendcloud_url
    status, body = post(url, "/apiv2/userinfo/get", ACME)
    assert status == 200 and body["statusCode"] == 200 and "avaliableBalance" in body["info"]
    status, body = get(url, "/api/userinfo/get", ACME)
    assert status == 200 and body["statusCode"] == 40005 and body["info"] == {}

    name = f"e2e-{uuid.uuid4().hex[:8]}.globex.example"
    status, body = post(url, "/api/domain/add", GLOBEX, name=name)
    assert body["statusCode"] == 200, body
    assert body["info"]["data"]["verify"] == 0  # answered by the sandbox's DNS: nothing there
    _, body = get(url, "/api/domain/list", GLOBEX, name=name)
    assert [item["name"] for item in body["info"]["dataList"]] == [name]
    _, body = post(url, "/api/domain/delete", GLOBEX, name=name)
    assert body["statusCode"] == 200

    logged = [entry for entry in sandbox.requests(action="domain/add")
              if entry["params"].get("name") == name]
    assert len(logged) == 1
    assert logged[0]["kind"] == "write" and logged[0]["account"] == GLOBEX[0]
    assert logged[0]["params"]["apiKey"] == "***"


def dnspod(sandbox, action: str, **params: Any) -> dict[str, Any]:
    """A signed Tencent Cloud API 3.0 call to the sandbox's DNSPod (signing from the test side)."""
    from sandbox import tc3

    body = json.dumps(params).encode()
    timestamp = int(time.time())
    date = tc3.utc_date(timestamp)
    host = sandbox.dnspod_endpoint
    headers = {"content-type": "application/json; charset=utf-8", "host": host}
    canonical = tc3.canonical_request("POST", "/", "", headers, ("content-type", "host"), body)
    to_sign = tc3.string_to_sign(str(timestamp), date, "dnspod", canonical)
    signature = tc3.signature(GLOBEX_DNSPOD[1], date, "dnspod", to_sign)
    authorization = (f"TC3-HMAC-SHA256 Credential={GLOBEX_DNSPOD[0]}/{date}/dnspod/tc3_request, "
                     f"SignedHeaders=content-type;host, Signature={signature}")
    request = urllib.request.Request(f"http://{host}/", data=body, method="POST", headers={
        "Content-Type": headers["content-type"], "Host": host, "Authorization": authorization,
        "X-TC-Action": action, "X-TC-Timestamp": str(timestamp), "X-TC-Version": "2021-03-23"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer = json.loads(response.read())["Response"]
    assert "Error" not in answer, answer
    return answer


def test_verify_follows_records_published_through_dnspod(sandbox):
    """domain/add -> records created with DNSPod -> served by the sandbox DNS -> verify bits."""
    url, label = sandbox.sendcloud_url, f"e2e-{uuid.uuid4().hex[:8]}"
    name = f"{label}.globex.example"
    item = post(url, "/api/domain/add", GLOBEX, name=name)[1]["info"]["data"]
    records = [
        ("TXT", label, item["spf.value"], {}),
        ("TXT", item["dkim.domain"].removesuffix(".globex.example"), item["dkim.value"], {}),
        ("MX", label, item["mx.value"] + ".", {"MX": 10}),
    ]
    ids = [dnspod(sandbox, "CreateRecord", Domain="globex.example", SubDomain=sub,
                  RecordType=rtype, RecordLine="默认", Value=value, TTL=600, **extra)["RecordId"]
           for rtype, sub, value, extra in records]
    try:
        data = post(url, "/api/domain/checkConfig", GLOBEX, name=name)[1]["info"]["data"]
        assert data == {"name": name, "verify": 7, "spfStatus": "pass", "dkimStatus": "pass",
                        "mxStatus": "pass", "dmarcStatus": "fail"}
        dnspod(sandbox, "DeleteRecord", Domain="globex.example", RecordId=ids.pop())
        _, body = get(url, "/api/domain/list", GLOBEX, name=name)
        assert body["info"]["dataList"][0]["verify"] == 3
    finally:
        for record_id in ids:
            dnspod(sandbox, "DeleteRecord", Domain="globex.example", RecordId=record_id)
        post(url, "/api/domain/delete", GLOBEX, name=name)
