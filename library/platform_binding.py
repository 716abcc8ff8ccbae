#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: platform_binding
short_description: Bind a tenant's SendCloud domain, API users and addresses into the marketing platform
description:
  - Reads the tenant's current binding (one GET) and writes it (one PUT) only when it differs.
  - The binding holds the sending domain, the edition, the batch and trigger API users with
    their keys (read from the tenant's vaulted credential file), the sender and the reply-to.
  - Keys are compared by SHA-256 fingerprint; they never appear in the result or the diff.
  - Refuses to move a bound tenant to another domain unless O(allow_domain_change) is set,
    which only rebind.yml does.
  - The HTTP contract is documented in docs/binding-api.md.
options:
  tenant_id: {description: "The tenant id at the platform.", type: str, required: true}
  api_url: {description: "Base URL of the platform API (e.g. https://platform.example/api).", type: str, required: true}
  token: {description: "Bearer token for the platform API.", type: str, required: true}
  sending_domain: {description: "The sending domain.", type: str, required: true}
  edition: {description: "SendCloud edition.", type: str, choices: [domestic, overseas], default: domestic}
  api_user_names:
    description: The API user names per role.
    type: dict
    required: true
    suboptions:
      batch: {description: "Batch API user.", type: str, required: true}
      trigger: {description: "Trigger API user.", type: str, required: true}
  sender_address: {description: "Sender (From) address.", type: str, required: true}
  sender_name: {description: "Sender display name, 1-64 characters (the platform's limit).", type: str, required: true}
  reply_to_address: {description: "Reply-To address.", type: str, required: true}
  credentials_file: {description: "The tenant's vaulted credential file.", type: path, required: true}
  vault_password_file: {description: "File holding its vault password.", type: path, required: true}
  vault_id: {description: "Vault id label.", type: str, default: default}
  allow_domain_change: {description: "Allow switching a bound tenant to another domain (rebind only).", type: bool, default: false}
  timeout: {description: "Seconds per HTTP request.", type: float, default: 15.0}
extends_documentation_fragment: [mailops_attributes, mailops_key_store, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
requirements:
  - python >= 3.12
  - hvac (with a vault key store)
  - requests
  - cryptography
seealso:
  - module: sendcloud_apiuser
  - module: mailops_tenant
  - module: rebind_guard
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Bind the tenant into the platform
  platform_binding:
    tenant_id: acme
    api_url: "{{ platform_api_url }}"
    token: "{{ platform_api_token }}"
    sending_domain: news.acme.example
    api_user_names: {batch: acme_batch, trigger: acme_trigger}
    sender_address: marketing@news.acme.example
    reply_to_address: service@acme.example
    credentials_file: "{{ inventory_dir }}/credentials/acme.vault.yml"
    vault_password_file: "{{ inventory_dir }}/.vault_pass"
"""

RETURN = r"""
binding:
  description: The binding as the platform holds it after the run (keys as fingerprints).
  returned: always
  type: dict
before:
  description: The binding as the platform held it before the run (keys as fingerprints); null if there was none.
  returned: always
  type: dict
action:
  description: create, update or unchanged.
  returned: always
  type: str
previous_domain:
  description: The domain bound before this run, if any.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.module_glue import run
from ansible.module_utils.mailops.stages.binding import BINDING_ARGS, run_binding


def main() -> None:
    module = AnsibleModule(argument_spec=BINDING_ARGS, supports_check_mode=True)
    run(module, lambda: run_binding(module.params, module.check_mode))


if __name__ == "__main__":
    main()
