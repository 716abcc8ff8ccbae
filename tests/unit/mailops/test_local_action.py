"""The in-process run of a module's work keeps the module's contract: validation against the
module's own argument spec, check mode, MailopsError as a failed result, no_log masking."""

from __future__ import annotations

import gc
import multiprocessing
from typing import Any

import pytest
from ansible.errors import AnsibleActionFail
from ansible.module_utils.mailops.errors import AuthError
from ansible.module_utils.mailops.local_action import (
    args_from_inventory,
    in_process_action,
    pause_collector_in_worker,
    registered_values,
    run_work,
    runs_in_process,
    validate_inventory,
    warm_controller,
)
from ansible.module_utils.mailops.stages.report import REPORT_ARGS, run_report

SPEC: dict[str, Any] = {
    "name": {"type": "str", "required": True},
    "api_key": {"type": "str", "required": True, "no_log": True},
    "retries": {"type": "int", "default": 3},
}
KEY = "k3y-never-shown-4a1f"


def test_arguments_are_validated_and_defaulted_before_the_work_runs():
    seen = {}

    def work(params, check_mode):
        seen.update(params=params, check_mode=check_mode)
        return {"changed": True}

    result, warnings = run_work("demo", SPEC, {"name": "acme", "api_key": KEY, "retries": "5"},
                                work, check_mode=True)
    assert seen == {"params": {"name": "acme", "api_key": KEY, "retries": 5}, "check_mode": True}
    assert result["changed"] is True and warnings == []


@pytest.mark.parametrize("args, wrong", [
    ({"api_key": KEY}, "name"),
    ({"name": "acme", "api_key": KEY, "retires": 2}, "retires"),
    ({"name": "acme", "api_key": KEY, "retries": "many"}, "retries"),
])
def test_bad_arguments_fail_naming_the_module_and_the_argument_not_the_secret(args, wrong):
    def work(params, check_mode):
        raise AssertionError("the work must not run with bad arguments")

    result, _warnings = run_work("demo", SPEC, args, work, check_mode=False)
    assert result["failed"] is True
    assert result["msg"].startswith("demo: ") and wrong in result["msg"]
    assert KEY not in repr(result)


def test_an_expected_failure_is_a_failed_result_with_its_error():
    def work(params, check_mode):
        raise AuthError("SendCloud refused the key of acme", code="40005", hint="rotate it")

    result, _warnings = run_work("demo", SPEC, {"name": "acme", "api_key": KEY}, work, False)
    assert result["failed"] is True
    assert "SendCloud refused the key of acme" in result["msg"]
    assert result["error"]["code"] == "40005"


def test_a_failure_returns_beside_its_error_what_the_work_had_done():
    def work(params, check_mode):
        error = AuthError("binding stage: refused")
        error.partial = {"stages": {"sending_domain": {"changed": True}}}
        raise error

    result, _warnings = run_work("demo", SPEC, {"name": "acme", "api_key": KEY}, work, False)
    assert result["failed"] is True and result["stages"] == {"sending_domain": {"changed": True}}


def test_a_bug_is_a_failed_result_with_its_traceback_and_no_secret():
    def work(params, check_mode):
        raise KeyError(f"no entry for {params['api_key']}")

    result, _warnings = run_work("demo", SPEC, {"name": "acme", "api_key": KEY}, work, False)
    assert result["failed"] is True
    assert result["msg"].startswith("demo failed unexpectedly: KeyError")
    assert "Traceback" in result["exception"]
    assert KEY not in repr(result)


