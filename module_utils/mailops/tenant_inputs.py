"""mailops_tenant's arguments, built from the tenant's inventory variables.

roles/tenant runs ``mailops_tenant`` with ``from_inventory: true``. The module's action plugin
then reads each variable of the inventory contract (README, roles/tenant/meta/argument_specs.yml)
once from the tenant's variables and builds here the arguments that each stage role gives its
own module. tests/unit/test_tenant_arguments.py renders those roles' tasks with Ansible and
checks that both give the same arguments.

Written out as task arguments, the same mapping made each worker compile a Jinja template at
every reference, because every reference renders again the defaults it goes through
(``tenant_id`` many times, through the API user names and the credential file path): most of a
tenant's CPU in a plan (the figures are in the bench history, docs/bench-history.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.mailops.dns.providers import provider_options
from ansible.module_utils.mailops.inventory_contract import TENANT_VARIABLES

# The providers' own variables (providers/<name>.py), each given to the DNS stage as its option
# when the tenant defines it: an undefined one is left out, as ``default(omit)`` leaves it out of
# a task, and the module's default or the provider's environment variable applies.
PROVIDER_VARIABLES = {option.inventory_variable: option.option for option in provider_options()}

# Every variable the tenant's stages read: the contract's tenant-wide variables (declared in
# inventory_contract.py) and the providers' (declared in their files).
CONTRACT = (*(variable.name for variable in TENANT_VARIABLES), *PROVIDER_VARIABLES)
# and what Ansible gives every host: the host's name, for the commands messages give; and the
# rebind audit log, where a switched rebind's old domain is served until its grace period ends
READS = (*CONTRACT, "inventory_hostname", "rebind_audit_log")


def tenant_args(var: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments of ``mailops_tenant`` from the tenant's variables ``var`` (rendered).
    A variable that should be there and is not raises ``KeyError`` with its name."""

    def renamed(**names: str) -> dict[str, Any]:
        return {option: var[name] for option, name in names.items() if name in var}

    credentials = {
        "credentials_file": f"{var['credentials_dir']}/{var['tenant_id']}.vault.yml",
        "vault_password_file": var["credentials_vault_password_file"],
        "vault_id": var["credentials_vault_id"],
        "key_store": {"kind": var["mailops_key_store"], "url": var["key_store_vault_url"],
                      "token": var["key_store_vault_token"],
                      "role_id": var["key_store_vault_role_id"],
                      "secret_id": var["key_store_vault_secret_id"],
                      "mount": var["key_store_vault_mount"], "path": var["key_store_vault_path"],
                      "ca_cert": var["key_store_vault_ca_cert"],
                      "verify": var["key_store_vault_verify"]},
    }
    zone = {"zone": var["dns_zone"]} if var["dns_zone"] else {}
    min_balance = var["preflight_min_balance"]
    tracking = var["sendcloud_tracking"]  # not a dict: api_users.tracking's validation says so
    return {
        "inventory_host": var["inventory_hostname"],   # for the commands its messages give
        **renamed(rebind_audit_log="rebind_audit_log"),
        "sendcloud": {"edition": var["sendcloud_edition"],
                      **renamed(api_base="sendcloud_api_base"),
                      "api_user": var["sendcloud_api_user"],
                      "api_key": var["sendcloud_api_key"]},
        "preflight": {
            "tenant_id": var["tenant_id"], "sending_domain": var["sending_domain"], **zone,
            "nameservers": var["dns_nameservers"],
            "allow_existing_mx": var["allow_existing_mx"],
            "sender_address": var["sender_address"],
            "reply_to_address": var["reply_to_address"],
            "sender_domain_mismatch": var["preflight_sender_domain_mismatch"],
            "api_user_names": var["sendcloud_api_users"],
            "require_kyc": var["preflight_require_kyc"],
            "min_quota": var["preflight_min_quota"],
            **({"min_balance": min_balance} if min_balance is not None else {}),
        },
        "check_keys": var["preflight_check_keys"],
        "domain": {
            "name": var["sending_domain"],
            "click_tracking": tracking.get("click", False) if isinstance(tracking, dict) else False,
            "verify_layout": var["sendcloud_verify_layout"],
            "verify_timeout": var["sendcloud_verify_timeout"],
            "verify_interval": var["sendcloud_verify_interval"],
        },
        "dns": {
            "tenant": var["tenant_id"], **zone, "ttl": var["dns_ttl"],
            "provider": var["dns_provider"], "on_conflict": var["dns_on_conflict"],
            "nameservers": var["dns_nameservers"],
            **renamed(**{option: variable for variable, option in PROVIDER_VARIABLES.items()}),
            "propagation_timeout": var["dns_propagation_timeout"],
        },
        "api_users": {
            "tenant_id": var["tenant_id"], "domain": var["sending_domain"],
            "names": var["sendcloud_api_users"], "tracking": var["sendcloud_tracking"],
            **credentials,
            "allow_domain_change": var["api_users_allow_domain_change"],
        },
        "binding": {
            "tenant_id": var["tenant_id"], "api_url": var["platform_api_url"],
            "token": var["platform_api_token"], "sending_domain": var["sending_domain"],
            "edition": var["sendcloud_edition"],
            "api_user_names": var["sendcloud_api_users"],
            "sender_address": var["sender_address"], "sender_name": var["sender_name"],
            "reply_to_address": var["reply_to_address"], **credentials,
            "allow_domain_change": var["platform_binding_allow_domain_change"],
        },
    }
