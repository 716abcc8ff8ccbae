"""pytest plugin: the real sandbox process on free loopback ports, in a temporary state directory.

``sandbox`` (session scope) runs ``python -m sandbox serve`` with ``--exit-after`` as a safety net
and yields a :class:`SandboxHandle`; ``fresh_sandbox`` (function scope) resets it first (wipe,
reseed, restart). ``start_sandbox()`` starts an extra, independent one (e.g. with another seed).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SEED = REPO_ROOT / "sandbox" / "seed.yml"
HOST = "127.0.0.1"
START_TIMEOUT_S = 15.0
SAFETY_NET_S = 1800


def free_port() -> int:
    """A port free for TCP and UDP alike (the DNS server needs both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind((HOST, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port found")


def _http(method: str, url: str, body: Any = None, timeout: float = 5.0) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


@dataclass
class SandboxHandle:
    state_dir: Path
    seed_path: Path
    seed: dict[str, Any]
    ports: dict[str, int]
    exit_after: float = SAFETY_NET_S
    process: subprocess.Popen | None = field(default=None, repr=False)

    # ------------------------------------------------------------------------- endpoints
    @property
    def sendcloud_url(self) -> str:
        return f"http://{HOST}:{self.ports['sendcloud']}"

    @property
    def dnspod_url(self) -> str:
        return f"http://{HOST}:{self.ports['dnspod']}"

    @property
    def dnspod_endpoint(self) -> str:
        return f"{HOST}:{self.ports['dnspod']}"

    @property
    def platform_url(self) -> str:
        return f"http://{HOST}:{self.ports['platform']}"

    @property
    def dns_host(self) -> str:
        return HOST

    @property
    def dns_port(self) -> int:
        return self.ports["dns"]

    @property
    def env(self) -> dict[str, str]:
        """The SANDBOX_* variables that point a subprocess (CLI, playbook) at this sandbox."""
        return {
            "SANDBOX_STATE_DIR": str(self.state_dir),
            "SANDBOX_SENDCLOUD_PORT": str(self.ports["sendcloud"]),
            "SANDBOX_DNSPOD_PORT": str(self.ports["dnspod"]),
            "SANDBOX_PLATFORM_PORT": str(self.ports["platform"]),
            "SANDBOX_DNS_PORT": str(self.ports["dns"]),
            "SANDBOX_CLOUDFLARE_PORT": str(self.ports["cloudflare"]),
            **({"SANDBOX_ROUTE53_PORT": str(self.ports["route53"])} if "route53" in self.ports
               else {}),
        }

    @property
    def cloudflare_url(self) -> str:
        """The API base the SDK takes (``base_url``), ``/client/v4`` included."""
        return f"http://{HOST}:{self.ports['cloudflare']}/client/v4"

    @property
    def route53_url(self) -> str:
        return f"http://{HOST}:{self.ports['route53']}"

    # ---------------------------------------------------------------------------- process
    def start(self) -> None:
        env = {
            **os.environ,
            **self.env,
            "PYTHONPATH": str(REPO_ROOT),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        log = open(self.state_dir / "sandbox.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox",
                "serve",
                "--state-dir",
                str(self.state_dir),
                "--seed",
                str(self.seed_path),
                "--exit-after",
                str(self.exit_after),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.wait_healthy()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        endpoints_file = self.state_dir / "endpoints.json"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"sandbox exited: {(self.state_dir / 'sandbox.log').read_text()[-2000:]}"
                )
            if endpoints_file.exists():
                try:
                    endpoints = json.loads(endpoints_file.read_text())
                except ValueError:  # being written
                    continue
                # moto (route53) has no /healthz; the sandbox writes the file once it is seeded
                urls = [e["url"] for name, e in endpoints.items()
                        if "url" in e and name != "route53"]
                if all(self._healthy(url) for url in urls):
                    return
            time.sleep(0.03)
        raise RuntimeError("sandbox did not become healthy")

    def _healthy(self, url: str) -> bool:
        try:
            return _http("GET", f"{url}/healthz", timeout=1.0)["ok"] is True
        except (OSError, ValueError, KeyError):
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def reset(self) -> None:
        """Wipe the state, reseed and restart (faults, latency and the log go too)."""
        self.stop()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.state_dir / 'state.db'}{suffix}").unlink(missing_ok=True)
        self.start()

    # ----------------------------------------------------------------------------- admin
    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        from sandbox import requestlog

        return requestlog.query(self.state_dir, **filters)

    def clear_requests(self) -> None:
        _http("DELETE", f"{self.dnspod_url}/_sandbox/requests")

    def set_faults(self, rules: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
        return _http("PUT", f"{self.dnspod_url}/_sandbox/faults", {"seed": seed, "rules": rules})

    def faults(self) -> dict[str, Any]:
        return _http("GET", f"{self.dnspod_url}/_sandbox/faults")

    def clear_faults(self) -> None:
        _http("DELETE", f"{self.dnspod_url}/_sandbox/faults")

    def set_latency(
        self, fixed_ms: float, jitter_ms: float = 0, component: str | None = None
    ) -> None:
        body: dict[str, Any] = {"fixed_ms": fixed_ms, "jitter_ms": jitter_ms}
        if component:
            body["component"] = component
        _http("PUT", f"{self.dnspod_url}/_sandbox/latency", body)

    def clear_latency(self) -> None:
        _http("DELETE", f"{self.dnspod_url}/_sandbox/latency")

    def set_verify_lag(self, seconds: float, account: str | None = None) -> None:
        """SendCloud verifies an item only once its record was served right this long."""
        body: dict[str, Any] = {"seconds": seconds, **({"account": account} if account else {})}
        _http("PUT", f"{self.sendcloud_url}/_sandbox/sendcloud/verify-lag", body)

    def clear_verify_lag(self) -> None:
        _http("DELETE", f"{self.sendcloud_url}/_sandbox/sendcloud/verify-lag")

    def cloudflare_throttle(self, count: int, retry_after: int = 1) -> None:
        """The Cloudflare emulator answers the next ``count`` API requests with 429."""
        base = self.cloudflare_url.removesuffix("/client/v4")
        _http("PUT", f"{base}/_sandbox/cloudflare/throttle",
              {"count": count, "retry_after": retry_after})

    # ------------------------------------------------------------------------- DNSPod
    def dnspod_account(self, zone: str) -> dict[str, Any]:
        """The seed's DNSPod account (secret_id, secret_key, zones) that owns ``zone``."""
        for entry in self.seed["dnspod"]["accounts"]:
            if any(z["name"] == zone for z in entry.get("zones") or []):
                return entry
        raise KeyError(zone)

    def dnspod_client(self, zone: str, secret_key: str | None = None) -> Any:
        """The official SDK's DnspodClient for the account owning ``zone``, pointed at the sandbox."""
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.dnspod.v20210323 import dnspod_client

        entry = self.dnspod_account(zone)
        profile = ClientProfile(
            httpProfile=HttpProfile(protocol="http", endpoint=self.dnspod_endpoint)
        )
        cred = credential.Credential(entry["secret_id"], secret_key or entry["secret_key"])
        return dnspod_client.DnspodClient(cred, "", profile)

    def dnspod_call(self, zone: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """One API call through the SDK; raises TencentCloudSDKException on ``Response.Error``."""
        return self.dnspod_client(zone).call_json(action, params)["Response"]


def start_sandbox(
    state_dir: Path, seed: dict[str, Any] | None = None, exit_after: float = SAFETY_NET_S,
    route53: bool = False,
) -> SandboxHandle:
    """Start an independent sandbox in ``state_dir``; ``seed`` replaces the default seed file.
    ``route53``: keep the seed's ``route53`` section, so that moto's server plays Route 53 (its
    start costs about 2 s, so a test sandbox goes without unless asked)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    seed = default_seed() if seed is None else seed
    if not route53:
        seed = {key: value for key, value in seed.items() if key != "route53"}
    seed_path = state_dir / "seed.yml"
    seed_path.write_text(yaml.safe_dump(seed, allow_unicode=True))
    loaded = yaml.safe_load(seed_path.read_text())
    names = ("sendcloud", "dnspod", "platform", "dns", "cloudflare", *(("route53",) if route53 else ()))
    ports = {name: free_port() for name in names}
    handle = SandboxHandle(
        state_dir=state_dir, seed_path=seed_path, seed=loaded, ports=ports, exit_after=exit_after
    )
    handle.start()
    return handle


def default_seed() -> dict[str, Any]:
    """A deep copy of the default seed, to modify for a custom sandbox."""
    return copy.deepcopy(yaml.safe_load(DEFAULT_SEED.read_text()))


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    handle = start_sandbox(tmp_path_factory.mktemp("sandbox-state"))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def fresh_sandbox(sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.reset()
    return sandbox
