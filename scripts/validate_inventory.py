"""Validate an inventory against the inventory contract in seconds, before any run.

    python -m scripts.validate_inventory [--vault-id prod@FILE ...] inventories/sandbox [more inventories]

Reads the inventory with ``ansible-inventory --list`` (so vaulted values need the vault ids a
plan run would use), then checks every host of the group ``tenants``: required names present,
choices valid, the sending domain, addresses and API-user names valid (the same rules as the
preflight role), the provider's own settings present, no two tenants with the same tenant_id,
sending domain or API user name (as a run refuses them), and each value of the type the tenant
role's argument spec gives it (the check a run makes first). Values that are still Jinja
templates, or vaulted, are checked for presence only, and a template that is one variable
(``{{ vault_x }}``, maybe through filters, none of them ``default``) for that variable being
defined. Exit 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import ansible.module_utils
import yaml

REPO = Path(__file__).resolve().parent.parent
ansible.module_utils.__path__.append(str(REPO / "module_utils"))

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402
from ansible.module_utils.mailops import preflight  # noqa: E402
from ansible.module_utils.mailops.collisions import default_api_users, tenant_collisions  # noqa: E402
from ansible.module_utils.mailops.credentials import in_an_existing_directory  # noqa: E402
from ansible.module_utils.mailops.dns.providers import plugins, provider_names  # noqa: E402
from ansible.module_utils.mailops.errors import ValidationError  # noqa: E402
from ansible.module_utils.mailops.inventory_contract import REQUIRED  # noqa: E402
from ansible.module_utils.mailops.inventory_values import CHECKS, value_problems  # noqa: E402
from ansible.module_utils.mailops.local_action import role_argument_spec  # noqa: E402
from ansible.module_utils.mailops.stages.binding import check_sender_name  # noqa: E402

CHOICES = {"sendcloud_edition": ("domestic", "overseas"),
           "dns_provider": provider_names(),
           "dns_on_conflict": ("keep_and_fail", "keep_and_warn", "replace"),
           "sendcloud_verify_layout": ("auto", "domestic_v1", "domestic", "overseas")}


# The tenant role's options, and the run-wide ones of the roles every run uses (notify)
ROLE_SPEC = {**role_argument_spec(str(REPO / "roles/tenant/meta/argument_specs.yml")),
             **{name: spec for name, spec in
                role_argument_spec(str(REPO / "roles/notify/meta/argument_specs.yml")).items()
                if name.startswith("mailops_")}}
DEFAULTED = {name for path in sorted((REPO / "roles/mailops_defaults/defaults").glob("*.yml"))
             for name in yaml.safe_load(path.read_text()) or {}}
# Every variable the project reads: the tenant role's, and those with a default.
CONTRACT = set(ROLE_SPEC) | DEFAULTED
# Per provider, its options a tenant must set: required, with neither a default in
# mailops_defaults nor an environment variable to fall back to (the run's environment is not
# the validator's)
PROVIDER_REQUIRED = {each.name: tuple(option for option in each.options
                                      if option.required and not option.env
                                      and option.inventory_variable not in DEFAULTED)
                     for each in plugins()}


# A template that is one variable, maybe through filters: {{ vault_x }}, {{ vault_x | b64decode }}
# (the expression, then the variable it starts with)
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
LEADING_VARIABLE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\||$)")
# a filter that gives an undefined variable a value
DEFAULTED = re.compile(r"\|\s*(?:default|d)\b")
# Variables Ansible itself gives every host or play
MAGIC = {"inventory_hostname", "inventory_hostname_short", "inventory_dir", "inventory_file",
         "playbook_dir", "group_names", "groups", "hostvars", "omit", "role_path",
         "ansible_playbook_python", "ansible_check_mode", "ansible_play_hosts"}


def undefined_references(variables: dict[str, Any]) -> dict[str, str]:
    """Per variable, a variable its template names that this tenant does not define (a vaulted
    vault_x not created yet, or misspelt): the run would stop at it with Ansible's 'undefined'."""
    found = {}
    for name, value in variables.items():
        if not is_template(value):
            continue
        for expression in EXPRESSION.findall(value):
            leading = LEADING_VARIABLE.match(expression)
            if not leading or DEFAULTED.search(expression):
                continue
            referenced = leading.group(1)
            if referenced not in variables and referenced not in CONTRACT and referenced not in MAGIC:
                found[name] = referenced
    return found


def is_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def is_vaulted(value: Any) -> bool:
    return isinstance(value, dict) and "__ansible_vault" in value


