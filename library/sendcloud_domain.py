#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: sendcloud_domain
short_description: Ensure a SendCloud sending domain exists; return the DNS records it needs
description:
  - Lists the domain (one C(domain/list) call) and adds it with C(domain/add) when missing.
  - Returns the DNS records SendCloud asks for as one normalised list (type, FQDN name, value,
    priority, purpose), ready for M(dns_record_set), and the verify status per item, decoded
    from the edition's bit layout.
  - With O(wait_verified=true) it polls until every required item verifies, with a timeout and
    a backoff; on timeout it names each failing item and what DNS serves there.
  - In check mode a missing domain is reported as to be created; the values SendCloud generates
    on creation (DKIM selector and key, verify key) are returned as null, "known after apply".
options:
  domain: {description: "The sending domain.", type: str, required: true}
  state:
    description:
      - C(present) ensures the domain; C(query) only reads it (its records and verify status);
        C(absent) deletes it where the edition allows (overseas C(domain/delete)); the domestic
        edition has no delete, so there the domain is kept and a warning says so.
    type: str
    choices: [present, absent, query]
    default: present
  click_tracking:
    description: Whether click tracking is enabled, which makes the tracking CNAME required where the edition has one.
    type: bool
    default: false
  verify_layout:
    description: The verify bit layout; C(auto) infers it from the response and the edition.
    type: str
    choices: [auto, domestic_v1, domestic, overseas]
    default: auto
  wait_verified: {description: "Wait until every required item verifies.", type: bool, default: false}
  wait_timeout: {description: "Seconds to wait for verification.", type: float, default: 600}
  wait_interval: {description: "First poll interval in seconds (grows by 1.5x up to 30).", type: float, default: 5}
  nameservers:
    description: Nameservers (C(host[:port])) to ask what DNS serves, for the failure report.
    type: list
    elements: str
    default: []
extends_documentation_fragment: [mailops_sendcloud_connection, mailops_attributes]
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
requirements:
  - python >= 3.12
  - requests
seealso:
  - module: dns_record_set
  - module: mailops_sending_domain
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the sending domain exists at SendCloud
  sendcloud_domain:
    edition: domestic
    api_user: "{{ sendcloud_api_user }}"
    api_key: "{{ sendcloud_api_key }}"
    domain: news.acme.example
  register: sending_domain

- name: Wait until SendCloud verifies every item
  sendcloud_domain:
    api_user: "{{ sendcloud_api_user }}"
    api_key: "{{ sendcloud_api_key }}"
    domain: news.acme.example
    wait_verified: true
    wait_timeout: 900
"""

RETURN = r"""
domain:
  description: The domain's state at SendCloud.
  returned: always
  type: dict
  contains:
    name: {description: "Domain name.", type: str}
    exists: {description: "Whether it exists (false only in check mode before creation).", type: bool}
    layout: {description: "The verify bit layout used to decode C(verify); absent when the domain does not exist.", type: str}
    verify: {description: "The raw verify bitmask; absent when the domain does not exist.", type: int}
    verified: {description: "Every required item verified; absent when the domain does not exist.", type: bool}
    items: {description: "Verify status per purpose (spf, dkim, mx, dmarc, verify, tracking); absent when the domain does not exist.", type: dict}
records:
  description: The DNS records SendCloud asks for; C(value) null means known after apply.
  returned: always
  type: list
  elements: dict
polls:
  description: How many times verification was polled.
  returned: when wait_verified
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.module_glue import SENDCLOUD_ARGS, run, sendcloud_client
from ansible.module_utils.mailops.names import domain_key
from ansible.module_utils.mailops.sendcloud.diagnose import wait_verified_explained
from ansible.module_utils.mailops.sendcloud.domain import DomainService

ARGUMENT_SPEC = dict(
    SENDCLOUD_ARGS,
    domain={"type": "str", "required": True},
    state={"type": "str", "default": "present", "choices": ["present", "absent", "query"]},
    click_tracking={"type": "bool", "default": False},
    verify_layout={"type": "str", "default": "auto",
                   "choices": ["auto", "domestic_v1", "domestic", "overseas"]},
    wait_verified={"type": "bool", "default": False},
    wait_timeout={"type": "float", "default": 600},
    wait_interval={"type": "float", "default": 5},
    nameservers={"type": "list", "elements": "str", "default": []},
)


def absent_or_query(module: AnsibleModule, service: DomainService, name: str) -> dict:
    state = service.read(name)
    if state is None:
        return {"changed": False, "domain": {"name": name, "exists": False}, "records": []}
    result = {"changed": False, "domain": state.to_result(), "records": state.records}
    if module.params["state"] == "query":
        return result
    if service.client.account.edition != "overseas":
        result["warnings"] = [f"{name} is kept at SendCloud: the domestic edition has no domain/delete "
                              "(its DNS records can still be removed)"]
        return result
    if not module.check_mode:
        service.client.delete_domain(name)
    result.update(changed=True, diff={"before": {"domain": name}, "after": {}})
    return result


def ensure(module: AnsibleModule) -> dict:
    params = module.params
    name = domain_key(params["domain"])
    service = DomainService(sendcloud_client(params), params["click_tracking"],
                            params["verify_layout"])
    if params["state"] != "present":
        return absent_or_query(module, service, name)
    state = service.ensure(name, module.check_mode)
    after = {"domain": name, "records": state.records}
    result = {"changed": state.created, "domain": state.to_result(), "records": state.records,
              "diff": {"before": {} if state.created else after, "after": after}}
    if params["wait_verified"] and not module.check_mode and not state.verified:
        state, polls = wait_verified_explained(service, name, params["wait_timeout"],
                                               params["wait_interval"], params["nameservers"])
        result.update(domain=state.to_result(), records=state.records, polls=polls)
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, lambda: ensure(module))


if __name__ == "__main__":
    main()
