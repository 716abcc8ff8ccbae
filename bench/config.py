"""Bench parameters (from the environment) and a description of the machine."""

from __future__ import annotations

import configparser
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"
# Every scenario, by the name BENCH_SKIP and BENCH_ONLY take.
SCENARIOS = ("project", "naive", "floor", "floor_module", "dns", "scale", "delayed",
             "delayed_scale", "rebind", "rebind_delayed")


def project_dir() -> Path:
    """The checkout whose playbooks and code the project's runs use: this one, or
    BENCH_PROJECT_DIR (e.g. a git worktree of an older commit, to measure it with this bench
    and this sandbox)."""
    given = os.environ.get("BENCH_PROJECT_DIR", "").strip()
    return Path(given).resolve() if given else REPO


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def configured_forks() -> int:
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO / "ansible.cfg")
    return config.getint("defaults", "forks", fallback=5)


@dataclass(frozen=True)
class Params:
    tenants: int
    latency_ms: int
    scale_tenants: int
    forks: int
    repeat: int
    skip: frozenset[str]
    keep: bool
    dns_delay_s: int
    verify_lag_s: int

    @classmethod
    def from_env(cls) -> Params:
        skip = {s.strip() for s in os.environ.get("BENCH_SKIP", "").split(",") if s.strip()}
        only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
        unknown = (skip | only) - set(SCENARIOS)
        if unknown:
            raise SystemExit(f"BENCH_SKIP/BENCH_ONLY: unknown scenario {', '.join(sorted(unknown))}; "
                             f"the scenarios are {', '.join(SCENARIOS)}")
        if only:
            skip |= set(SCENARIOS) - only
        return cls(
            tenants=_env_int("BENCH_TENANTS", 100),
            latency_ms=_env_int("BENCH_LATENCY_MS", 50),
            scale_tenants=_env_int("BENCH_SCALE_TENANTS", 1000),
            forks=_env_int("BENCH_FORKS", configured_forks()),
            repeat=max(1, _env_int("BENCH_REPEAT", 3)),
            skip=frozenset(skip),
            keep=os.environ.get("BENCH_KEEP", "") not in ("", "0"),
            dns_delay_s=_env_int("BENCH_DNS_DELAY_S", 30),
            verify_lag_s=_env_int("BENCH_VERIFY_LAG_S", 60),
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skip"] = sorted(self.skip)
        data["forks_from"] = "BENCH_FORKS" if os.environ.get("BENCH_FORKS") else "ansible.cfg"
        data["project_dir"] = str(project_dir()) if project_dir() != REPO else ""
        return data


def _output(command: list[str]) -> str:
    try:
        return subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except OSError:
        return ""


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def machine() -> dict[str, Any]:
    import ansible.release

    dirty = [line[3:] for line in _output(["git", "status", "--porcelain"]).splitlines()
             if not line[3:].startswith(("bench/", "docs/bench.md", ".venv-bench"))]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "ansible_core": ansible.release.__version__,
        "community_general": community_general_version(),
        "named": _output(["/usr/sbin/named", "-v"]),
        "git_commit": _output(["git", "-C", str(project_dir()), "rev-parse", "--short", "HEAD"]),
        "git_uncommitted_project_files": dirty,
    }


def bench_collections_path() -> Path:
    found = sorted(BENCH_VENV.glob("lib/python3*/site-packages"))
    return found[0] if found else BENCH_VENV / "lib" / "python3" / "site-packages"


def community_general_version() -> str:
    import json

    manifest = bench_collections_path() / "ansible_collections/community/general/MANIFEST.json"
    if not manifest.exists():
        return ""
    return json.loads(manifest.read_text())["collection_info"]["version"]


def ensure_bench_venv() -> Path:
    """.venv-bench with PyPI's `ansible` package (for community.general.nsupdate only)."""
    marker = bench_collections_path() / "ansible_collections/community/general/MANIFEST.json"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run([str(BENCH_VENV / "bin/pip"), "install", "-q", "--no-deps", "ansible"],
                       check=True)
    return bench_collections_path()
