"""A private sandbox seeded with the generated tenants, and the API calls it logged."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench import tenants
from sandbox import requestlog
from tests.helpers.sandbox_fixture import SandboxHandle, default_seed, start_sandbox


def start(state_dir: Path, count: int, latency_ms: float, dns_delay_s: float = 0,
          verify_lag_s: float = 0) -> SandboxHandle:
    seed = tenants.seed(default_seed(), count, dns_delay_s, verify_lag_s)
    handle = start_sandbox(state_dir, seed=seed, exit_after=7200)
    set_latency(handle, latency_ms)
    return handle


def set_latency(handle: SandboxHandle, latency_ms: float) -> None:
    body = json.dumps({"fixed_ms": latency_ms, "jitter_ms": 0}).encode()
    request = urllib.request.Request(
        f"{handle.dnspod_url}/_sandbox/latency", data=body, method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback only
        pass


def last_request_id(handle: SandboxHandle) -> int:
    rows = requestlog.query(handle.state_dir)
    return max((row["id"] for row in rows), default=0)


def api_calls(handle: SandboxHandle, since_id: int) -> dict[str, Any]:
    """Reads and writes logged after ``since_id``, in total and per component/action."""
    rows = requestlog.query(handle.state_dir, since_id=since_id)
    kinds = Counter(row["kind"] for row in rows)
    actions = Counter(f"{row['component']} {row['action']} ({row['kind']})" for row in rows)
    failed = sum(1 for row in rows if row["status"] is None or row["status"] >= 400)
    return {"reads": kinds["read"], "writes": kinds["write"], "http_errors": failed,
            "by_action": dict(sorted(actions.items()))}
