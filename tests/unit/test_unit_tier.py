"""The unit tier refuses to start programs (tests/unit/conftest.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.unit.conftest import ProgramStartRefused


def test_a_unit_test_that_starts_a_program_fails_with_where_to_move_it():
    with pytest.raises(ProgramStartRefused, match="move the test to tests/cli/"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
