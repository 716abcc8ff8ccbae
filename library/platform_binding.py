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
  sender_name: {description: "Sender display name.", type: str, default: ""}
  reply_to_address: {description: "Reply-To address.", type: str, required: true}
  credentials_file: {description: "The tenant's vaulted credential file.", type: path, required: true}
  vault_password_file: {description: "File holding its vault password.", type: path, required: true}
  vault_id: {description: "Vault id label.", type: str, default: default}
  allow_domain_change: {description: "Allow switching a bound tenant to another domain (rebind only).", type: bool, default: false}
  timeout: {description: "Seconds per HTTP request.", type: float, default: 15.0}
author: mailops
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
from ansible.module_utils.mailops.credentials import CredentialStore, read_password
from ansible.module_utils.mailops.errors import ConflictError, MailopsError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.module_glue import run
from ansible.module_utils.mailops.platform import DesiredBinding, PlatformClient, view_of

ARGUMENT_SPEC = dict(
    tenant_id={"type": "str", "required": True},
    api_url={"type": "str", "required": True},
    token={"type": "str", "required": True, "no_log": True},
    sending_domain={"type": "str", "required": True},
    edition={"type": "str", "default": "domestic", "choices": ["domestic", "overseas"]},
    api_user_names={"type": "dict", "required": True, "options": {
        "batch": {"type": "str", "required": True},
        "trigger": {"type": "str", "required": True}}},
    sender_address={"type": "str", "required": True},
    sender_name={"type": "str", "default": ""},
    reply_to_address={"type": "str", "required": True},
    credentials_file={"type": "path", "required": True},
    vault_password_file={"type": "path", "required": True, "no_log": False},
    vault_id={"type": "str", "default": "default"},
    allow_domain_change={"type": "bool", "default": False},
    timeout={"type": "float", "default": 15.0},
)


def desired_binding(params: dict, keys: dict[str, str], check_mode: bool) -> DesiredBinding:
    api_users = {}
    for role, name in params["api_user_names"].items():
        key = keys.get(name)
        if key is None and not check_mode:
            raise MailopsError(f"the key of API user {name} is not in {params['credentials_file']}",
                               hint="run the API-user stage (sendcloud_apiuser) first")
        api_users[role] = {"name": name, "key": key}
    return DesiredBinding(params["sending_domain"].strip().rstrip(".").lower(), params["edition"],
                          api_users, params["sender_address"], params["sender_name"],
                          params["reply_to_address"])


def ensure(module: AnsibleModule) -> dict:
    params = module.params
    store = CredentialStore(params["credentials_file"], read_password(params["vault_password_file"]),
                            params["vault_id"])
    desired = desired_binding(params, store.keys(), module.check_mode)
    client = PlatformClient(params["api_url"], params["token"],
                            HttpClient("marketing platform", timeout=params["timeout"]))
    tenant_id = params["tenant_id"]
    current = client.get_binding(tenant_id)
    before = view_of(current) if current else None
    after = desired.public_view()
    previous_domain = current.get("sending_domain") if current else None
    if previous_domain and previous_domain != desired.sending_domain \
            and not params["allow_domain_change"]:
        raise ConflictError(
            f"tenant {tenant_id} is bound to {previous_domain}; the inventory asks for "
            f"{desired.sending_domain}",
            hint=f"changing a bound domain is a change-managed rebind: run "
                 f"'ansible-playbook rebind.yml -l {tenant_id} -e change_ticket=ID' in the change window")
    if before and not params["allow_domain_change"]:
        renamed = {role: (user["name"], after["api_users"][role]["name"])
                   for role, user in before["api_users"].items()
                   if role in after["api_users"] and user["name"] != after["api_users"][role]["name"]}
        if renamed:
            raise ConflictError(
                f"tenant {tenant_id} is bound with API users "
                + ", ".join(f"{role} {old}" for role, (old, _new) in renamed.items())
                + "; the inventory names "
                + ", ".join(f"{role} {new}" for role, (_old, new) in renamed.items())
                + ". Renaming the platform's API users breaks sending",
                hint="keep sendcloud_api_users as bound; a deliberate change of API users goes "
                     "through rebind.yml in the change window")
    action = "unchanged" if before == after else ("create" if current is None else "update")
    binding = before
    if action != "unchanged" and not module.check_mode:
        written = client.put_binding(tenant_id, desired, current.get("revision") if current else None)
        binding = view_of(written)
    elif action != "unchanged":
        binding = after
    return {"changed": action != "unchanged", "action": action, "binding": binding,
            "previous_domain": previous_domain,
            "diff": {"before": before or {}, "after": after}}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, lambda: ensure(module))


if __name__ == "__main__":
    main()
