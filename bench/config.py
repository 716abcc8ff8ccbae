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

    @classmethod
    def from_env(cls) -> Params:
        skip = os.environ.get("BENCH_SKIP", "")
        return cls(
            tenants=_env_int("BENCH_TENANTS", 100),
            latency_ms=_env_int("BENCH_LATENCY_MS", 50),
            scale_tenants=_env_int("BENCH_SCALE_TENANTS", 1000),
            forks=_env_int("BENCH_FORKS", configured_forks()),
            repeat=max(1, _env_int("BENCH_REPEAT", 3)),
            skip=frozenset(s.strip() for s in skip.split(",") if s.strip()),
            keep=os.environ.get("BENCH_KEEP", "") not in ("", "0"),
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skip"] = sorted(self.skip)
        data["forks_from"] = "BENCH_FORKS" if os.environ.get("BENCH_FORKS") else "ansible.cfg"
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
        "git_commit": _output(["git", "rev-parse", "--short", "HEAD"]),
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
