"""Run the real ansible-playbook against a test sandbox, with the run's own credential,
report and plan directories, and read back what it recorded."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    workdir: Path

    def recap(self) -> dict[str, dict[str, int]]:
        return {host: {"ok": int(ok), "changed": int(changed), "failed": int(failed)}
                for host, ok, changed, _unreachable, failed in RECAP.findall(self.output)}

    def plan(self, mode: str) -> dict[str, Any]:
        return json.loads((self.workdir / "plans" / f"latest-{mode}" / "plan.json").read_text())

    def newest_plan_dir(self, mode: str) -> Path:
        """The newest plan directory of ``mode``, a refused one too (latest-apply skips those)."""
        return max(d for d in (self.workdir / "plans").glob(f"*-{mode}") if not d.is_symlink())


def playbook_env(sandbox: Any, workdir: Path) -> dict[str, str]:
    """The environment of a run against ``sandbox`` with its own dirs under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(sandbox.env)
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "MAILOPS_CREDENTIALS_DIR": str(workdir / "credentials"),
        "MAILOPS_PLAN_DIR": str(workdir / "plans"),
        "NO_PROXY": "127.0.0.1,localhost",
        "ANSIBLE_NOCOLOR": "1",
        "MAILOPS_REPORT_DIR": str(workdir / "reports"),
        "PYTHON_BIN": sys.executable,
    })
    return env


def run_playbook(sandbox: Any, workdir: Path, *args: str, playbook: str = "onboard.yml",
                 extra_env: dict[str, str] | None = None, timeout: float = 600) -> PlaybookRun:
    env = playbook_env(sandbox, workdir)
    env.update(extra_env or {})
    command = [str(BIN / "ansible-playbook"), playbook, *args]
    completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                               timeout=timeout)
    return PlaybookRun(completed.returncode, completed.stdout + completed.stderr, workdir)


def tenants(sandbox: Any) -> dict[str, dict[str, Any]]:
    """The sandbox inventory's tenants, as ansible-inventory resolves them."""
    import yaml
    hosts = yaml.safe_load((REPO / "inventories/sandbox/hosts.yml").read_text())
    return hosts["tenants"]["hosts"]
