#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_sending_domain
short_description: The whole sending-domain stage of one tenant in one call
description:
  - Ensures the domain at SendCloud (as M(sendcloud_domain)), upserts the records it asks for
    at the tenant's DNS provider (as M(dns_record_set)), waits until every authoritative
    nameserver serves them (as M(dns_propagation)) when records changed or the domain is not
    verified yet, then waits until SendCloud verifies every required item.
  - One module run per tenant instead of four; the parts are the same code as those modules.
  - In check mode nothing is written and nothing is waited for; C(changed) and the diff say
    what apply would create or change.
options:
  domain:
    description: The sending domain at SendCloud.
    type: dict
    required: true
    suboptions:
      name: {description: "The sending domain.", type: str, required: true}
      click_tracking: {description: "Click tracking on, which makes the tracking CNAME required where the edition has one.", type: bool, default: false}
      verify_layout: {description: "The verify bit layout; C(auto) infers it.", type: str, choices: [auto, domestic_v1, domestic, overseas], default: auto}
      verify_timeout: {description: "Seconds to wait for SendCloud's verification.", type: float, default: 900}
      verify_interval: {description: "First verification poll interval in seconds (grows by 1.5x up to 30).", type: float, default: 10}
  wait:
    description: Wait for propagation and verification (never in check mode).
    type: bool
    default: true
  defer_wait:
    description:
      - Look once (one DNS round, and one SendCloud read once the records are served) and, when
        that is not enough, return what is left to wait for as RV(wait) instead of waiting, for
        M(mailops_wait) to wait for many tenants at once.
    type: bool
    default: false
  resume:
    description:
      - After M(mailops_wait) - the result this module returned with O(defer_wait); the stage is
        returned as the wait left it (O(waited)), nothing is asked again, C(changed) is false. A
        failed wait fails the task with the error the stage's own wait gives. C(rebind.yml) does
        this.
    type: dict
  waited:
    description: With O(resume), this tenant's entry of M(mailops_wait)'s RV(mailops_wait#module:tenants) (empty when it had nothing to wait for).
    type: dict
extends_documentation_fragment: [mailops_sendcloud_account, mailops_dns_provider.stage, mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
requirements:
  - python >= 3.12
  - requests
  - dnspython
seealso:
  - module: sendcloud_domain
  - module: dns_record_set
  - module: dns_propagation
  - module: mailops_tenant
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Bring the sending domain up and verified
  mailops_sending_domain:
    sendcloud: {api_user: "{{ sendcloud_api_user }}", api_key: "{{ sendcloud_api_key }}"}
    domain: {name: news.acme.example}
    dns:
      provider: dnspod
      zone: acme.example
      dnspod_secret_id: "{{ dnspod_secret_id }}"
      dnspod_secret_key: "{{ dnspod_secret_key }}"
  register: sending_domain_result
"""

RETURN = r"""
domain:
  description: The domain's state at SendCloud (after verification when waited for); as M(sendcloud_domain) returns it.
  returned: always
  type: dict
domain_created: {description: "Whether the domain was (or would be) created.", returned: always, type: bool}
records:
  description: The DNS records SendCloud asks for; C(value) null means known after apply.
  returned: always
  type: list
  elements: dict
dns:
  description: What M(dns_record_set) returns for those records (zone, records, changes, counts, status).
  returned: always
  type: dict
records_to_await:
  description: The records the propagation wait asks for (and the audit asks the nameservers for) - all of
    the records SendCloud asks for but those a foreign record is kept in place of (O(dns.on_conflict=keep_and_warn)).
  returned: always
  type: list
  elements: dict
not_awaited:
  description: The purposes of the records left out of C(records_to_await); SendCloud's verification is not
    waited for on these items, and what it says of them is reported as it is.
  returned: always
  type: list
  elements: str
propagation:
  description: What M(dns_propagation) returns, when the wait ran; else null.
  returned: always
  type: dict
verification:
  description: C(polls), when the verification wait ran; else null.
  returned: always
  type: dict
wait:
  description: With O(defer_wait), what is left to wait for, for M(mailops_wait); absent when nothing is.
  returned: when deferred
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402
from ansible.module_utils.mailops.stages.sending_domain import (  # noqa: E402
    SENDING_DOMAIN_ARGS,
    run_sending_domain,
)


def main() -> None:
    module = AnsibleModule(argument_spec=SENDING_DOMAIN_ARGS, supports_check_mode=True)
    run(module, lambda: run_sending_domain(module.params, module.check_mode))


if __name__ == "__main__":
    main()
