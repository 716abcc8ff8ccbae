"""Write what a run changes (or, in check mode, would change) as a plan a pipeline can read.

Why a callback and not tasks: a callback sees every task result of every tenant, including
failed and skipped ones, without adding a task per stage, and it cannot be forgotten by a
playbook. It only reads results; it never changes what a run does.

Output, per run, in ``plans/<UTC time>-<check|apply>/``:
  plan.json  {"mode", "tenants": {tenant: {"changes": [...], "counts": {...}}}, "checksum"}
  plan.md    the same for humans
  checksum   the checksum alone, for the pipeline to pin with -e expected_plan_checksum=...
``plans/latest-check`` / ``plans/latest-apply`` point at the newest of each.
The checksum covers the normalised changes only (no times), so the same plan gives the
same checksum on every run.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: mailops_plan
type: aggregate
short_description: Write the run's per-tenant changes to plans/ as JSON, Markdown and a checksum
description:
  - In check mode this is the plan a merge-request pipeline reviews; in apply mode it is the
    record of what was changed. Secrets are masked.
options:
  plan_dir:
    description: Directory under which each run's plan directory is created.
    default: plans
    env:
      - name: MAILOPS_PLAN_DIR
    ini:
      - section: mailops_plan
        key: plan_dir
"""

SECRET_WORDS = ("key", "token", "secret", "password")
KNOWN_AFTER_APPLY = "(known after apply)"


def mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if _is_secret(k) and v not in (None, KNOWN_AFTER_APPLY) else mask(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def _is_secret(name: str) -> bool:
    lowered = str(name).lower()
    return any(word in lowered for word in SECRET_WORDS) and not lowered.endswith("_sha256")


def normalise(tenants: dict[str, Any]) -> dict[str, Any]:
    return {tenant: {"changes": entry["changes"], "counts": entry["counts"]}
            for tenant, entry in sorted(tenants.items())}


def checksum_of(tenants: dict[str, Any]) -> str:
    canonical = json.dumps(normalise(tenants), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def change_entry(task_name: str, action: str, result: dict[str, Any]) -> dict[str, Any]:
    entry = {"task": task_name, "module": action, "diff": mask(result.get("diff") or {})}
    for field in ("records", "api_users", "changes"):
        if isinstance(result.get(field), list):
            entry[field] = mask(result[field])
    if "action" in result:
        entry["action"] = result["action"]
    return entry


def render_markdown(plan: dict[str, Any]) -> str:
    lines = [f"# Plan ({plan['mode']})", "", f"checksum `{plan['checksum']}`", "",
             "| tenant | changes | failed |", "|---|---|---|"]
    for tenant, entry in plan["tenants"].items():
        lines.append(f"| {tenant} | {entry['counts']['changed']} | {entry['counts']['failed']} |")
    for tenant, entry in plan["tenants"].items():
        lines += ["", f"## {tenant}", ""]
        if not entry["changes"]:
            lines.append("No changes.")
        for change in entry["changes"]:
            lines += [f"### {change['task']}", "", "```json",
                      json.dumps(change["diff"], indent=2, sort_keys=True, ensure_ascii=False),
                      "```"]
    return "\n".join(lines) + "\n"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mailops_plan"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.tenants: dict[str, dict[str, Any]] = {}
        self.check_mode = False
        self.playbook_dir = Path.cwd()

    def v2_playbook_on_start(self, playbook: Any) -> None:
        from ansible import context
        self.playbook_dir = Path(playbook._basedir)
        self.check_mode = bool(context.CLIARGS.get("check"))

    def _tenant(self, host: str) -> dict[str, Any]:
        return self.tenants.setdefault(host, {"changes": [], "counts": {"changed": 0, "failed": 0}})

    def v2_runner_on_ok(self, result: Any) -> None:
        tenant = self._tenant(result._host.get_name())
        if result._result.get("changed"):
            tenant["changes"].append(change_entry(result._task.get_name(), result._task.action,
                                                  result._result))
            tenant["counts"]["changed"] += 1

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        if not ignore_errors:
            self._tenant(result._host.get_name())["counts"]["failed"] += 1

    def v2_playbook_on_stats(self, stats: Any) -> None:
        if not self.tenants:
            return
        mode = "check" if self.check_mode else "apply"
        root = Path(self.get_option("plan_dir"))
        if not root.is_absolute():
            root = self._repo_root() / root
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        directory = root / f"{stamp}-{mode}"
        directory.mkdir(parents=True, exist_ok=True)
        plan = {"mode": mode, "tenants": normalise(self.tenants),
                "checksum": checksum_of(self.tenants)}
        (directory / "plan.json").write_text(json.dumps(plan, indent=2, sort_keys=True,
                                                        ensure_ascii=False, default=str) + "\n")
        (directory / "plan.md").write_text(render_markdown(plan))
        (directory / "checksum").write_text(plan["checksum"] + "\n")
        latest = root / f"latest-{mode}"
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        os.symlink(directory.name, latest)
        self._display.display(f"mailops plan ({mode}) written to {directory} "
                              f"checksum {plan['checksum']}")

    def _repo_root(self) -> Path:
        for candidate in (self.playbook_dir, *self.playbook_dir.parents):
            if (candidate / "ansible.cfg").exists():
                return candidate
        return Path.cwd()
