"""The marketing platform's binding endpoint (docs/binding-api.md)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import requests

from sandbox.core import Request, Store
from sandbox.platform import PlatformEmulator


def token(sandbox: Any, tenant: str) -> str:
    return sandbox.seed["platform"]["tokens"][tenant]


def sendcloud_pair(sandbox: Any, api_user: str) -> tuple[str, str]:
    for entry in sandbox.seed["sendcloud"]["accounts"]:
        if entry["api_user"] == api_user:
            return entry["api_user"], entry["api_key"]
    raise KeyError(api_user)


def binding_body(
    sandbox: Any, domain: str = "mail.acme.example", key_override: str | None = None
) -> dict[str, Any]:
    user, key = sendcloud_pair(sandbox, "acme_admin")
    return {
        "sending_domain": domain,
        "edition": "domestic",
        "api_users": {
            "batch": {"name": user, "key": key_override or key},
            "trigger": {"name": user, "key": key},
        },
        "sender_address": f"news@{domain}",
        "sender_name": "Acme 新闻",
        "reply_to_address": "support@acme.example",
    }


def url(sandbox: Any, tenant: str, suffix: str = "") -> str:
    return f"{sandbox.platform_url}/api/v1/tenants/{tenant}/binding{suffix}"


def auth(sandbox: Any, tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sandbox, tenant)}"}


def test_auth(sandbox: Any) -> None:
    assert requests.get(url(sandbox, "acme"), timeout=5).status_code == 401
    bad = requests.get(url(sandbox, "acme"), headers={"Authorization": "Bearer nope"}, timeout=5)
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthorized"
    other = requests.get(url(sandbox, "acme"), headers=auth(sandbox, "globex"), timeout=5)
    assert other.status_code == 403


def test_put_get_history(fresh_sandbox: Any) -> None:
    sandbox = fresh_sandbox
    missing = requests.get(url(sandbox, "acme"), headers=auth(sandbox, "acme"), timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "binding_not_found"

    body = binding_body(sandbox)
    put = requests.put(url(sandbox, "acme"), json=body, headers=auth(sandbox, "acme"), timeout=5)
    assert put.status_code == 200, put.text
    got = requests.get(url(sandbox, "acme"), headers=auth(sandbox, "acme"), timeout=5).json()
    assert got == put.json()
    assert got["revision"] == 1 and got["sender_name"] == "Acme 新闻"
    expected_sha = hashlib.sha256(body["api_users"]["batch"]["key"].encode()).hexdigest()
    assert got["api_users"]["batch"] == {"name": "acme_admin", "key_sha256": expected_sha}
    assert body["api_users"]["batch"]["key"] not in json.dumps(got)

    stale = requests.put(
        url(sandbox, "acme"),
        json=binding_body(sandbox, "news.acme.example"),
        headers={**auth(sandbox, "acme"), "If-Match": "7"},
        timeout=5,
    )
    assert stale.status_code == 412
    rebind = requests.put(
        url(sandbox, "acme"),
        json=binding_body(sandbox, "news.acme.example"),
        headers={**auth(sandbox, "acme"), "If-Match": '"1"'},
        timeout=5,
    )
    assert rebind.status_code == 200 and rebind.json()["revision"] == 2

    history = requests.get(
        url(sandbox, "acme", "/history"), headers=auth(sandbox, "acme"), timeout=5
    ).json()
    assert [h["sending_domain"] for h in history["history"]] == [
        "mail.acme.example",
        "news.acme.example",
    ]
    assert history["history"][0]["active_until"] == history["history"][1]["active_from"]
    assert history["history"][1]["active_until"] is None
    assert history["history"][1]["api_users"] == {"batch": "acme_admin", "trigger": "acme_admin"}
    assert all(h["keys_authenticated"] for h in history["history"])
    assert history["sending_gap_seconds"] == 0

    log = sandbox.requests(component="platform", account="acme")
    assert [(e["action"], e["kind"]) for e in log][:2] == [
        ("GET binding", "read"),
        ("PUT binding", "write"),
    ]
    assert all(
        e["params"].get("api_users", {}).get("batch", {}).get("key") in (None, "***") for e in log
    )


def test_validation_and_key_check(sandbox: Any) -> None:
    headers = auth(sandbox, "initech")
    body = binding_body(sandbox, "mail.initech.example")
    body["edition"] = "moon"
    invalid = requests.put(url(sandbox, "initech"), json=body, headers=headers, timeout=5)
    assert invalid.status_code == 422 and invalid.json()["error"]["field"] == "edition"
    body = binding_body(sandbox, "mail.initech.example")
    body["sender_address"] = "x@elsewhere.example"
    assert (
        requests.put(url(sandbox, "initech"), json=body, headers=headers, timeout=5).json()[
            "error"
        ]["field"]
        == "sender_address"
    )
    rejected = requests.put(
        url(sandbox, "initech"),
        json=binding_body(sandbox, "mail.initech.example", "wrong"),
        headers=headers,
        timeout=5,
    )
    assert rejected.status_code == 422
    assert rejected.json()["error"]["code"] == "keys_rejected"
    assert rejected.json()["error"]["api_user"] == "acme_admin"
    not_json = requests.put(url(sandbox, "initech"), data=b"{", headers=headers, timeout=5)
    assert not_json.status_code == 400


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_sending_gap_counts_time_with_dead_keys(tmp_path: Path) -> None:
    valid = {("old_batch", "k1"), ("old_trigger", "k2"), ("new_batch", "k3"), ("new_trigger", "k4")}
    clock = FakeClock()
    platform = PlatformEmulator(
        check_credentials=lambda user, key: (user, key) in valid, clock=clock
    )
    store = Store(tmp_path / "state.db")
    platform.init_schema(store)
    platform.load_seed(store, {"platform": {"tokens": {"t1": "tok"}}})

    def put(batch: tuple[str, str], trigger: tuple[str, str]) -> int:
        body = {
            "sending_domain": "mail.t1.example",
            "edition": "overseas",
            "api_users": {
                "batch": {"name": batch[0], "key": batch[1]},
                "trigger": {"name": trigger[0], "key": trigger[1]},
            },
            "sender_address": "a@mail.t1.example",
            "sender_name": "T1",
            "reply_to_address": None,
        }
        request = Request(
            "PUT",
            "/api/v1/tenants/t1/binding",
            {},
            {"authorization": "Bearer tok"},
            json.dumps(body).encode(),
        )
        return platform.handle(request).status

    def history() -> dict[str, Any]:
        request = Request(
            "GET", "/api/v1/tenants/t1/binding/history", {}, {"authorization": "Bearer tok"}, b""
        )
        return json.loads(platform.handle(request).body)

    assert put(("old_batch", "k1"), ("old_trigger", "k2")) == 200
    clock.now += 30
    valid.discard(("old_batch", "k1"))  # retired too early: the old binding cannot send
    clock.now += 10
    assert put(("new_batch", "k3"), ("new_trigger", "k4")) == 200
    result = history()
    assert result["sending_gap_seconds"] == 40.0  # upper bound: since the last good check
    assert [h["keys_authenticated"] for h in result["history"]] == [False, True]
