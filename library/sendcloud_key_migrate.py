#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: sendcloud_key_migrate
short_description: Copy a tenant's API keys from its credential file into OpenBao/Vault, write-once, and verify them
description:
  - Reads the tenant's keys from the vaulted credential file O(credentials_file) and checks that
    each authenticates at SendCloud (C(userinfo/get)); a key that does not is not copied.
  - Writes each into the C(vault) key store (O(key_store)) with check-and-set 0, under both
    stores' locks. A key the store already holds is left as it is when it is the same key; a
    different one stops the migration (it never replaces a stored key).
  - Reads every key back from the store and authenticates with it. The credential file is never
    changed; keep it until the runs with the vault store have shown the keys work.
  - Keys never appear in the result. In check mode nothing is written.
options:
  edition: {description: "SendCloud edition.", type: str, choices: [domestic, overseas], default: domestic}
  api_base: {description: "API base URL.", type: str}
  tenant_id: {description: "The tenant.", type: str, required: true}
  api_user_names:
    description: The tenant's API user names per role (its C(sendcloud_api_users)); only these are copied.
    type: dict
    required: true
    suboptions:
      batch: {description: "Batch API user.", type: str, required: true}
      trigger: {description: "Trigger API user.", type: str, required: true}
  credentials_file: {description: "The tenant's vaulted credential file (the source).", type: path, required: true}
  vault_password_file: {description: "Its vault password file.", type: path, required: true}
  vault_id: {description: "Vault id label.", type: str, default: default}
  lock_timeout: {description: "Seconds to wait for a run holding either store's lock.", type: float, default: 120}
  timeout: {description: "Seconds per HTTP request.", type: float, default: 15.0}
extends_documentation_fragment: [mailops_attributes, mailops_key_store]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: none
    details: ["Copies keys, which no output may show."]
requirements:
  - python >= 3.12
  - requests
  - cryptography
  - hvac
seealso:
  - module: sendcloud_key_import
  - module: sendcloud_key_check
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Copy the keys into the vault store and verify them
  sendcloud_key_migrate:
    tenant_id: acme
    api_user_names: {batch: acme_batch, trigger: acme_trigger}
    credentials_file: "{{ credentials_dir }}/acme.vault.yml"
    vault_password_file: "{{ credentials_vault_password_file }}"
    key_store: {kind: vault, url: "https://bao.example.com:8200", path: mailops/acme}
"""

RETURN = r"""
api_users:
  description: Per API user, C(copy), C(unchanged) (the store holds the same key) or C(absent from the file).
  returned: always
  type: list
  elements: dict
key_store:
  description: The store's address and folder.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.key_migration import MIGRATE_ARGS, migrate_keys
from ansible.module_utils.mailops.module_glue import run


def main() -> None:
    module = AnsibleModule(argument_spec=MIGRATE_ARGS, supports_check_mode=True)
    run(module, lambda: migrate_keys(module.params, module.check_mode))


if __name__ == "__main__":
    main()
