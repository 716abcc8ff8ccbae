"""A checkout's virtualenv is never committed, whether a directory or a link to a shared one:
pulling a commit that tracks ``.venv`` replaces the puller's virtualenv (git overwrites ignored
files), as c6285df and fc80413 had to undo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (REPO / ".git").exists() or not shutil.which("git"),
                                reason="needs a git checkout and git")


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)


def test_no_virtualenv_is_tracked():
    assert git("ls-files", "--", ".venv", ".venv-bench").stdout == ""


def test_a_virtualenv_link_is_ignored():
    assert git("check-ignore", "-q", "--no-index", ".venv").returncode == 0
