"""The SendCloud emulator over HTTP, through the real sandbox process (``sandbox`` fixture).

Uses the shared session sandbox, so it only adds a uniquely named domain and deletes it again.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

pytest.importorskip("tests.helpers.sandbox_fixture")
pytest.importorskip("sandbox.server")

ACME = ("acme_admin", "d77c29b3973873d75fdc3f49b2f13d3a")
GLOBEX = ("globex_admin", "037e88eb6bffb91d07eab1d5f44b08c0")


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
