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
  sendcloud:
    description: "The SendCloud connection: edition, api_base, api_user, api_key, timeout."
    type: dict
    required: true
  api_users:
    description: "The options of M(sendcloud_apiuser) but the connection."
    type: dict
    required: true
  binding:
    description: "The options of M(platform_binding)."
    type: dict
    required: true
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
