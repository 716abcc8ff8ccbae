"""A run's plans, reports, rebind backups and rebind log default to its inventory's directory
(issue 21, point 13) and are git-ignored there, wherever the inventory is."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (REPO / ".git").exists() or not shutil.which("git"),
                                reason="needs a git checkout and git")


@pytest.mark.parametrize("path", [
    "inventories/prod/plans/latest-check/plan.json",
    "inventories/prod/reports/index.md",
    "inventories/prod/reports/changes/acme--acme.com.md",
    "inventories/prod/backups/acme/20261206T230000Z.json",
    "inventories/prod/rebind-audit.jsonl",
    "deploy/prod/rebind-audit.jsonl",
])
def test_a_runs_state_in_the_inventory_is_git_ignored(path):
    checked = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=REPO)
    assert checked.returncode == 0, path


def test_sandbox_reset_and_clean_remove_only_the_sandbox_inventorys_state():
    """make sandbox-reset deleted the checkout's plans/ and reports/, a production inventory's
    too while they lived there."""
    planned = subprocess.run(["make", "-n", "sandbox-reset", "clean"], cwd=REPO, capture_output=True,
                             text=True, timeout=60)
    removals = [line for line in planned.stdout.splitlines() if "rm -rf" in line]
    assert removals
    for line in removals:
        where, _, targets = line.rpartition("rm -rf ")
        assert where in ("", "cd inventories/sandbox && ") or where.startswith("cd inventories/sandbox-"), line
        if not where:
            assert all(t in (".venv", ".sandbox") or t.startswith("inventories/sandbox")
                       for t in targets.split()), line
