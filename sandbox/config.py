"""Where the sandbox listens and keeps its state: the seed file plus environment overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SEED = PACKAGE_DIR / "seed.yml"
HOST = "127.0.0.1"  # the sandbox listens on the loopback interface only

# seed key under ``listen:`` -> environment variable that overrides it
PORT_ENV = {
    "sendcloud_port": "SANDBOX_SENDCLOUD_PORT",
    "dnspod_port": "SANDBOX_DNSPOD_PORT",
    "platform_port": "SANDBOX_PLATFORM_PORT",
    "dns_port": "SANDBOX_DNS_PORT",
    "route53_port": "SANDBOX_ROUTE53_PORT",
    "cloudflare_port": "SANDBOX_CLOUDFLARE_PORT",
}
DEFAULT_PORTS = {
    "sendcloud_port": 18080,
    "dnspod_port": 18081,
    "platform_port": 18082,
    "dns_port": 15353,
    "route53_port": 18083,
    "cloudflare_port": 18084,
}


@dataclass(frozen=True)
class Ports:
    sendcloud: int
    dnspod: int
    platform: int
    dns: int
    route53: int = DEFAULT_PORTS["route53_port"]  # moto's server, when the seed has route53
    cloudflare: int = DEFAULT_PORTS["cloudflare_port"]

    def http_ports(self) -> dict[str, int]:
        """HTTP component name -> port."""
        return {"sendcloud": self.sendcloud, "dnspod": self.dnspod, "platform": self.platform,
                "cloudflare": self.cloudflare}


@dataclass(frozen=True)
class SandboxConfig:
    state_dir: Path
    seed_path: Path
    seed: dict[str, Any]
    host: str
    ports: Ports

    @property
    def db_path(self) -> Path:
        return self.state_dir / "state.db"

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "sandbox.pid"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "sandbox.log"

    @property
    def route53_enabled(self) -> bool:
        """moto plays Route 53 when the seed has a ``route53:`` section."""
        return bool(self.seed.get("route53"))

    @property
    def endpoints_path(self) -> Path:
        return self.state_dir / "endpoints.json"


def default_state_dir() -> Path:
    from_env = os.environ.get("SANDBOX_STATE_DIR")
    return Path(from_env) if from_env else Path.cwd() / ".sandbox"


def load_seed(seed_path: Path) -> dict[str, Any]:
    with open(seed_path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{seed_path}: the seed must be a mapping")
    return data


def resolve_ports(seed: dict[str, Any], env: dict[str, str] | None = None) -> Ports:
    env = dict(os.environ) if env is None else env
    listen = seed.get("listen") or {}
    values: dict[str, int] = {}
    for key, env_name in PORT_ENV.items():
        raw = env.get(env_name) or listen.get(key) or DEFAULT_PORTS[key]
        values[key] = int(raw)
    return Ports(
        sendcloud=values["sendcloud_port"],
        dnspod=values["dnspod_port"],
        platform=values["platform_port"],
        dns=values["dns_port"],
        route53=values["route53_port"],
        cloudflare=values["cloudflare_port"],
    )


def load_config(
    state_dir: Path | str | None = None, seed_path: Path | str | None = None
) -> SandboxConfig:
    state = Path(state_dir) if state_dir else default_state_dir()
    seed_file = Path(seed_path) if seed_path else DEFAULT_SEED
    seed = load_seed(seed_file)
    return SandboxConfig(
        state_dir=state.resolve(),
        seed_path=seed_file.resolve(),
        seed=seed,
        host=HOST,
        ports=resolve_ports(seed),
    )
