#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: sendcloud_account_info
short_description: Read a SendCloud account's health (credentials, KYC, balance, quota, reputation)
description:
  - Calls C(userinfo/get) once and normalises the domestic and overseas field sets.
  - When the credentials are refused, probes the other edition and says so when it accepts them.
  - Read-only; never changes anything, so it behaves the same in check mode.
extends_documentation_fragment: [mailops_sendcloud_connection, mailops_attributes]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: N/A
    details: ["Reads only."]
requirements:
  - python >= 3.12
  - requests
seealso:
  - module: mailops_preflight
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Check the SendCloud account
  sendcloud_account_info:
    edition: domestic
    api_user: "{{ sendcloud_api_user }}"
    api_key: "{{ sendcloud_api_key }}"
  register: account
"""

RETURN = r"""
account:
  description: The normalised account state.
  returned: success
  type: dict
  contains:
    authenticated: {description: "Whether the credentials work.", type: bool}
    edition: {description: "The edition asked.", type: str}
    kyc: {description: "Website and business verification flags (domestic; null overseas).", type: dict}
    balance: {description: "Balance (domestic).", type: float}
    available_balance: {description: "Available balance (domestic, from avaliableBalance).", type: float}
    remaining_mails: {description: "Remaining mail package (overseas restNum).", type: float}
    quota: {description: "Today's quota; 0 when reputation is below 0.", type: int}
    quota_used: {description: "Quota used today.", type: int}
    quota_remaining: {description: "Quota left today.", type: int}
    reputation: {description: "Reputation score.", type: float}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.module_glue import SENDCLOUD_ARGS, run, sendcloud_client
from ansible.module_utils.mailops.sendcloud.account import account_info


def main() -> None:
    module = AnsibleModule(argument_spec=dict(SENDCLOUD_ARGS), supports_check_mode=True)
    run(module, lambda: {"changed": False,
                         "account": account_info(sendcloud_client(module.params))})


if __name__ == "__main__":
    main()
