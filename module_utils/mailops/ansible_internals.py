"""Every place the project's controller code (local_action.py and the action plugins) reaches
below Ansible's documented plugin API, in one file. Each touchpoint has a test of its own
(tests/unit/test_ansible_internals.py) against the installed ansible-core, so an upgrade that
changes one fails there, by name, instead of somewhere in a playbook run. docs/execution.md says
why the in-process path is worth them.

What stays outside is the documented action-plugin API every action plugin uses (``ActionBase``
with ``_task``, ``_connection``, ``_templar``, ``_execute_module``, ``_remove_tmp_path``), the
argument-spec validator and the configuration (``C.config``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
from ansible.plugins.loader import filter_loader, test_loader
from ansible.template import trust_as_template

TO_MODULE = Direction.CONTROLLER_TO_MODULE
FROM_MODULE = Direction.MODULE_TO_CONTROLLER


def as_json(value: Any, direction: Direction) -> Any:
    """``value`` as it crosses between controller and module: through the JSON that Ansible
    encodes a module's arguments and results with (plain types, no templating tags)."""
    text = json.dumps(value, cls=get_module_encoder("legacy", direction))
    return json.loads(text, cls=get_module_decoder("legacy", direction))


def no_log_values(validation: Any) -> set[str]:
    """The values of a validated argument spec's ``no_log`` options (ValidationResult keeps
    them private; AnsibleModule reads them the same way)."""
    return validation._no_log_values


def raw_host_variables(hostvars: Any, host: str) -> Mapping[str, Any]:
    """A host's variables as stored, not templated (HostVars.raw_get)."""
    return hostvars.raw_get(host)


def extra_variable_names(hostvars: Any) -> frozenset[str]:
    """The names of the run's extra variables (``-e``), which HostVars keeps in its variable
    manager."""
    return frozenset(getattr(getattr(hostvars, "_variable_manager", None), "extra_vars", {}))


def connection_tmpdir(connection: Any) -> str | None:
    """The remote temporary directory a module run made, as Ansible's ``normal`` action plugin
    removes it (the connection's shell keeps it)."""
    return connection._shell.tmpdir


def trusted(template: str) -> Any:
    """A string the templar may render (since ansible-core 2.19 only trusted strings are)."""
    return trust_as_template(template)


def load_builtin_filters_and_tests() -> None:
    """Load every builtin filter and test plugin now (Ansible loads them all the first time a
    template uses any one), so forked workers inherit them."""
    for loader in (filter_loader, test_loader):
        for _plugin in loader.all():
            pass
