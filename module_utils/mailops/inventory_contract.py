"""The inventory contract's tenant-wide variables, declared once: each one's type, its default
(as roles/mailops_defaults/defaults/main.yml sets it), whether every tenant must set it, and
whether it is a secret. A provider's own variables are declared in its file
(module_utils/mailops/dns/providers/<name>.py, ``ProviderOption``).

tests/unit/test_inventory_contract.py compares these declarations with every other place that
spells the contract out: the roles' meta/argument_specs.yml, roles/mailops_defaults,
scripts/validate_inventory.py's required list, tenant_inputs.CONTRACT and the README table. A
variable added in one of them and not here, or declared here and missing there, fails it with
what to add where.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible.module_utils.mailops.dns.providers import provider_names

PROVIDERS = tuple(sorted(provider_names()))   # one file each: adding one does not touch this
NO_DEFAULT = object()   # the variable has no default: undefined unless the inventory sets it


@dataclass(frozen=True)
class TenantVariable:
    name: str
    type: str                       # as a role argument spec says it: str, int, bool, dict, ...
    required_when: str = ""         # "always": every tenant sets it; "VAR=VALUE": then; "": never
    default: Any = NO_DEFAULT       # roles/mailops_defaults' value (a template stays its text)
    secret: bool = False            # vault it; no_log in the role specs
    choices: tuple[str, ...] = ()
    elements: str | None = None     # a list's element type


TENANT_VARIABLES: tuple[TenantVariable, ...] = (
    TenantVariable("tenant_id", "str", default="{{ inventory_hostname }}"),
    TenantVariable("sending_domain", "str", required_when="always"),
    TenantVariable("dns_zone", "str", default=""),
    TenantVariable("dns_nameservers", "list", default=[], elements="str"),
    TenantVariable("allow_existing_mx", "bool", default=False),
    TenantVariable("sender_address", "str", required_when="always"),
    TenantVariable("reply_to_address", "str", required_when="always"),
    TenantVariable("sendcloud_api_users", "dict", default={
        "batch": "{{ (tenant_id | regex_replace('[^A-Za-z0-9_]', '_'))[:26] }}_batch",
        "trigger": "{{ (tenant_id | regex_replace('[^A-Za-z0-9_]', '_'))[:24] }}_trigger"}),
    TenantVariable("sendcloud_edition", "str", default="domestic", choices=("domestic", "overseas")),
    TenantVariable("sendcloud_api_base", "str"),
    TenantVariable("sendcloud_api_user", "str", required_when="always"),
    TenantVariable("sendcloud_api_key", "str", required_when="always", secret=True),
    TenantVariable("preflight_require_kyc", "bool", default=False),
    TenantVariable("preflight_min_quota", "int", default=0),
    TenantVariable("preflight_min_balance", "float", default=None),
    TenantVariable("preflight_sender_domain_mismatch", "str", default="fail", choices=("warn", "fail")),
    TenantVariable("preflight_check_keys", "bool", default=False),
    TenantVariable("credentials_dir", "path", default="{{ inventory_dir }}/credentials"),
    TenantVariable("credentials_vault_password_file", "path", required_when="always"),
    TenantVariable("credentials_vault_id", "str", default="default"),
    TenantVariable("mailops_key_store", "str", default="file", choices=("file", "vault")),
    TenantVariable("key_store_vault_url", "str", required_when="mailops_key_store=vault", default=""),
    TenantVariable("key_store_vault_token", "str", required_when="mailops_key_store=vault", default="", secret=True),
    TenantVariable("key_store_vault_role_id", "str", default=""),
    TenantVariable("key_store_vault_secret_id", "str", default="", secret=True),
    TenantVariable("key_store_vault_mount", "str", default="secret"),
    TenantVariable("key_store_vault_path", "str", default="mailops/{{ tenant_id }}"),
    TenantVariable("key_store_vault_ca_cert", "str", default=""),
    TenantVariable("key_store_vault_verify", "bool", default=True),
    TenantVariable("sendcloud_tracking", "dict", default={"open": True, "click": False, "unsubscribe": True}),
    TenantVariable("sendcloud_verify_layout", "str", default="auto", choices=("auto", "domestic_v1", "domestic", "overseas")),
    TenantVariable("sendcloud_verify_timeout", "int", default=900),
    TenantVariable("sendcloud_verify_interval", "int", default=10),
    TenantVariable("dns_provider", "str", default="dnspod", choices=PROVIDERS),
    TenantVariable("dns_ttl", "int", default=600),
    TenantVariable("dns_on_conflict", "str", default="keep_and_fail", choices=("keep_and_fail", "keep_and_warn", "replace")),
    TenantVariable("dns_propagation_timeout", "int", default=600),
    TenantVariable("api_users_allow_domain_change", "bool", default=False),
    TenantVariable("platform_api_url", "str", required_when="always"),
    TenantVariable("platform_api_token", "str", required_when="always", secret=True),
    TenantVariable("sender_name", "str", required_when="always"),
    TenantVariable("platform_binding_allow_domain_change", "bool", default=False),

)

BY_NAME = {variable.name: variable for variable in TENANT_VARIABLES}
REQUIRED = tuple(variable.name for variable in TENANT_VARIABLES if variable.required_when == "always")
# Read by the action plugins, not by a role (no argument spec, no default file entry).
RUN_SWITCHES = ("mailops_in_process",)
