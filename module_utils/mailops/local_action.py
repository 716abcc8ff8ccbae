"""Controller side only: the action plugins in ``action_plugins/`` build on this; no module
imports it (it imports the controller's ``ansible.plugins``).

Every mailops module talks to HTTP APIs and DNS servers, never to the host it targets: a tenant
is a host with ``ansible_connection: local``. Run as a module, each call starts a new Python,
imports ``ansible.module_utils.basic``, compiles the module's code from the AnsiballZ zip (no
bytecode cache there) and imports requests and the Tencent Cloud SDK again: most of a no-op
tenant's cost (docs/execution.md; the figures are in the bench history). The action plugin of the same name runs
the same work function in the worker process Ansible already forked for the task, whose parent
imported all of it once (the linear strategy loads each action plugin class in the controller's
main process). The module stays the documented interface and what runs anywhere else:

- the task's connection is not ``local`` (the work then runs where the inventory says),
- the task is ``async`` (it needs a process of its own to outlive the task), or
- the host sets ``mailops_in_process: false`` (e.g. to debug with ANSIBLE_KEEP_REMOTE_FILES).

In process, the module's contract holds as AnsibleModule would keep it: the arguments are
validated against the module's own argument spec (errors name the module, never the values),
check mode is the task's, warnings are Ansible warnings, a ``MailopsError`` is a failed result
with its ``error`` dict, any other exception a failed result with its traceback, and every
``no_log`` value is masked out of all of it.

A module may also take its arguments ``from_inventory`` (mailops_tenant does): the plugin reads
the variables it names from the host, renders them in one pass, validates them against a role's
argument spec when the task gives one (``inventory_spec``), and builds the arguments from them,
either way the module then runs. Each task renders a variable's template once, where written-out
arguments rendered it again at every reference (docs/bench.md, "Where the time goes").
"""

from __future__ import annotations

import ctypes
import functools
import gc
import importlib
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import yaml
from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.mailops.ansible_internals import (
    FROM_MODULE,
    TO_MODULE,
    as_json,
    connection_tmpdir,
    load_builtin_filters_and_tests,
    no_log_values,
    raw_host_variables,
    trusted,
)
from ansible.module_utils.mailops.dns.providers import provider_names
from ansible.module_utils.mailops.errors import MailopsError
from ansible.module_utils.mailops.module_glue import REGISTERED_ARG
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

Work = Callable[[dict[str, Any], bool], dict[str, Any]]
PR_SET_PDEATHSIG = 1   # <linux/prctl.h>
FromInventory = tuple[tuple[str, ...], Callable[[Mapping[str, Any]], dict[str, Any]]]
# Adds to a run-once task's arguments what it reads from the hosts it names (the plugin's
# arguments, what it read from ``registered``, the task's variables); mailops_wait's keys.
Prepare = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], None]
# AnsibleModule's keywords beyond the argument spec, as its module passes them (mutually_exclusive,
# required_together, required_one_of, required_if, required_by): the validator takes the same.
Checks = dict[str, list[Any] | dict[str, Any]]
_warmed = False

# What a module imports only when it needs it (a DNS query, one provider), imported here once,
# in the controller's main process, for every worker it forks to inherit. Only a speed-up: a
# missing library is reported where it is needed, as in a module.
PRELOAD = ("dns.resolver", "dns.rdtypes.IN", "netrc",
           "ansible.module_utils.mailops.dns.propagation",
           "ansible.module_utils.mailops.dns.zone",
           "ansible.module_utils.mailops.sendcloud.diagnose",
           # every provider file (a provider imports its SDK when its client is built)
           *(f"ansible.module_utils.mailops.dns.providers.{name}" for name in provider_names()))