def type_problems(variables: dict[str, Any]) -> dict[str, list[str]]:
    """Per variable, the role spec's type and choice checks on a value given literally
    (presence is checked apart, with the inventory's defaults in mind)."""
    problems = {}
    for name, value in variables.items():
        if (name not in ROLE_SPEC or value is None or is_vaulted(value)
                or "{{" in json.dumps(value, default=str)):
            continue
        spec = {k: v for k, v in ROLE_SPEC[name].items()
                if k not in ("required", "default") and not (k == "choices" and name in CHOICES)}
        errors = ArgumentSpecValidator({name: spec}).validate({name: value}).error_messages
        if spec.get("type") == "str" and isinstance(value, (list, dict)):
            # Ansible's str type would take the list's or mapping's text form as the value
            errors = [f"is a {'list' if isinstance(value, list) else 'mapping'}, not a string"]
        if errors:
            problems[name] = errors
    return problems


def misspelt(variables: dict[str, Any]) -> dict[str, str]:
    """Variables that are not in the contract, nor used by another variable's template, but one
    or two letters away from one of it: a typo such as dns_on_conflcit would otherwise be
    ignored, and the default would apply."""
    templates = " ".join(v for v in variables.values() if is_template(v))
    found = {}
    for name in variables:
        # a helper such as vault_x is used by a template, or it is one (Ansible's convention
        # for vaulted values) that group_vars give every tenant though only some use it
        if name not in CONTRACT and name not in templates and not name.startswith("vault_"):
            close = difflib.get_close_matches(name, CONTRACT, n=1, cutoff=0.85)
            if close:
                found[name] = close[0]
    return found


def check_tenant(tenant: str, variables: dict[str, Any]) -> list[str]:
    findings = preflight.Findings(tenant)
    for name, meant in misspelt(variables).items():
        findings.error(name, f"is not a variable of the inventory contract (did you mean {meant}?)",
                       f"rename it {meant}; as it is, it is ignored and {meant} keeps its default")
    for name, referenced in undefined_references(variables).items():
        findings.error(name, f"refers to {referenced}, which is not defined for this tenant",
                       f"define {referenced} (a secret: in the host's vaulted host_vars file, "
                       "inventories/example/host_vars/README.md), or fix the name")
    for name in REQUIRED:
        if variables.get(name) in (None, ""):
            findings.error(name, "is missing", f"set {name} for this tenant (see README, inventory contract)")
    for name, allowed in CHOICES.items():
        value = variables.get(name)
        if value is not None and not is_template(value) and value not in allowed:
            findings.error(name, f"is '{value}'", f"use one of {', '.join(allowed)}")
    for name, messages in type_problems(variables).items():
        findings.error(name, "; ".join(messages), "give it the type the inventory contract says (README)")
    literal = {name: variables.get(name, tenant if name == "tenant_id" else None) for name in CHECKS}
    literal = {name: value for name, value in literal.items()
               if not is_vaulted(value) and "{{" not in json.dumps(value, default=str)}
    for name, problems in value_problems(literal).items():
        for problem, fix in problems:
            findings.error(name, problem, fix)
    provider = variables.get("dns_provider", "dnspod")
    for option in PROVIDER_REQUIRED.get(provider, ()):
        name = option.inventory_variable
        if variables.get(name) in (None, ""):
            findings.error(name, f"is missing (dns_provider is {provider})", f"set {name}")
    domain = variables.get("sending_domain")
    if isinstance(domain, str) and not is_template(domain):
        domain = preflight.normalise_domain(domain, findings)
        preflight.check_domain(domain, findings)
        mismatch_fails = variables.get("preflight_sender_domain_mismatch", "fail") == "fail"
        for field, must_match in (("sender_address", True), ("reply_to_address", False)):
            address = variables.get(field)
            if isinstance(address, str) and not is_template(address):
                preflight.check_address(field, address, domain, findings, must_match, mismatch_fails)
    password_file = variables.get("credentials_vault_password_file")
    if isinstance(password_file, str) and password_file and not is_template(password_file) \
            and not Path(password_file).is_file():
        if in_an_existing_directory(password_file):
            findings.error("credentials_vault_password_file", f"{password_file} does not exist",
                           "write the inventory's vault password there before the run (CI: from its secret)")
        else:
            findings.error("credentials_vault_password_file",
                           "(value not shown: not a path in an existing directory, it may be the "
                           "password itself) does not exist",
                           "set it to the path of the file that holds the vault password, not the password")
    for name, problem, fix in key_store_problems(variables):
        findings.error(name, problem, fix)
    sender_name = variables.get("sender_name")
    if isinstance(sender_name, str) and not is_template(sender_name):
        try:
            check_sender_name(sender_name)
        except ValidationError as error:
            findings.error("sender_name", error.message.removeprefix("sender_name "), error.hint)
    names = variables.get("sendcloud_api_users")
    if isinstance(names, dict) and not any(is_template(v) for v in names.values()):
        preflight.check_api_user_names(names, findings)
    return findings.errors


