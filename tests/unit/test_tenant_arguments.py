"""The tenant role (onboard.yml's plan and apply) must give each stage exactly the arguments its
own role gives it: its one task repeats each stage role's module arguments, and these tests
keep the copies equal (the preflight role's task is the plan's preflight)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
CONNECTION = ("edition", "api_base", "api_user", "api_key")


def module_args(role: str, module: str) -> dict:
    tasks = yaml.safe_load((ROLES / role / "tasks/main.yml").read_text())
    return next(task[module] for task in tasks if module in task)


def without(args: dict, *names: str) -> dict:
    return {name: value for name, value in args.items() if name not in names}


PLAN = module_args("tenant", "mailops_tenant")
SENDING_DOMAIN = module_args("sending_domain", "mailops_sending_domain")


def test_sending_domain_arguments_match_except_what_preflight_fills_in():
    assert PLAN["sendcloud"] == SENDING_DOMAIN["sendcloud"]
    assert without(PLAN["domain"], "name") == without(SENDING_DOMAIN["domain"], "name")
    assert without(PLAN["dns"], "zone") == without(SENDING_DOMAIN["dns"], "zone")


def test_api_user_arguments_match():
    apply = module_args("api_users", "sendcloud_apiuser")
    assert {name: apply[name] for name in CONNECTION} == PLAN["sendcloud"]
    assert without(PLAN["api_users"], "domain") == without(apply, "domain", *CONNECTION)


def test_binding_arguments_match():
    apply = module_args("platform_binding", "platform_binding")
    assert without(PLAN["binding"], "sending_domain") == without(apply, "sending_domain")


def test_preflight_arguments_match():
    apply = module_args("preflight", "mailops_preflight")
    assert {name: apply[name] for name in CONNECTION} == PLAN["sendcloud"]
    assert PLAN["preflight"] == without(apply, *CONNECTION)
    assert PLAN["check_keys"] == "{{ preflight_check_keys }}"
