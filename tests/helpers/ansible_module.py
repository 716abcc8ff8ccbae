"""Run one module with ``ansible localhost -m`` from the repository's library and module_utils:
as a module (AnsiballZ carries what it imports) or in Ansible's worker (the action plugin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_module(module: str, args: dict, workdir: Path, *options: str,
               in_process: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_CONFIG"}  # no repo vault ids
    env.update(ANSIBLE_LIBRARY=str(REPO / "library"), ANSIBLE_MODULE_UTILS=str(REPO / "module_utils"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", NO_PROXY="127.0.0.1")
    if in_process:
        env["ANSIBLE_ACTION_PLUGINS"] = str(REPO / "action_plugins")
    command = [str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,",
               "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
               "-m", module, "-a", json.dumps(args), *options]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                          cwd=workdir)