def identity(tenant: str, variables: dict[str, Any]) -> dict[str, Any]:
    """What mailops_collisions compares, for the values given literally (a template is left to
    the run's own check, which renders it)."""
    literal = {name: value for name, value in variables.items()
               if not is_template(value) and not is_vaulted(value)}
    tenant_id = literal.get("tenant_id", None if "tenant_id" in variables else tenant)
    names = variables.get("sendcloud_api_users")
    if names is None and isinstance(tenant_id, str):
        api_users = default_api_users(tenant_id)
    elif isinstance(names, dict):
        api_users = [n for n in names.values() if isinstance(n, str) and not is_template(n)]
    else:
        api_users = []
    return {"tenant_id": tenant_id, "sending_domain": literal.get("sending_domain"),
            "api_users": api_users}


def vaulted_files(inventory: str) -> dict[str, str]:
    """The inventory's files that are vault-encrypted as a whole, with their vault id (the
    tenants' key files under credentials/ are not inventory)."""
    root = Path(inventory)
    files = [root] if root.is_file() else [p for p in sorted(root.rglob("*"))
                                            if p.is_file() and "credentials" not in p.parts]
    found = {}
    for path in files:
        with open(path, "rb") as handle:
            header = handle.readline().decode("ascii", "replace").strip()
        if header.startswith("$ANSIBLE_VAULT;"):
            fields = header.split(";")
            found[str(path)] = fields[3] if len(fields) > 3 else "default"
    return found


def decryption_failure(inventory: str) -> str:
    vaulted = vaulted_files(inventory)
    ids = sorted(set(vaulted.values())) or ["prod"]
    example = " ".join(f"{vault_id}@/path/to/{vault_id}.pass" for vault_id in ids)
    return (f"{inventory}: cannot decrypt {', '.join(f'{f} (vault id {i})' for f, i in vaulted.items()) or 'its vaulted files'}: "
            f"no password for its vault id was given. Fix: make validate INVENTORY={inventory} "
            f"VAULT_ID='{example}' (or python -m scripts.validate_inventory --vault-id "
            f"{ids[0]}@FILE {inventory}; a pipeline may export ANSIBLE_VAULT_IDENTITY_LIST instead)")


def key_store_problems(variables: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A vault key store the run could not reach or log in to: where it is and a credential,
    from the inventory or the environment the run will have (VAULT_ADDR, VAULT_TOKEN)."""
    if variables.get("mailops_key_store", "file") != "vault":
        return []
    problems = []
    if not variables.get("key_store_vault_url") and not os.environ.get("VAULT_ADDR"):
        problems.append(("key_store_vault_url", "is empty and VAULT_ADDR is not set "
                         "(mailops_key_store is vault)",
                         "set key_store_vault_url to the store's address, or export VAULT_ADDR"))
    if not (variables.get("key_store_vault_token") or variables.get("key_store_vault_role_id")
            or os.environ.get("VAULT_TOKEN")):
        problems.append(("key_store_vault_token", "is empty, no AppRole "
                         "(key_store_vault_role_id) is set and VAULT_TOKEN is not set",
                         "give the store's credential: a vaulted key_store_vault_token, an "
                         "AppRole, or VAULT_TOKEN in the run's environment"))
    if variables.get("key_store_vault_role_id") and not variables.get("key_store_vault_secret_id"):
        problems.append(("key_store_vault_secret_id", "is empty while key_store_vault_role_id "
                         "is set", "set the AppRole's secret id (vaulted)"))
    return problems


def inventory_hosts(inventory: str, vault_ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    vault_args = [arg for vault_id in vault_ids or [] for arg in ("--vault-id", vault_id)]
    listed = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", inventory,
                             *vault_args, "--list"], capture_output=True, text=True, cwd=REPO)
    if listed.returncode != 0:
        if "Decryption failed" in listed.stderr:
            raise SystemExit(decryption_failure(inventory))
        raise SystemExit(f"{inventory}: ansible-inventory failed: {listed.stderr.strip()}")
    document = json.loads(listed.stdout)
    hostvars = document.get("_meta", {}).get("hostvars", {})
    tenants = document.get("tenants", {}).get("hosts", [])
    if not tenants:
        raise SystemExit(f"{inventory}: no hosts in the group 'tenants'")
    return {tenant: hostvars.get(tenant, {}) for tenant in tenants}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.validate_inventory")
    parser.add_argument("inventories", nargs="*", default=["inventories/sandbox"])
    parser.add_argument("--vault-id", action="append", default=[],
                        help="as ansible-playbook's, e.g. prod@/secure/prod.pass (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    problems: list[str] = []
    for inventory in args.inventories:
        hosts = inventory_hosts(inventory, args.vault_id)
        for tenant, variables in sorted(hosts.items()):
            problems += [f"{inventory}: {p}" for p in check_tenant(tenant, variables)]
        identities = {tenant: identity(tenant, variables) for tenant, variables in hosts.items()}
        problems += [f"{inventory}: {p}" for p in tenant_collisions(identities)]
        print(f"{inventory}: {len(hosts)} tenants checked")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
