"""Bench-only callback: when each task starts and ends, per role, written as JSON.

Enabled by the bench with ANSIBLE_CALLBACK_PLUGINS=bench/callback_plugins and
ANSIBLE_CALLBACKS_ENABLED=bench_timer; the output path comes from BENCH_TIMINGS_FILE.
With the linear strategy a task ends when the next one starts (or the play ends).
A task whose result carries ``timings`` (the project's mailops_tenant: seconds per stage inside
the module) also gets those, summed over its hosts, so its wall time can be split by stage.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Record task start and end times per role for the bench
description:
  - Writes a JSON list of tasks with their role, start and end (monotonic seconds) to
    the file named by the BENCH_TIMINGS_FILE environment variable.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()
        self.tasks: list[dict[str, Any]] = []

    def _close_last(self, now: float) -> None:
        if self.tasks and self.tasks[-1]["end"] is None:
            self.tasks[-1]["end"] = now

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        now = time.monotonic()
        self._close_last(now)
        role = task._role.get_name() if task._role else ""
        self.tasks.append({"task": task.get_name(), "role": role, "start": now, "end": None,
                           "module_stages": {}})

    def v2_runner_on_ok(self, result: Any) -> None:
        timings = result._result.get("timings")
        if not self.tasks or not isinstance(timings, dict):
            return
        sums = self.tasks[-1]["module_stages"]
        for stage, seconds in timings.items():
            sums[stage] = sums.get(stage, 0.0) + float(seconds)

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self.v2_playbook_on_task_start(task, False)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        now = time.monotonic()
        self._close_last(now)
        path = os.environ.get("BENCH_TIMINGS_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as stream:
                json.dump({"started": self.started, "ended": now, "tasks": self.tasks}, stream)
