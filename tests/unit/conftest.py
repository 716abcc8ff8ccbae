"""The unit tier runs in this process: a test that starts a program (subprocess, pty) belongs in
tests/cli/ (commands) or tests/integration/ (playbooks, servers). This fixture makes such a test
fail here, with that advice, instead of slowing the tier down unnoticed."""

from __future__ import annotations

import pty
import subprocess

import pytest

ADVICE = ("a unit test started a program; move the test to tests/cli/ (a command) or "
          "tests/integration/ (a playbook or server), where starting programs is expected")


class ProgramStartRefused(AssertionError):
    pass


def _refuse(*args: object, **kwargs: object) -> None:
    raise ProgramStartRefused(ADVICE)


@pytest.fixture(autouse=True)
def _no_programs_in_unit_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "Popen", _refuse)
    monkeypatch.setattr(pty, "fork", _refuse)