def warm_controller() -> None:
    """Load, once in the controller, what each forked worker would otherwise load again for
    its task: the modules above (``netrc``: requests imports it for the Tencent Cloud SDK's
    session); every builtin filter and test plugin, which Ansible loads the first time a
    template uses any one of them (in every worker: the API user names' ``regex_replace``, the
    tasks' ``is defined``); the ``env`` lookup of the project's defaults
    (``mailops_report_dir``); Jinja's lexer, built at the first compile; the JSON profiles
    ``as_json`` uses. Ansible keeps each in a process-wide cache that every worker inherits
    (docs/bench.md, "Where the time goes").

    Last, everything the controller holds by now is moved out of the cyclic collector's reach
    (``gc.freeze``): a worker's collection would otherwise walk every object it inherited, and
    touching each one copies the page it is on (copy-on-write), in every worker."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    load_builtin_filters_and_tests()
    lookup_loader.get("ansible.builtin.env")  # the project's defaults read the environment
    Templar(loader=DataLoader()).template(trusted("{{ 'warm' | lower is string }}"))
    as_json({}, TO_MODULE)
    as_json({}, FROM_MODULE)
    _linux_prctl()
    gc.freeze()


def pause_collector_in_worker() -> None:
    """Turn the cyclic collector off in a forked worker (never in the controller or a test's
    process). The worker runs one task and exits, and its cycles go with it: a collection would
    only cost time, and copy the inherited pages it touches."""
    if multiprocessing.parent_process() is not None:
        gc.disable()


@functools.cache
def _linux_prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once (warm_controller does it in the controller, for every
    worker to inherit)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def end_worker_with_controller() -> None:
    """A forked worker gets SIGTERM when the controller dies (Linux's parent-death signal), as
    on Ctrl-C. Ansible's workers run in a session of their own: with the controller killed
    (kill -9, an out-of-memory kill), one would go on writing with nobody to report to, beside
    the rerun an operator starts. Nothing is lost either way: every write is resumable."""
    parent = multiprocessing.parent_process()
    prctl = _linux_prctl()
    if parent is None or prctl is None:
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent.pid:   # it died before the signal was asked for
        os.kill(os.getpid(), signal.SIGTERM)


def runs_in_process(connection: str, async_seconds: int, task_vars: dict[str, Any]) -> bool:
    return (connection == "local" and not async_seconds
            and boolean(task_vars.get("mailops_in_process", True)))


def run_work(module_name: str, argument_spec: dict[str, Any], args: dict[str, Any],
             work: Work, check_mode: bool, read: dict[str, Any] | None = None,
             inject_invocation: bool = False,
             checks: Checks | None = None) -> tuple[dict[str, Any], list[str]]:
    """The module's run, without the module: (result, warnings). ``read`` holds the per-host
    option the plugin read from ``registered``: every host's result of a project module, a
    mapping by construction. It joins the arguments after they are validated, because the
    validator deep-copies what it checks (a fifth to a third of a run-once task, profiled).

    ``invocation`` is in the result only when ``inject_invocation`` (Ansible's
    ``INJECT_INVOCATION``, off by default since ansible-core 2.21) says so, as AnsibleModule
    returns it: the work's own if it gave one, else every argument. ``checks`` are the
    AnsibleModule keywords beyond the spec (required_together, mutually_exclusive, ...), which
    the validator applies as AnsibleModule does."""
    validation = ArgumentSpecValidator(argument_spec, **(checks or {})).validate(
        as_json(args, TO_MODULE))
    if validation.error_messages:
        return {"failed": True, "msg": f"{module_name}: {validation.errors.msg}"}, []
    params = {**validation.validated_parameters,
              **as_json(read or {}, TO_MODULE)}
    try:
        result = work(params, check_mode)
    except MailopsError as error:
        result = {"failed": True, "msg": str(error), "error": error.to_dict(), **error.partial}
    except Exception as error:  # a bug: reported like a module's crash, secrets masked too
        result = {"failed": True, "msg": f"{module_name} failed unexpectedly: "
                  f"{type(error).__name__}: {error}", "exception": traceback.format_exc()}
    warnings = [str(w) for w in result.pop("warnings", [])]
    if inject_invocation:
        result.setdefault("invocation", {"module_args": params})
    else:
        result.pop("invocation", None)
    secrets = no_log_values(validation)
    result = as_json(remove_values(result, secrets), FROM_MODULE)
    return result, [remove_values(w, secrets) for w in warnings]


def role_argument_spec(path: str) -> dict[str, Any]:
    """The options of the ``main`` entry point in a role's ``meta/argument_specs.yml``."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return document["argument_specs"]["main"]["options"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise AnsibleActionFail(f"cannot read the role argument spec {path}: {error}") from None


def validate_inventory(spec_file: str, variables: Mapping[str, Any]) -> None:
    """Ansible's check of a role's variables against its argument spec (the action
    ``validate_argument_spec``, with its message), made in the task that reads them. As that
    action, it looks only at the spec's variables (the task may read others, such as the host's
    name)."""
    spec = role_argument_spec(spec_file)
    validation = ArgumentSpecValidator(spec).validate(
        as_json({name: value for name, value in variables.items() if name in spec}, TO_MODULE))
    if validation.error_messages:
        raise AnsibleActionFail("Validation of arguments failed:\n"
                                + "\n".join(validation.error_messages),
                                result={"argument_errors": validation.error_messages})


def args_from_inventory(module_name: str, build: Callable[[Mapping[str, Any]], dict[str, Any]],
                        variables: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """The module's arguments built from the host's ``variables``; those given explicitly win."""
    try:
        return {**build(variables), **args}
    except KeyError as error:
        raise AnsibleActionFail(
            f"{module_name}: the variable {error.args[0]} is not defined for this host; "
            f"set it in the inventory (the inventory contract is in README.md)") from None


def registered_values(module_name: str, hostvars: Any, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The option ``registered`` ({hosts, var, key}): per host, its registered variable ``var``
    (or that variable's ``key``), read as stored. A registered result is data that Ansible never
    templates; extracted by a template (``map('extract', hostvars, var)``), each host's whole
    result went through the template engine again, a cost per host paid by each run-once task
    while every other worker waits (the bench history). A host whose
    task failed gives its ``failed_entry``."""
    validation = ArgumentSpecValidator(REGISTERED_ARG["options"]).validate(
        as_json(spec, TO_MODULE) if isinstance(spec, Mapping) else {})
    if validation.error_messages:
        raise AnsibleActionFail(f"{module_name}: registered needs hosts (a list of host names) "
                                f"and var (the registered variable), and may have key: "
                                f"{validation.errors.msg}")
    hosts, var, key, missing = (validation.validated_parameters[name]
                                for name in ("hosts", "var", "key", "missing"))
    values = {}
    for host in hosts:
        variables = raw_host_variables(hostvars, host)
        value = variables.get(var) if isinstance(variables, Mapping) else None
        if key and isinstance(value, Mapping) and value.get("failed"):
            value = failed_entry(value, key)
        elif key:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is None and missing == "skip":
            continue
        if value is None:
            raise AnsibleActionFail(
                f"{module_name}: host {host} has no registered {var}{'.' + key if key else ''}; "
                f"name only hosts whose task registered it (e.g. ansible_play_hosts)")
        values[host] = value
    return values


def failed_entry(result: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A failed task's registered result, read with ``key``: its error, and the ``key`` part it
    returned anyway (mailops_tenant: the stages it completed before the failure)."""
    entry = {"failed": True, "msg": str(result.get("msg") or "failed; see the run output")}
    if result.get(key) is not None:
        entry[key] = result[key]
    return entry


def in_process_action(module_name: str, argument_spec: dict[str, Any], work: Work,
                      from_inventory: FromInventory | None = None,
                      from_registered: str | None = None,
                      prepare: Prepare | None = None, checks: Checks | None = None) -> type:
    """The ``ActionModule`` class for ``module_name``, made when Ansible loads the plugin in the
    controller's main process, which it warms first (``warm_controller``; importing this file
    alone does nothing of the kind). ``checks``: the keywords the module passes to
    AnsibleModule beyond its spec (a test compares them). Given ``from_inventory`` (the variables
    it reads, the function that builds the module's arguments from them), the task may say
    ``from_inventory: true`` instead of writing every argument out. Given ``from_registered``
    (a per-host option), the task may name the hosts and their registered variable instead
    (``registered``), which the plugin reads into that option. Given ``prepare``, it is called
    with the arguments, what was read and the task's variables, before the module runs."""
    ArgumentSpecValidator(argument_spec, **(checks or {}))   # an unknown keyword fails here
    warm_controller()

    class ActionModule(ActionBase):
        _supports_async = True

        def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
            pause_collector_in_worker()
            end_worker_with_controller()
            task_vars = task_vars or {}
            result = super().run(tmp, task_vars)
            args = dict(self._task.args)
            if from_inventory and boolean(args.pop("from_inventory", False)):
                # each variable read once and rendered in one pass, as validate_argument_spec does
                names, build = from_inventory
                variables = self._templar.template(
                    {name: task_vars[name] for name in names if name in task_vars})
                spec_file = args.pop("inventory_spec", None)
                if spec_file:
                    validate_inventory(spec_file, variables)
                args = args_from_inventory(module_name, build, variables, args)
            read: dict[str, Any] = {}
            if from_registered and args.get("registered") is not None:
                read[from_registered] = registered_values(
                    module_name, task_vars["hostvars"], args.pop("registered"))
            if prepare is not None:
                prepare(args, read, task_vars)
            if not runs_in_process(self._connection.transport, self._task.async_val, task_vars):
                return self._run_as_module(result, task_vars, {**args, **read})
            outcome, warnings = run_work(
                module_name, argument_spec, args, work, bool(self._task.check_mode), read,
                inject_invocation=C.config.get_config_value("INJECT_INVOCATION",
                                                            variables=task_vars),
                checks=checks)
            for warning in warnings:
                Display().warning(warning)
            result.update(outcome)
            return result

        def _run_as_module(self, result: dict[str, Any], task_vars: dict[str, Any],
                           args: dict[str, Any]) -> dict[str, Any]:
            """What Ansible's ``normal`` action plugin does for any module."""
            wrap_async = self._task.async_val
            result = merge_hash(result, self._execute_module(
                module_name=module_name, module_args=args, task_vars=task_vars,
                wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(connection_tmpdir(self._connection))
            return result

    ActionModule.__doc__ = f"Runs {module_name} in the worker process (module_utils/mailops/local_action.py)."
    return ActionModule
