"""The AWX configuration playbook (awx/configure.yml) parses with the awx.awx collection
(ansible-playbook --syntax-check; make lint runs ansible-lint on it). Running it needs an AWX."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_the_awx_configuration_passes_the_syntax_check():
    subprocess.run([sys.executable, "-m", "scripts.install_awx_collection"], cwd=REPO, check=True,
                   capture_output=True, timeout=600)
    checked = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "awx/configure.yml"],
                             cwd=REPO, capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg")))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_configuration_creates_every_credential_type_of_the_repository():
    play = yaml.safe_load((REPO / "awx/configure.yml").read_text())[0]
    declared = set(play["vars"]["mailops_credential_types"])
    assert declared == {p.stem for p in (REPO / "awx/credential_types").glob("*.yml")}


def test_the_rebind_schedule_is_friday_23_00_in_shanghai():
    play = yaml.safe_load((REPO / "awx/configure.yml").read_text())[0]
    schedule = next(t["awx.awx.schedule"] for t in play["tasks"]
                    if t.get("awx.awx.schedule", {}).get("unified_job_template") == "mailops rebind")
    assert schedule["rrule"].startswith("DTSTART;TZID=Asia/Shanghai:")
    assert "T230000 " in schedule["rrule"] and "FREQ=WEEKLY" in schedule["rrule"]
    assert "BYDAY=FR" in schedule["rrule"]
