#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: sendcloud_key_check
short_description: Check that the API keys stored for a tenant still authenticate
description:
  - For each named API user, reads its key from the tenant's key store (O(key_store), the
    vaulted credential file or OpenBao/Vault) and calls C(userinfo/get) with it. Read-only;
    keys never appear in the result.
options:
  edition: {description: "SendCloud edition.", type: str, choices: [domestic, overseas], default: domestic}
  api_base: {description: "API base URL.", type: str}
  names: {description: "API user names to check.", type: list, elements: str, required: true}
  credentials_file: {description: "The tenant's vaulted credential file.", type: path, required: true}
  vault_password_file: {description: "Its vault password file.", type: path, required: true}
  vault_id: {description: "Vault id label.", type: str, default: default}
  timeout: {description: "Seconds per HTTP request.", type: float, default: 15.0}
extends_documentation_fragment: [mailops_attributes, mailops_key_store]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: N/A
    details: ["Reads only."]
requirements:
  - python >= 3.12
  - hvac (with a vault key store)
  - requests
  - cryptography
seealso:
  - module: sendcloud_key_import
  - module: sendcloud_apiuser
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Check the stored keys
  sendcloud_key_check:
    names: [acme_batch, acme_trigger]
    credentials_file: "{{ credentials_dir }}/acme.vault.yml"
    vault_password_file: "{{ credentials_vault_password_file }}"
"""

RETURN = r"""
api_users:
  description: Per API user, whether its stored key authenticates and why not.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.key_store import KEY_STORE_ARG
from ansible.module_utils.mailops.module_glue import run
from ansible.module_utils.mailops.sendcloud.keys import check_stored_keys

ARGUMENT_SPEC = dict(
    edition={"type": "str", "default": "domestic", "choices": ["domestic", "overseas"]},
    api_base={"type": "str"},
    names={"type": "list", "elements": "str", "required": True},
    credentials_file={"type": "path", "required": True},
    vault_password_file={"type": "path", "required": True, "no_log": False},
    vault_id={"type": "str", "default": "default"},
    key_store=KEY_STORE_ARG,
    timeout={"type": "float", "default": 15.0},
)


def check(module: AnsibleModule) -> dict:
    params = module.params
    results = check_stored_keys(params["edition"], params["api_base"], params["names"], params,
                                params["timeout"])
    return {"changed": False, "api_users": results}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, lambda: check(module))


if __name__ == "__main__":
    main()
