"""The tenant role (onboard.yml's plan and apply) must give each stage exactly the arguments its
own role gives it. mailops_tenant builds them from the tenant's variables
(module_utils/mailops/tenant_inputs.py); these tests render each stage role's task with Ansible's
templating, for the same variables, and compare (the preflight role's task is the plan's
preflight)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.mailops.dns.providers import provider_options
from ansible.module_utils.mailops.tenant_inputs import CONTRACT, READS, tenant_args
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

REPO = Path(__file__).resolve().parents[2]
ROLES = REPO / "roles"
CONNECTION = ("edition", "api_base", "api_user", "api_key")

REQUIRED = {
    "sending_domain": "news.acme.example", "sender_address": "marketing@news.acme.example",
    "reply_to_address": "service@acme.example", "sendcloud_api_user": "acme_mgmt",
    "sendcloud_api_key": "key-1", "platform_api_url": "https://platform.example/api",
    "platform_api_token": "pt-1", "credentials_vault_password_file": "/secrets/vault_pass",
    "sender_name": "Acme News",
}
OPTIONAL = {
    "dns_zone": "acme.example", "sendcloud_api_base": "https://api.example/apiv2",
    "preflight_min_balance": 12.5, "dnspod_secret_id": "AKID1", "dnspod_secret_key": "sk",
    "rfc2136_server": "127.0.0.1", "rfc2136_port": 5353, "rfc2136_key_name": "tsig",
    "rfc2136_key_secret": "c2VjcmV0", "rfc2136_key_algorithm": "hmac-sha256",
    "sendcloud_tracking": {"open": True, "click": True, "unsubscribe": False},
    # and every defaulted one to a value of its own, so that no two can be swapped unseen
    "dns_ttl": 300, "dns_propagation_timeout": 120, "sendcloud_verify_timeout": 450,
    "sendcloud_verify_interval": 7, "preflight_min_quota": 9, "allow_existing_mx": True,
    "preflight_require_kyc": True, "preflight_check_keys": True, "api_users_allow_domain_change": True,
    "credentials_vault_id": "acme", "credentials_dir": "/creds",
    "dns_provider": "rfc2136", "dns_on_conflict": "replace", "dns_nameservers": ["127.0.0.1:53"],
    "dnspod_api_endpoint": "dnspod.example", "dnspod_api_scheme": "http",
    "sendcloud_edition": "overseas", "sendcloud_verify_layout": "overseas",
    "preflight_sender_domain_mismatch": "warn", "dns_manual_change_dir": "/changes",
    "sendcloud_api_users": {"batch": "b1", "trigger": "t1"}, "tenant_id": "acme-cn",
}
# every other provider's variables (providers/<name>.py), each to a value of its own
OPTIONAL |= {option.inventory_variable: 7000 + index if option.type == "int" else f"value-{index}"
             for index, option in enumerate(provider_options())
             if option.inventory_variable not in OPTIONAL}


def defaults(hostname: str) -> dict[str, Any]:
    """The contract's defaults with their templates rendered for ``hostname`` (as Ansible would)."""
    raw = {name: value
           for name, value in yaml.safe_load((REPO / "roles/mailops_defaults/defaults/main.yml").read_text()).items()
           if "lookup(" not in str(value)}  # the environment: given literally below
    variables = {"inventory_hostname": hostname, "inventory_dir": "/inv", "playbook_dir": "/pb",
                 "mailops_report_dir": "/reports", **REQUIRED}
    rendered = raw
    # until nothing changes: a default may name one that is a template itself
    # (mailops_key_store_options -> key_store_vault_path -> tenant_id -> inventory_hostname)
    for _depth in range(5):
        templar = Templar(loader=DataLoader(), variables={**rendered, **variables})
        rendered, previous = templar.template(trust(rendered)), rendered
        if rendered == previous:
            break
    return {**rendered, **variables}


def trust(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: trust(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trust(item) for item in value]
    return trust_as_template(value) if isinstance(value, str) else value


def stage_args(role: str, module: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The arguments the stage role's task gives ``module``, rendered for ``variables``."""
    tasks = yaml.safe_load((ROLES / role / "tasks/main.yml").read_text())
    args = next(task[module] for task in tasks if module in task)
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust(args))


def without(args: dict, *names: str) -> dict:
    return {name: value for name, value in args.items() if name not in names}


@pytest.fixture(params=["defaults", "every_variable_set"])
def variables(request) -> dict[str, Any]:
    values = defaults("acme")
    if request.param == "every_variable_set":
        values.update(OPTIONAL)
    # what the preflight would return, which the stage roles read after it
    values["preflight_result"] = {"sending_domain": values["sending_domain"],
                                  "zone": values["dns_zone"]}
    return values


def test_sending_domain_arguments_match(variables):
    apply = stage_args("sending_domain", "mailops_sending_domain", variables)
    plan = tenant_args(variables)
    assert plan["sendcloud"] == apply["sendcloud"]
    assert plan["domain"] == apply["domain"]
    assert plan["dns"] == apply["dns"]


def test_api_user_arguments_match(variables):
    apply = stage_args("api_users", "sendcloud_apiuser", variables)
    plan = tenant_args(variables)
    assert plan["sendcloud"] == {name: apply[name] for name in CONNECTION if name in apply}
    assert plan["api_users"] == without(apply, *CONNECTION)


def test_binding_arguments_match(variables):
    apply = stage_args("platform_binding", "platform_binding", variables)
    assert tenant_args(variables)["binding"] == apply


def test_preflight_arguments_match(variables):
    apply = stage_args("preflight", "mailops_preflight", variables)
    plan = tenant_args(variables)
    assert plan["sendcloud"] == {name: apply[name] for name in CONNECTION if name in apply}
    assert plan["preflight"] == without(apply, *CONNECTION)
    assert plan["check_keys"] is variables["preflight_check_keys"]


def test_the_contract_lists_every_variable_the_arguments_read(variables):
    read = set()

    class Recording(dict):
        def __getitem__(self, name):
            read.add(name)
            return super().__getitem__(name)

        def __contains__(self, name):
            read.add(name)
            return super().__contains__(name)

    tenant_args(Recording(variables))
    assert read == set(READS)


def test_the_contract_is_the_tenant_roles_argument_spec():
    spec = yaml.safe_load((ROLES / "tenant/meta/argument_specs.yml").read_text())
    assert set(spec["argument_specs"]["main"]["options"]) == set(CONTRACT)


def test_a_malformed_variable_reaches_the_module_validation_instead_of_crashing_the_mapping():
    values = defaults("acme") | {"sendcloud_tracking": "yes"}
    args = tenant_args(values)
    assert args["api_users"]["tracking"] == "yes" and args["domain"]["click_tracking"] is False
