"""One test per place the project reaches below Ansible's documented plugin API
(module_utils/mailops/ansible_internals.py): an ansible-core upgrade that changes one fails here,
by name."""

from __future__ import annotations

from pathlib import Path

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.mailops import ansible_internals as internals
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader, filter_loader
from ansible.template import Templar


def test_as_json_turns_values_into_what_a_module_receives_and_returns():
    tagged = internals.trusted("{{ x }}")
    sent = internals.as_json({"a": tagged, "b": (1, 2)}, internals.TO_MODULE)
    assert sent == {"a": "{{ x }}", "b": [1, 2]} and type(sent["a"]) is str
    assert internals.as_json({"a": "b", "c": [1]}, internals.FROM_MODULE) == {"a": "b", "c": [1]}


def test_no_log_values_are_read_from_a_validation():
    spec = {"token": {"type": "str", "no_log": True}, "name": {"type": "str"}}
    validation = ArgumentSpecValidator(spec).validate({"token": "s3cret", "name": "acme"})
    assert internals.no_log_values(validation) == {"s3cret"}


def _hostvars(tmp_path: Path, extra_vars: dict):
    from ansible.inventory.manager import InventoryManager
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    inventory_file = tmp_path / "hosts.yml"
    inventory_file.write_text("all:\n  hosts:\n    acme:\n      greeting: '{{ 1 + 1 }}'\n")
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(inventory_file)])
    variables = VariableManager(loader=loader, inventory=inventory)
    variables._extra_vars = extra_vars  # as the CLI sets them
    return HostVars(inventory=inventory, variable_manager=variables, loader=loader)


def test_a_hosts_variables_are_read_as_stored_and_the_extra_variables_are_named(tmp_path):
    hostvars = _hostvars(tmp_path, {"force": True})
    assert internals.raw_host_variables(hostvars, "acme")["greeting"] == "{{ 1 + 1 }}"
    assert internals.extra_variable_names(hostvars) == {"force"}


def test_the_connection_keeps_the_module_runs_temporary_directory():
    connection = connection_loader.get("local", PlayContext(), None)
    assert internals.connection_tmpdir(connection) is None  # none made yet


def test_a_trusted_string_is_rendered_by_the_templar():
    templar = Templar(loader=DataLoader(), variables={"x": 2})
    assert templar.template(internals.trusted("{{ x + 1 }}")) == 3


def test_every_builtin_filter_is_loaded_at_once():
    internals.load_builtin_filters_and_tests()
    assert filter_loader.get("ansible.builtin.regex_replace") is not None
