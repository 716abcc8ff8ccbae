"""The inventory contract is declared once (module_utils/mailops/inventory_contract.py for the
tenant-wide variables, each provider's file for its own): every other place that spells it out
must agree with the declarations. Each failure says what to add or change, and where."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.mailops.inventory_contract import (
    BY_NAME,
    NO_DEFAULT,
    REQUIRED,
    RUN_SWITCHES,
    TENANT_VARIABLES,
)
from ansible.module_utils.mailops.tenant_inputs import CONTRACT, PROVIDER_VARIABLES

REPO = Path(__file__).resolve().parents[2]
DECLARE = ("declare it in module_utils/mailops/inventory_contract.py (TENANT_VARIABLES), or, "
           "for a provider's variable, in its provider file (ProviderOption)")
ROLE_SPECS = sorted(REPO.glob("roles/*/meta/argument_specs.yml"))


def role_options(path: Path) -> dict[str, dict[str, Any]]:
    return yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"]


TENANT_SPEC = role_options(REPO / "roles/tenant/meta/argument_specs.yml")
DEFAULTS = yaml.safe_load((REPO / "roles/mailops_defaults/defaults/main.yml").read_text())


def readme_rows() -> dict[str, str]:
    """Each variable of README's contract table, with its Required column."""
    text = (REPO / "README.md").read_text()
    table = text[text.index("| Variable | Required | Meaning |"):]
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        names, required = line.split("|")[1:3]
        for name in re.findall(r"`(\w+)`", names):
            rows[name] = required.strip()
    return rows


@pytest.mark.parametrize("variable", TENANT_VARIABLES, ids=lambda v: v.name)
def test_the_tenant_role_spec_declares_it_as_the_contract_does(variable):
    where = "roles/tenant/meta/argument_specs.yml"
    option = TENANT_SPEC.get(variable.name)
    assert option is not None, f"add {variable.name} to {where} (type {variable.type})"
    assert option["type"] == variable.type, f"{where}: {variable.name} is type {variable.type}"
    assert bool(option.get("no_log")) == variable.secret, (
        f"{where}: {variable.name} {'needs' if variable.secret else 'must not have'} no_log: true")
    assert tuple(option.get("choices") or ()) == variable.choices, (
        f"{where}: {variable.name}'s choices are {list(variable.choices)}")
    if variable.required_when == "always":
        assert option.get("required"), f"{where}: {variable.name} needs required: true"


@pytest.mark.parametrize("spec", ROLE_SPECS, ids=lambda p: p.parts[-3])
def test_every_role_spec_agrees_with_the_tenant_roles_on_each_contract_variable(spec):
    """A stage role may leave optional what it does not need; it may not require what the
    tenant role (which validates every run) leaves optional."""
    for name, option in role_options(spec).items():
        if name not in BY_NAME:
            continue
        tenant = TENANT_SPEC[name]
        assert not option.get("required") or tenant.get("required"), (
            f"{spec.relative_to(REPO)}: {name} is required there, not in "
            "roles/tenant/meta/argument_specs.yml; the contract (inventory_contract.py) says "
            f"required_when {BY_NAME[name].required_when!r}: make them agree")
        for key in ("type", "no_log", "choices"):
            assert option.get(key) == tenant.get(key), (
                f"{spec.relative_to(REPO)}: {name} has {key}: {option.get(key)}, "
                f"roles/tenant/meta/argument_specs.yml {key}: {tenant.get(key)}; make them agree "
                "with module_utils/mailops/inventory_contract.py")


@pytest.mark.parametrize("variable", TENANT_VARIABLES, ids=lambda v: v.name)
def test_the_defaults_file_holds_the_declared_default(variable):
    where = "roles/mailops_defaults/defaults/main.yml"
    if variable.default is NO_DEFAULT:
        assert variable.name not in DEFAULTS, (
            f"{where} defaults {variable.name}: declare that default in inventory_contract.py")
    else:
        assert variable.name in DEFAULTS and DEFAULTS[variable.name] == variable.default, (
            f"{where}: {variable.name} must default to {variable.default!r}, as declared")


def test_the_validator_requires_exactly_the_variables_every_tenant_sets():
    source = (REPO / "scripts/validate_inventory.py").read_text()
    assert "from ansible.module_utils.mailops.inventory_contract import REQUIRED" in source, (
        "scripts/validate_inventory.py must take REQUIRED from inventory_contract.py")
    assert not re.search(r"^REQUIRED\s*=", source, re.M), (
        "scripts/validate_inventory.py spells REQUIRED out again; use inventory_contract's")
    assert "sending_domain" in REQUIRED


def test_the_stages_read_every_declared_variable_and_nothing_undeclared():
    declared = set(BY_NAME) | set(PROVIDER_VARIABLES)
    assert not declared - set(CONTRACT), (
        f"add {sorted(declared - set(CONTRACT))} to tenant_inputs.CONTRACT")
    assert not set(CONTRACT) - declared, f"{sorted(set(CONTRACT) - declared)}: {DECLARE}"


def test_every_variable_a_role_or_the_readme_names_is_declared():
    declared = set(BY_NAME) | set(PROVIDER_VARIABLES) | set(RUN_SWITCHES)
    undeclared = {name for name in TENANT_SPEC if name not in declared}
    assert not undeclared, f"roles/tenant/meta/argument_specs.yml has {sorted(undeclared)}: {DECLARE}"
    undeclared = {name for name in readme_rows() if name not in declared}
    assert not undeclared, f"README.md's contract table has {sorted(undeclared)}: {DECLARE}"


@pytest.mark.parametrize("variable", TENANT_VARIABLES, ids=lambda v: v.name)
def test_the_readme_table_lists_it_with_when_it_is_required(variable):
    rows = readme_rows()
    assert variable.name in rows, f"add a row for {variable.name} to README.md's contract table"
    shown = {"always": "yes", "": ""}.get(variable.required_when,
                                          variable.required_when.partition("=")[2])
    assert rows[variable.name] == shown, (
        f"README.md: {variable.name}'s Required column must say {shown!r} "
        f"(required_when {variable.required_when!r})")
