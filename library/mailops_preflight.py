#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_preflight
short_description: Check a tenant's inventory entry, DNS and SendCloud account before any write
description:
  - Validates the sending domain (letters, digits and '-' labels, at most 250 characters, no
    C(sendcloud)/C(ifaxin)), lower-cases it and drops a trailing dot.
  - Refuses a sending domain that already receives mail (MX records not at SendCloud) unless
    O(allow_existing_mx); warns on a zone apex and on mailbox-like names (C(mail.), C(smtp.)).
  - Validates the API user names, the sender and reply-to addresses.
  - Reads the SendCloud account (one C(userinfo/get)) - credentials, KYC, quota, reputation.
  - Reports every problem at once; each names the tenant, the field, the problem and the fix.
  - Read-only; identical in check mode.
options:
  tenant_id: {description: "Tenant id (for messages).", type: str, required: true}
  sending_domain: {description: "The sending domain from the inventory.", type: str, required: true}
  zone: {description: "The DNS zone; found by SOA lookup when omitted.", type: str}
  nameservers: {description: "Nameservers (host[:port]) to ask instead of the system resolver.", type: list, elements: str, default: []}
  allow_existing_mx: {description: "Allow a sending domain that already has MX records not at SendCloud.", type: bool, default: false}
  sender_address: {description: "Sender address.", type: str, required: true}
  reply_to_address: {description: "Reply-To address.", type: str, required: true}
  sender_domain_mismatch:
    description: What a sender address outside the sending domain causes.
    type: str
    choices: [warn, fail]
    default: fail
  api_user_names: {description: "API user names per role (batch, trigger).", type: dict, required: true}
  require_kyc: {description: "Fail when enterprise verification is incomplete.", type: bool, default: false}
  min_quota: {description: "Warn when less of today's quota remains.", type: int, default: 0}
  min_balance: {description: "Warn when the available balance is lower (domestic).", type: float}
  check_account: {description: "Read the SendCloud account.", type: bool, default: true}
extends_documentation_fragment: [mailops_sendcloud_connection, mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: N/A
    details: ["Reads only."]
requirements:
  - python >= 3.12
  - requests
  - dnspython
seealso:
  - module: mailops_tenant
  - module: sendcloud_account_info
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Preflight the tenant
  mailops_preflight:
    tenant_id: acme
    sending_domain: news.acme.example
    sender_address: marketing@news.acme.example
    reply_to_address: service@acme.example
    api_user_names: {batch: acme_batch, trigger: acme_trigger}
    api_user: "{{ sendcloud_api_user }}"
    api_key: "{{ sendcloud_api_key }}"
"""

RETURN = r"""
sending_domain: {description: "The normalised sending domain.", returned: success, type: str}
zone: {description: "The zone that holds it.", returned: success, type: str}
account: {description: "The account state (see sendcloud_account_info).", returned: when check_account, type: dict}
notes: {description: "Normalisations applied.", returned: success, type: list, elements: str}
mail_checked: {description: "Whether the domain was checked for mail it already receives (always, here; M(mailops_tenant) defers it to when a write is planned).", returned: success, type: bool}
error: {description: "On failure: the error, with C(problems), every problem found.", returned: failure, type: dict}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.module_glue import run
from ansible.module_utils.mailops.stages.preflight import PREFLIGHT_ARGS, run_preflight


def main() -> None:
    module = AnsibleModule(argument_spec=PREFLIGHT_ARGS, supports_check_mode=True)
    run(module, lambda: run_preflight(module.params))


if __name__ == "__main__":
    main()
