#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: sendcloud_key_import
short_description: Store an API key that was reset in the SendCloud console, after proving it works
description:
  - The recovery path when an API user's key is missing from the credential file (the run never
    resets keys itself). Reset the key in the SendCloud console, then import it with
    C(ansible-playbook playbooks/import_key.yml -l TENANT -e api_user=NAME) (the key is prompted
    for, never typed on the command line).
  - Calls C(userinfo/get) with the key first; only a key that authenticates is stored, under the
    tenant's lock, in its key store (O(key_store)), atomically and encrypted in the credential
    file, or in OpenBao/Vault, where it becomes the secret's new version (the old key stays in its
    history). The key never appears in the result.
options:
  edition: {description: "SendCloud edition.", type: str, choices: [domestic, overseas], default: domestic}
  api_base: {description: "API base URL.", type: str}
  tenant_id: {description: "The tenant.", type: str, required: true}
  api_user:
    description: The API user whose key is imported; must be one of O(api_user_names).
    type: str
    required: true
  api_user_names:
    description:
      - The tenant's API user names per role (its C(sendcloud_api_users)). An O(api_user) that is
        not one of them is refused before anything is read or written, so a key is never stored
        in another tenant's credential file.
    type: dict
    required: true
    suboptions:
      batch: {description: "Batch API user.", type: str, required: true}
      trigger: {description: "Trigger API user.", type: str, required: true}
  key: {description: "The new key from the console.", type: str, required: true}
  credentials_file: {description: "The tenant's vaulted credential file.", type: path, required: true}
  vault_password_file: {description: "Its vault password file.", type: path, required: true}
  vault_id: {description: "Vault id label.", type: str, default: default}
  timeout: {description: "Seconds per HTTP request.", type: float, default: 15.0}
extends_documentation_fragment: [mailops_attributes, mailops_key_store]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: none
    details: ["Writes a key, which no output may show."]
requirements:
  - python >= 3.12
  - hvac (with a vault key store)
  - requests
  - cryptography
seealso:
  - module: sendcloud_key_check
  - module: sendcloud_apiuser
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Import a key reset in the console
  sendcloud_key_import:
    tenant_id: acme
    api_user: acme_batch
    api_user_names: {batch: acme_batch, trigger: acme_trigger}
    key: "{{ new_key }}"
    credentials_file: "{{ credentials_dir }}/acme.vault.yml"
    vault_password_file: "{{ credentials_vault_password_file }}"
"""

RETURN = r"""
api_user: {description: "The API user whose key was stored.", returned: always, type: str}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.credentials import check_tenant_api_user
from ansible.module_utils.mailops.errors import AuthError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.key_store import KEY_STORE_ARG, open_key_store
from ansible.module_utils.mailops.module_glue import run
from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient

ARGUMENT_SPEC = dict(
    edition={"type": "str", "default": "domestic", "choices": ["domestic", "overseas"]},
    api_base={"type": "str"},
    tenant_id={"type": "str", "required": True},
    api_user={"type": "str", "required": True},
    api_user_names={"type": "dict", "required": True, "options": {
        "batch": {"type": "str", "required": True},
        "trigger": {"type": "str", "required": True}}},
    key={"type": "str", "required": True, "no_log": True},
    credentials_file={"type": "path", "required": True},
    vault_password_file={"type": "path", "required": True, "no_log": False},
    vault_id={"type": "str", "default": "default"},
    key_store=KEY_STORE_ARG,
    timeout={"type": "float", "default": 15.0},
)


def import_key(module: AnsibleModule) -> dict:
    params = module.params
    check_tenant_api_user(params["tenant_id"], params["api_user"], params["api_user_names"])
    account = Account.build(params["edition"], params["api_user"], params["key"].strip(),
                            params["api_base"])
    try:
        SendCloudClient(account, HttpClient("SendCloud", timeout=params["timeout"])).user_info()
    except AuthError:
        raise AuthError(f"the key given for {params['api_user']} does not authenticate at SendCloud "
                        f"({account.api_base}); nothing was stored",
                        hint="copy the key again from the console right after resetting it") from None
    store = open_key_store(params)
    stored_key = store.keys().get(params["api_user"])
    if stored_key == account.api_key:
        return {"changed": False, "api_user": params["api_user"]}
    if not module.check_mode:
        store_it = store.add_key if stored_key is None else store.replace_key
        with store.lock(params["tenant_id"], 120, check_mode=False):
            store_it(params["tenant_id"], params["api_user"], account.api_key, imported=True)
    return {"changed": True, "api_user": params["api_user"]}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, lambda: import_key(module))


if __name__ == "__main__":
    main()
