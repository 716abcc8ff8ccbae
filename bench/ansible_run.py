"""Run ansible-playbook once, timed: wall time, peak RSS, CPU, stages from the bench callback.

CPU: user + system seconds of the whole tree; other_cpu_s is what the rest of the machine
(the sandbox or BIND, and any other load) used meanwhile, from /proc/stat: a contention gauge.

Peak RSS: os.wait4() on the ansible-playbook process returns its rusage including every
descendant it waited for; ru_maxrss is then the largest single process of the tree (the
controller's main process: workers are forks of it and module processes are much smaller).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import project_dir

REPO = Path(__file__).resolve().parents[1]
PROJECT = project_dir()   # the checkout that is measured (usually this one)
BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                   re.M)


@dataclass
class RunResult:
    name: str
    returncode: int
    wall_s: float
    rss_mb: float
    cpu_s: float
    other_cpu_s: float
    hosts: int
    changed_hosts: int
    failed_hosts: int
    stages: dict[str, float] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    output_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed_hosts == 0


def callback_settings() -> dict[str, str]:
    """ansible.cfg's callback settings with the bench's timer added (env overrides the file)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(PROJECT / "ansible.cfg")
    paths = [p for p in config.get("defaults", "callback_plugins", fallback="").split(":") if p]
    enabled = [c for c in config.get("defaults", "callbacks_enabled", fallback="").split(",") if c]
    paths = [str((PROJECT / p).resolve()) for p in paths] + [str(REPO / "bench/callback_plugins")]
    return {"ANSIBLE_CALLBACK_PLUGINS": ":".join(paths),
            "ANSIBLE_CALLBACKS_ENABLED": ",".join([*enabled, "bench_timer"])}


def credentials_dir(workdir: Path) -> Path:
    return workdir / "credentials"


def base_env(workdir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(PROJECT / "ansible.cfg"),
        **callback_settings(),
        "MAILOPS_CREDENTIALS_DIR": str(credentials_dir(workdir)),
        "MAILOPS_REPORT_DIR": str(workdir / "reports"),
        "MAILOPS_PLAN_DIR": str(workdir / "plans"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "ANSIBLE_NOCOLOR": "1",
        "PYTHONPATH": str(REPO),
    })
    env.update(extra)
    return env


def stage_key(task: dict[str, Any]) -> str:
    """The role, else the prefix of a bench task named "stage | what", else "other tasks"."""
    if task["role"]:
        return task["role"]
    prefix, sep, _rest = task["task"].partition(" | ")
    return prefix if sep else "other tasks"


MODULE_STAGE_ROLES = {"preflight": "preflight", "sending_domain": "sending_domain",
                      "api_users": "api_users", "binding": "platform_binding"}


def stage_times(timings: dict[str, Any]) -> dict[str, float]:
    """Wall seconds per stage (summed over plays: a role may run in a plan and an apply play).
    A task that runs every stage in one module call (``module_stages``: the seconds its hosts
    spent in each stage) has its wall time split in those proportions."""
    stages: dict[str, float] = {}
    for task in timings.get("tasks", []):
        wall = task["end"] - task["start"]
        inside = task.get("module_stages") or {}
        total = sum(inside.values())
        shares = ({MODULE_STAGE_ROLES.get(stage, stage): seconds / total
                   for stage, seconds in inside.items()} if total > 0 else {stage_key(task): 1.0})
        for key, share in shares.items():
            stages[key] = stages.get(key, 0.0) + wall * share
    return {key: round(value, 2) for key, value in stages.items()}


def task_times(timings: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"stage": stage_key(t), "task": t["task"], "seconds": round(t["end"] - t["start"], 2),
             **({"module_stage_seconds": {k: round(v, 2) for k, v in t["module_stages"].items()}}
                if t.get("module_stages") else {})}
            for t in timings.get("tasks", [])]


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run(name: str, playbook: Path, inventory: Path, workdir: Path,
        extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> RunResult:
    workdir.mkdir(parents=True, exist_ok=True)
    timings_file = workdir / f"{name}.timings.json"
    log_file = workdir / f"{name}.log"
    env = base_env(workdir, {"BENCH_TIMINGS_FILE": str(timings_file), **(extra_env or {})})
    command = [str(BIN / "ansible-playbook"), str(playbook), "-i", str(inventory),
               "-e", f"mailops_report_dir={workdir / 'reports'}", *args]
    busy_before = machine_busy_s()
    started = time.monotonic()
    with log_file.open("w") as log:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # interrupted bench: do not leave the playbook running
            process.terminate()
            process.wait()
            raise
    wall = time.monotonic() - started
    machine_cpu = machine_busy_s() - busy_before
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    output = log_file.read_text()
    recap = RECAP.findall(output)
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    return RunResult(
        name=name,
        returncode=process.returncode,
        wall_s=round(wall, 2),
        rss_mb=round(usage.ru_maxrss / 1024, 1),
        cpu_s=round(cpu, 1),
        other_cpu_s=round(max(machine_cpu - cpu, 0.0), 1),
        hosts=len(recap),
        changed_hosts=sum(1 for row in recap if int(row[2]) > 0),
        failed_hosts=sum(1 for row in recap if int(row[4]) > 0 or int(row[3]) > 0),
        stages=stage_times(timings),
        tasks=task_times(timings),
        output_tail=output[-3000:] if process.returncode else "",
    )
