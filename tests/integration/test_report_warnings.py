"""A tenant's warnings reach its report: those of the plan's preflight too, which the apply pass
(reusing that preflight) does not show a second time."""

from __future__ import annotations

import pytest

from tests.helpers.playbook import run_playbook

pytestmark = pytest.mark.slow
QUOTA_WARNING = "of today's quota is left (threshold 100000000)"


def test_the_plan_s_preflight_warning_is_shown_once_and_reported(fresh_sandbox, tmp_path):
    sandbox = fresh_sandbox
    run = run_playbook(sandbox, tmp_path / "work", "-l", "acme",
                       "-e", "preflight_min_quota=100000000")
    assert run.returncode == 0, run.output[-3000:]
    shown = [line for line in run.output.splitlines() if QUOTA_WARNING in line]
    assert len(shown) == 1, shown
    report = (tmp_path / "work" / "reports" / "acme.md").read_text()
    assert any(line.startswith("> warning: ") and QUOTA_WARNING in line
               for line in report.splitlines()), report
