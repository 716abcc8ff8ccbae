#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: sendcloud_apiuser
short_description: Ensure a tenant's batch and trigger API users exist; capture new keys once
description:
  - One C(apiuser/list) call; creates only the API users that are missing (C(emailType) 1 for
    batch, 0 for trigger), bound to the sending domain with the tracking options; updates the
    tracking options of existing ones (C(apiuser/update) keeps the key).
  - The key SendCloud returns on creation (C(nameKey)) is written at once, before the next API
    user is created, to the tenant's key store (O(key_store)), atomically and encrypted in
    ansible-vault format to the credential file, or once (check-and-set 0) to OpenBao/Vault
    after a probe write proved the store writable. It is never returned, logged or regenerated.
  - Refuses to adopt an API user whose type or domain differs, or whose key is not in the
    credential file, and says how to recover.
  - Holds the tenant's lock while it runs (a lock file beside the credential file; with a
    C(vault) store, a lease in the store).
options:
  tenant_id: {description: "The tenant (names the credential file and lock).", type: str, required: true}
  domain: {description: "The verified sending domain to bind the API users to.", type: str, required: true}
  names:
    description: API user names per role.
    type: dict
    required: true
    suboptions:
      batch: {description: "Name of the batch (marketing) API user.", type: str, required: true}
      trigger: {description: "Name of the trigger (notification) API user.", type: str, required: true}
  tracking:
    description: Tracking options for both API users.
    type: dict
    default: {}
    suboptions:
      open: {description: "Open tracking.", type: bool, default: true}
      click: {description: "Click tracking.", type: bool, default: false}
      unsubscribe: {description: "Unsubscribe link.", type: bool, default: true}
  credentials_file: {description: "The tenant's vaulted credential file.", type: path, required: true}
  vault_password_file: {description: "File holding the vault password for the credential file.", type: path, required: true}
  vault_id: {description: "Vault id label written in the file header.", type: str, default: default}
  allow_domain_change:
    description: Re-point existing API users bound to another domain (used by rebind.yml only).
    type: bool
    default: false
  lock_timeout: {description: "Seconds to wait for another run holding the tenant lock.", type: float, default: 120}
extends_documentation_fragment: [mailops_sendcloud_connection, mailops_attributes, mailops_key_store, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
requirements:
  - python >= 3.12
  - hvac (with a vault key store)
  - requests
  - cryptography
seealso:
  - module: sendcloud_key_check
  - module: sendcloud_key_import
  - module: platform_binding
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the API users and capture their keys
  sendcloud_apiuser:
    api_user: "{{ sendcloud_api_user }}"
    api_key: "{{ sendcloud_api_key }}"
    tenant_id: acme
    domain: news.acme.example
    names: {batch: acme_batch, trigger: acme_trigger}
    tracking: {open: true, click: false, unsubscribe: true}
    credentials_file: "{{ inventory_dir }}/credentials/acme.vault.yml"
    vault_password_file: "{{ inventory_dir }}/.vault_pass"
    vault_id: sandbox
"""

RETURN = r"""
api_users:
  description: One entry per role; keys are never returned.
  returned: always
  type: list
  elements: dict
  contains:
    role: {description: "batch or trigger.", type: str}
    name: {description: "API user name.", type: str}
    action: {description: "create, recreate (an orphan of an interrupted create is renamed away and the user created again), push (its key, spooled locally when the key store failed, is written to the store), update or unchanged.", type: str}
    before: {description: "The API user as SendCloud held it before the run; null when it did not exist.", type: dict}
    after: {description: "The API user as it is (or will be) at SendCloud.", type: dict}
    key_captured: {description: "Whether a new key was written to the key store in this run.", type: bool}
credentials_file:
  description: Where the keys are (the credential file's path, or the C(vault) store's address and folder).
  returned: always
  type: str
diff:
  description:
    - 'The API users before and after, each side a mapping C({api_users: [...]}): the users that
      existed before, and every user after (a new user''s key shown as "(known after apply)",
      never the key itself); C(before_header) and C(after_header) name the tenant.'
    - Ansible shows it with C(--diff).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.module_glue import run
from ansible.module_utils.mailops.stages.api_users import API_USERS_ARGS, run_api_users


def main() -> None:
    module = AnsibleModule(argument_spec=API_USERS_ARGS, supports_check_mode=True)
    run(module, lambda: run_api_users(module.params, module.check_mode))


if __name__ == "__main__":
    main()