def test_no_log_values_are_masked_in_the_result_warnings_and_invocation():
    def work(params, check_mode):
        return {"changed": False, "echo": {"deep": [f"key={params['api_key']}"]},
                "warnings": [f"the key {params['api_key']} is old"]}

    result, warnings = run_work("demo", SPEC, {"name": "acme", "api_key": KEY}, work, False,
                                inject_invocation=True)
    assert KEY not in repr(result) and KEY not in repr(warnings)
    assert result["invocation"]["module_args"]["name"] == "acme"
    assert result["invocation"]["module_args"]["api_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert warnings and "is old" in warnings[0]


def test_the_result_has_no_invocation_unless_ansible_injects_it_as_for_a_module():
    def work(params, check_mode):  # a work function that gives its own, as mailops_report does
        return {"changed": False, "invocation": {"module_args": {"name": params["name"]}}}

    args = {"name": "acme", "api_key": KEY}
    assert "invocation" not in run_work("demo", SPEC, args, work, False)[0]
    assert run_work("demo", SPEC, args, work, False, inject_invocation=True)[0]["invocation"] == {
        "module_args": {"name": "acme"}}


def test_the_result_holds_only_what_json_can_carry_back_from_a_module():
    def work(params, check_mode):
        return {"changed": False, "names": ("a", "b")}

    result, _warnings = run_work("demo", SPEC, {"name": "acme", "api_key": KEY}, work, False)
    assert result["names"] == ["a", "b"]


@pytest.mark.parametrize("connection, async_seconds, task_vars, expected", [
    ("local", 0, {}, True),
    ("local", 0, {"mailops_in_process": "false"}, False),
    ("local", 0, {"mailops_in_process": False}, False),
    ("local", 0, {"mailops_in_process": "yes"}, True),
    ("local", 600, {}, False),
    ("ssh", 0, {}, False),
])
def test_runs_in_process_only_for_a_local_synchronous_task_unless_turned_off(
        connection, async_seconds, task_vars, expected):
    assert runs_in_process(connection, async_seconds, task_vars) is expected


def build_demo(variables):
    return {"name": variables["demo_name"], "api_key": variables["demo_key"], "retries": 3}


def test_from_inventory_builds_the_arguments_and_explicit_ones_win():
    args = args_from_inventory("demo", build_demo, {"demo_name": "acme", "demo_key": KEY},
                               {"retries": 7})
    assert args == {"name": "acme", "api_key": KEY, "retries": 7}


def test_a_variable_missing_from_the_inventory_is_named():
    with pytest.raises(AnsibleActionFail, match="the variable demo_key is not defined"):
        args_from_inventory("demo", build_demo, {"demo_name": "acme"}, {})


def test_the_inventory_is_validated_against_the_role_spec_naming_each_bad_variable(tmp_path):
    spec = tmp_path / "argument_specs.yml"
    spec.write_text("argument_specs:\n  main:\n    options:\n"
                    "      demo_name: {type: str, required: true, description: Name.}\n"
                    "      demo_ttl: {type: int, description: TTL.}\n"
                    "      demo_key: {type: str, no_log: true, description: Key.}\n")
    validate_inventory(str(spec), {"demo_name": "acme", "demo_ttl": "600", "demo_key": KEY})
    with pytest.raises(AnsibleActionFail) as failure:
        validate_inventory(str(spec), {"demo_ttl": "ten", "demo_key": KEY})
    message = str(failure.value)
    assert message.startswith("Validation of arguments failed:")
    assert "demo_name" in message and "demo_ttl" in message and KEY not in message
    assert len(failure.value.result["argument_errors"]) == 2


def test_an_unreadable_role_spec_is_named(tmp_path):
    with pytest.raises(AnsibleActionFail, match="cannot read the role argument spec"):
        validate_inventory(str(tmp_path / "missing.yml"), {})


def test_a_work_function_may_return_a_shorter_invocation_and_the_report_does(tmp_path):
    result, _ = run_work("mailops_report", REPORT_ARGS,
                         {"report_dir": str(tmp_path), "tenants": {"acme": {"stages": {}}}},
                         run_report, check_mode=True, inject_invocation=True)
    assert result["invocation"] == {"module_args": {"report_dir": str(tmp_path), "refused": None, "retired": None,
                                                    "metrics_run": "onboard", "run_started": None}}
    assert result["statuses"] == {"acme": "incomplete"}


def test_what_the_plugin_read_from_registered_reaches_the_work_beside_the_arguments(tmp_path):
    read = {"tenants": {"acme": {"stages": {}}, "globex": {"stages": {}}}}
    result, _ = run_work("mailops_report", REPORT_ARGS, {"report_dir": str(tmp_path)},
                         run_report, check_mode=True, read=read, inject_invocation=True)
    assert result["statuses"] == {"acme": "incomplete", "globex": "incomplete"}
    assert result["invocation"] == {"module_args": {"report_dir": str(tmp_path), "refused": None, "retired": None,
                                                    "metrics_run": "onboard", "run_started": None}}
    result, _ = run_work("mailops_report", REPORT_ARGS, {"report_dir": 7, "bogus": 1},
                         run_report, check_mode=True, read=read)
    assert result["failed"] and "bogus" in result["msg"]  # the arguments are still validated


class HostVars:
    """What the plugin reads of Ansible's HostVars: raw_get, each host's variables as stored."""

    def __init__(self, by_host: dict[str, dict[str, Any]]) -> None:
        self.by_host = by_host

    def raw_get(self, host: str) -> Any:
        return self.by_host.get(host, "undefined host")


def test_registered_reads_each_named_hosts_variable_or_its_key():
    hostvars = HostVars({"acme": {"tenant_result": {"stages": {"a": 1}, "preflight": {}}},
                         "globex": {"tenant_result": {"stages": {"b": 2}}},
                         "initech": {"tenant_result": {"stages": {"c": 3}}}})
    spec = {"hosts": ["acme", "globex"], "var": "tenant_result", "key": "stages"}
    assert registered_values("mailops_plan", hostvars, spec) == {"acme": {"a": 1},
                                                                  "globex": {"b": 2}}
    whole = registered_values("mailops_report", hostvars,
                              {"hosts": ["acme"], "var": "tenant_result"})
    assert whole == {"acme": {"stages": {"a": 1}, "preflight": {}}}


def test_a_failed_hosts_registered_value_is_its_error_and_what_it_completed():
    hostvars = HostVars({
        "acme": {"tenant_result": {"failed": True, "msg": "binding stage: HTTP 500",
                                   "stages": {"sending_domain": {"changed": True}}}},
        "globex": {"tenant_result": {"failed": True, "msg": "preflight stage: bad domain"}}})
    spec = {"hosts": ["acme", "globex"], "var": "tenant_result", "key": "stages"}
    assert registered_values("mailops_plan", hostvars, spec) == {
        "acme": {"failed": True, "msg": "binding stage: HTTP 500",
                 "stages": {"sending_domain": {"changed": True}}},
        "globex": {"failed": True, "msg": "preflight stage: bad domain"}}


@pytest.mark.parametrize("by_host", [{"acme": {}}, {}, {"acme": {"tenant_result": {"other": 1}}}])
def test_a_host_without_the_registered_variable_is_named(by_host):
    with pytest.raises(AnsibleActionFail, match="host acme has no registered tenant_result.stages"):
        registered_values("mailops_plan", HostVars(by_host),
                          {"hosts": ["acme"], "var": "tenant_result", "key": "stages"})


def test_registered_without_hosts_or_var_says_what_it_needs():
    with pytest.raises(AnsibleActionFail, match="registered needs hosts"):
        registered_values("mailops_plan", HostVars({}), {"var": "tenant_result"})


def test_the_work_refuses_registered_when_the_action_plugin_did_not_read_it(tmp_path):
    args = {"report_dir": str(tmp_path), "registered": {"hosts": ["acme"], "var": "tenant_result"}}
    result, _ = run_work("mailops_report", REPORT_ARGS, args, run_report, check_mode=True)
    assert result["failed"] and "action plugin" in result["msg"]
    result, _ = run_work("mailops_report", REPORT_ARGS, {"report_dir": str(tmp_path)},
                         run_report, check_mode=True)
    assert result["failed"] and "one of tenants or registered is required" in result["msg"]


def test_a_key_of_a_registered_value_that_is_not_a_mapping_is_missing():
    with pytest.raises(AnsibleActionFail, match="host acme has no registered tenant_result.stages"):
        registered_values("mailops_plan", HostVars({"acme": {"tenant_result": "skipped"}}),
                          {"hosts": ["acme"], "var": "tenant_result", "key": "stages"})


def _collector_state_in_child(queue) -> None:
    pause_collector_in_worker()
    queue.put(gc.isenabled())


def test_importing_the_in_process_path_warms_nothing_making_a_plugin_does():
    import importlib

    from ansible.module_utils.mailops import local_action

    gc.unfreeze()
    importlib.reload(local_action)   # what scripts/validate_inventory.py does by importing it
    assert gc.get_freeze_count() == 0
    local_action.in_process_action("mailops_report", REPORT_ARGS, run_report)
    assert gc.get_freeze_count() > 0


def test_the_module_keywords_beyond_the_spec_are_applied_as_ansible_module_does():
    spec = {"backup": {"type": "bool"}, "backup_dir": {"type": "path"}}
    result, _ = run_work("m", spec, {"backup": True}, lambda params, check: {"changed": False},
                         False, checks={"required_together": [["backup", "backup_dir"]]})
    assert result["failed"] and "backup, backup_dir" in result["msg"]


def test_a_keyword_the_validator_does_not_know_is_refused_when_the_plugin_is_made():
    with pytest.raises(TypeError):
        in_process_action("m", {}, lambda params, check: {}, checks={"required_togther": []})


def test_the_cyclic_collector_is_paused_in_a_forked_worker_only():
    warm_controller()
    assert gc.get_freeze_count() > 0  # warm_controller froze what the importing process held
    pause_collector_in_worker()
    assert gc.isenabled()  # this process has no parent process: never paused here
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    child = context.Process(target=_collector_state_in_child, args=(queue,))
    child.start()
    child.join(30)
    assert child.exitcode == 0  # a child that died never answers: fail instead of waiting
    assert queue.get() is False
