"""An action plugin runs its module's work in process with the module's argument spec: every
other check the module gives AnsibleModule (required_together, mutually_exclusive, ...) must be
given to in_process_action as ``checks`` too, or the in-process path would skip it silently."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC_ONLY = {"argument_spec", "supports_check_mode"}
PLUGINS = sorted(p.stem for p in (REPO / "action_plugins").glob("*.py"))


def calls(path: Path, name: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name]


def module_checks(module: str) -> set[str]:
    return {keyword.arg for call in calls(REPO / "library" / f"{module}.py", "AnsibleModule")
            for keyword in call.keywords if keyword.arg not in SPEC_ONLY}


def plugin_checks(module: str) -> set[str]:
    found: set[str] = set()
    for call in calls(REPO / "action_plugins" / f"{module}.py", "in_process_action"):
        for keyword in call.keywords:
            if keyword.arg == "checks" and isinstance(keyword.value, ast.Dict):
                found |= {key.value for key in keyword.value.keys if isinstance(key, ast.Constant)}
    return found


@pytest.mark.parametrize("module", PLUGINS)
def test_the_in_process_path_applies_every_check_the_module_gives_ansible_module(module):
    missing = module_checks(module) - plugin_checks(module)
    assert not missing, (
        f"library/{module}.py gives AnsibleModule {sorted(missing)}; pass the same to "
        f"in_process_action(..., checks={{...}}) in action_plugins/{module}.py, or the "
        "in-process path skips them")


def test_the_check_reads_a_modules_keywords():
    assert module_checks("rebind_journal") == {"required_together"}  # a module without a plugin
