"""The sandbox process framework: CLI, durable state, request log, faults and latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tests.helpers.sandbox_fixture import REPO_ROOT, free_port

ACME = "acme.example"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def binding_url(sandbox: Any) -> str:
    return f"{sandbox.platform_url}/api/v1/tenants/acme/binding"


def bearer(sandbox: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.seed['platform']['tokens']['acme']}"}


def create_txt(sandbox: Any, name: str, value: str = "x") -> dict[str, Any]:
    return sandbox.dnspod_call(
        ACME,
        "CreateRecord",
        {
            "Domain": ACME,
            "SubDomain": name,
            "RecordType": "TXT",
            "RecordLine": "默认",
            "Value": value,
            "TTL": 600,
        },
    )


def list_txt(sandbox: Any, name: str) -> list[dict[str, Any]]:
    return sandbox.dnspod_call(
        ACME, "DescribeRecordList", {"Domain": ACME, "SubDomain": name, "ErrorOnEmpty": "no"}
    )["RecordList"]


def last_id(sandbox: Any) -> int:
    return max((entry["id"] for entry in sandbox.requests()), default=0)


@pytest.fixture
def no_faults(sandbox: Any) -> Any:
    yield sandbox
    sandbox.clear_faults()
    sandbox.clear_latency()


def test_status_json_shape_and_start_is_idempotent(sandbox: Any) -> None:
    status = cli("status", "--json", env=sandbox.env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report == {
        "sendcloud": {"url": sandbox.sendcloud_url, "healthy": True},
        "dnspod": {"url": sandbox.dnspod_url, "healthy": True},
        "dns": {"host": "127.0.0.1", "port": sandbox.dns_port, "healthy": True},
        "platform": {"url": sandbox.platform_url, "healthy": True},
        "cloudflare": {"url": sandbox.cloudflare_url.removesuffix("/client/v4"), "healthy": True},
    }
    pid_before = (sandbox.state_dir / "sandbox.pid").read_text()
    started = cli("start", env=sandbox.env)
    assert started.returncode == 0 and "already running" in started.stdout
    assert (sandbox.state_dir / "sandbox.pid").read_text() == pid_before


def test_cli_lifecycle(tmp_path: Path) -> None:
    env = {
        "SANDBOX_STATE_DIR": str(tmp_path / "state"),
        **{
            f"SANDBOX_{n}_PORT": str(free_port())
            for n in ("SENDCLOUD", "DNSPOD", "PLATFORM", "DNS", "ROUTE53")
        },
    }
    assert cli("status", env=env).returncode == 1
    try:
        started = cli("start", "--exit-after", "120", env=env)
        assert started.returncode == 0, started.stdout + started.stderr
        assert cli("status", "--json", env=env).returncode == 0
        assert (tmp_path / "state" / "state.db").exists()
    finally:
        assert cli("stop", env=env).returncode == 0
    assert cli("stop", env=env).returncode == 0  # idempotent
    status = cli("status", "--json", env=env)
    assert status.returncode == 1 and json.loads(status.stdout)["dnspod"]["healthy"] is False


def test_state_survives_restart_and_reset_wipes(sandbox: Any) -> None:
    name = f"durable-{uuid.uuid4().hex[:8]}"
    create_txt(sandbox, name)
    seeded_www = [
        r
        for r in sandbox.dnspod_call(
            ACME, "DescribeRecordList", {"Domain": ACME, "SubDomain": "www"}
        )["RecordList"]
    ]
    sandbox.dnspod_call(
        ACME, "DeleteRecord", {"Domain": ACME, "RecordId": seeded_www[0]["RecordId"]}
    )
    sandbox.restart()
    assert len(list_txt(sandbox, name)) == 1
    assert list_txt(sandbox, "www") == []  # a restart does not reseed
    sandbox.reset()
    assert list_txt(sandbox, name) == []
    assert len(list_txt(sandbox, "www")) == 1


def test_http_500_fault(no_faults: Any) -> None:
    sandbox = no_faults
    since = last_id(sandbox)
    sandbox.set_faults([{"component": "platform", "kind": "http_500", "count": 1}])
    assert requests.get(binding_url(sandbox), headers=bearer(sandbox), timeout=5).status_code == 500
    assert requests.get(binding_url(sandbox), headers=bearer(sandbox), timeout=5).status_code in (
        200,
        404,
    )
    entries = sandbox.requests(component="platform", since_id=since)
    assert [(e["status"], e["fault"]) for e in entries][:1] == [(500, "http_500")]
    assert entries[1]["fault"] is None
    assert sandbox.faults()["rules"][0]["fired"] == 1


def test_timeout_fault(no_faults: Any) -> None:
    sandbox = no_faults
    since = last_id(sandbox)
    sandbox.set_faults(
        [{"component": "platform", "action": "*binding", "kind": "timeout", "hold_s": 0.4}]
    )
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(binding_url(sandbox), headers=bearer(sandbox), timeout=0.1)
    assert requests.get(f"{sandbox.platform_url}/healthz", timeout=5).json()[
        "ok"
    ]  # admin routes unaffected
    entries = sandbox.requests(component="platform", since_id=since)
    assert [(e["status"], e["fault"]) for e in entries] == [(None, "timeout")]


def test_reset_fault(no_faults: Any) -> None:
    sandbox = no_faults
    since = last_id(sandbox)
    sandbox.set_faults([{"component": "platform", "kind": "reset"}])
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        requests.get(binding_url(sandbox), headers=bearer(sandbox), timeout=5)
    assert "reset" in str(raised.value).lower()
    assert sandbox.requests(component="platform", since_id=since)[0]["fault"] == "reset"


def test_commit_then_drop_fault(no_faults: Any) -> None:
    sandbox = no_faults
    since = last_id(sandbox)
    sandbox.set_faults(
        [{"component": "dnspod", "action": "CreateRecord", "kind": "commit_then_drop", "count": 1}]
    )
    name = f"dropped-{uuid.uuid4().hex[:8]}"
    list_txt(sandbox, name)  # reads never trigger it
    with pytest.raises(TencentCloudSDKException):
        create_txt(sandbox, name)
    assert len(list_txt(sandbox, name)) == 1  # the write committed
    entries = sandbox.requests(component="dnspod", kind="write", since_id=since)
    assert [(e["action"], e["status"], e["fault"]) for e in entries] == [
        ("CreateRecord", None, "commit_then_drop")
    ]


def test_faulted_writes_are_logged_with_their_action_and_kind(no_faults: Any) -> None:
    """A filter on writes finds an attempted write that a fault replaced, on every component."""
    sandbox = no_faults
    since = last_id(sandbox)
    sandbox.set_faults([
        {"component": "sendcloud", "action": "domain/add", "kind": "timeout", "hold_s": 0.2},
        {"component": "platform", "action": "PUT *binding", "kind": "http_500"},
        {"component": "dnspod", "action": "CreateRecord", "kind": "reset"},
    ])
    account = sandbox.seed["sendcloud"]["accounts"][0]
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{sandbox.sendcloud_url}/apiv2/domain/add", timeout=0.1,
                      data={"apiUser": account["api_user"], "apiKey": account["api_key"],
                            "name": "faulted.acme.example"})
    put = requests.put(binding_url(sandbox), headers=bearer(sandbox), json={}, timeout=5)
    assert put.status_code == 500
    with pytest.raises(TencentCloudSDKException):
        create_txt(sandbox, f"faulted-{uuid.uuid4().hex[:8]}")
    writes = sandbox.requests(kind="write", since_id=since)
    assert [(e["component"], e["action"], e["fault"]) for e in writes] == [
        ("sendcloud", "domain/add", "timeout"),
        ("platform", "PUT binding", "http_500"),
        ("dnspod", "CreateRecord", "reset"),
    ]


def test_latency_and_log_over_http(no_faults: Any) -> None:
    sandbox = no_faults
    since = last_id(sandbox)
    sandbox.set_latency(120, 10, component="platform")
    started = time.monotonic()
    requests.get(binding_url(sandbox), headers=bearer(sandbox), timeout=5)
    assert time.monotonic() - started >= 0.12
    over_http = requests.get(
        f"{sandbox.dnspod_url}/_sandbox/requests",
        params={"component": "platform", "since_id": since},
        timeout=5,
    ).json()["requests"]
    assert len(over_http) == 1 and 120 <= over_http[0]["duration_ms"] < 1000
    assert over_http[0]["account"] == "acme"
    sandbox.clear_latency()
    requests.delete(f"{sandbox.sendcloud_url}/_sandbox/requests", timeout=5)
    assert sandbox.requests() == []


def test_bad_admin_input(sandbox: Any) -> None:
    response = requests.put(
        f"{sandbox.dnspod_url}/_sandbox/faults", json={"rules": [{"kind": "meteor"}]}, timeout=5
    )
    assert response.status_code == 400
    assert requests.get(f"{sandbox.sendcloud_url}/healthz", timeout=5).json() == {
        "ok": True,
        "component": "sendcloud",
    }
