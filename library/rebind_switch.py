#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: rebind_switch
short_description: Re-point a tenant's API users to its new domain and switch its binding, back to back
description:
  - The rebind's switch (rebind.yml). Makes every read first - the API users at SendCloud, the
    vaulted keys, the platform's binding - then updates the API users (C(apiuser/update), keys
    unchanged) and writes the binding (one PUT) with no request in between, so that the time a
    send goes out with the new envelope domain and the old binding is as short as it can be.
  - Each part is the code of its own module, M(sendcloud_apiuser) and M(platform_binding), with
    a domain change allowed; check mode reads only.
options:
  api_users:
    description: The options of M(sendcloud_apiuser) other than the SendCloud account, C(domain) the new domain.
    type: dict
    required: true
    suboptions:
      tenant_id:
        description: The tenant (names the credential file and lock).
        type: str
        required: true
      domain:
        description: The verified sending domain to bind the API users to.
        type: str
        required: true
      names:
        description: API user names per role.
        type: dict
        required: true
        suboptions:
          batch:
            description: Name of the batch (marketing) API user.
            type: str
            required: true
          trigger:
            description: Name of the trigger (notification) API user.
            type: str
            required: true
      tracking:
        description: Tracking options for both API users.
        type: dict
        default: {}
        suboptions:
          open:
            description: Open tracking.
            type: bool
            default: true
          click:
            description: Click tracking.
            type: bool
            default: false
          unsubscribe:
            description: Unsubscribe link.
            type: bool
            default: true
      credentials_file:
        description: The tenant's vaulted credential file.
        type: path
        required: true
      vault_password_file:
        description: File holding the vault password for the credential file.
        type: path
        required: true
      vault_id:
        description: Vault id label written in the file header.
        type: str
        default: default
      key_store:
        description: Where the API keys are kept, as M(sendcloud_apiuser)'s O(sendcloud_apiuser#module:key_store) says.
        type: dict
        default: {}
        suboptions:
          kind: {description: "C(file) or C(vault).", type: str, choices: [file, vault], default: file}
          url: {description: "The store's address; default C(VAULT_ADDR).", type: str}
          token: {description: "Its token; default C(VAULT_TOKEN).", type: str}
          role_id: {description: "AppRole role id, instead of a token.", type: str}
          secret_id: {description: "AppRole secret id.", type: str}
          mount: {description: "The KV v2 engine's mount.", type: str, default: secret}
          path: {description: "The tenant's folder in it.", type: str}
          ca_cert: {description: "CA bundle for the store's TLS certificate; default C(VAULT_CACERT).", type: str}
          verify: {description: "Verify the store's TLS certificate.", type: bool, default: true}
          timeout: {description: "Seconds per request to the store.", type: float, default: 15.0}
      allow_domain_change:
        description: Re-point existing API users bound to another domain (used by rebind.yml only).
        type: bool
        default: false
      lock_timeout:
        description: Seconds to wait for another run holding the tenant lock.
        type: float
        default: 120
  binding:
    description: The options of M(platform_binding), C(sending_domain) the new domain.
    type: dict
    required: true
    suboptions:
      tenant_id:
        description: The tenant id at the platform.
        type: str
        required: true
      api_url:
        description: Base URL of the platform API (e.g. https://platform.example/api).
        type: str
        required: true
      token:
        description: Bearer token for the platform API.
        type: str
        required: true
      sending_domain:
        description: The sending domain.
        type: str
        required: true
      edition:
        description: SendCloud edition.
        type: str
        default: domestic
        choices:
        - domestic
        - overseas
      api_user_names:
        description: The API user names per role.
        type: dict
        required: true
        suboptions:
          batch:
            description: Batch API user.
            type: str
            required: true
          trigger:
            description: Trigger API user.
            type: str
            required: true
      sender_address:
        description: Sender (From) address.
        type: str
        required: true
      sender_name:
        description: Sender display name, 1-64 characters (the platform's limit).
        type: str
        required: true
      reply_to_address:
        description: Reply-To address.
        type: str
        required: true
      credentials_file:
        description: The tenant's vaulted credential file.
        type: path
        required: true
      vault_password_file:
        description: File holding its vault password.
        type: path
        required: true
      vault_id:
        description: Vault id label.
        type: str
        default: default
      key_store:
        description: Where the API keys are kept, as M(sendcloud_apiuser)'s O(sendcloud_apiuser#module:key_store) says.
        type: dict
        default: {}
        suboptions:
          kind: {description: "C(file) or C(vault).", type: str, choices: [file, vault], default: file}
          url: {description: "The store's address; default C(VAULT_ADDR).", type: str}
          token: {description: "Its token; default C(VAULT_TOKEN).", type: str}
          role_id: {description: "AppRole role id, instead of a token.", type: str}
          secret_id: {description: "AppRole secret id.", type: str}
          mount: {description: "The KV v2 engine's mount.", type: str, default: secret}
          path: {description: "The tenant's folder in it.", type: str}
          ca_cert: {description: "CA bundle for the store's TLS certificate; default C(VAULT_CACERT).", type: str}
          verify: {description: "Verify the store's TLS certificate.", type: bool, default: true}
          timeout: {description: "Seconds per request to the store.", type: float, default: 15.0}
      allow_domain_change:
        description: Allow switching a bound tenant to another domain (rebind only).
        type: bool
        default: false
      timeout:
        description: Seconds per HTTP request.
        type: float
        default: 15.0
extends_documentation_fragment: [mailops_sendcloud_account, mailops_attributes]
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Re-point the API users and switch the binding
  rebind_switch:
    sendcloud: {edition: domestic, api_user: acme_admin, api_key: "{{ sendcloud_api_key }}"}
    api_users: {tenant_id: acme, domain: mail2.acme.example, names: {batch: acme_batch, trigger: acme_trigger},
                credentials_file: credentials/acme.vault.yml, vault_password_file: vault.pass,
                allow_domain_change: true}
    binding: {tenant_id: acme, api_url: "{{ platform_api_url }}", token: "{{ platform_api_token }}",
              sending_domain: mail2.acme.example, api_user_names: {batch: acme_batch, trigger: acme_trigger},
              sender_address: marketing@mail2.acme.example, sender_name: Acme,
              reply_to_address: service@acme.example, credentials_file: credentials/acme.vault.yml,
              vault_password_file: vault.pass, allow_domain_change: true}
"""

RETURN = r"""
api_users: {description: "What M(sendcloud_apiuser) returns.", returned: always, type: dict}
binding: {description: "What M(platform_binding) returns.", returned: always, type: dict}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402
from ansible.module_utils.mailops.rebind_switch import SWITCH_ARGS, run_switch  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=SWITCH_ARGS, supports_check_mode=True)
    run(module, lambda: run_switch(module.params, module.check_mode))


if __name__ == "__main__":
    main()
