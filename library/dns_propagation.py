#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: dns_propagation
short_description: Wait until every authoritative nameserver serves the given records
description:
  - Asks each nameserver directly (UDP, TCP on truncation, no recursion) for every record and
    repeats until all serve all of them, or the timeout passes.
  - TXT values are compared after joining their character-strings; MX by target and priority;
    CNAME by target; for SPF it is enough that the served SPF record contains the desired mechanisms.
  - Sleeps min(2 + 0.5 x round, I(interval)) seconds between rounds, never past the deadline.
  - On timeout the error lists each nameserver and record not yet right and what it serves.
  - Check mode asks once and reports; it never fails because records are not there yet.
  - Never changes anything (C(changed) is always false).
options:
  records:
    description: The records to wait for (same shape as C(dns_record_set)'s I(records)).
    type: list
    elements: dict
    required: true
    suboptions:
      type:
        description: Record type.
        type: str
        required: true
        choices: [TXT, MX, CNAME]
      name:
        description: Owner name (FQDN, or relative to I(zone)); null records are skipped in check mode.
        type: str
      value:
        description: Logical value.
        type: str
      priority:
        description: MX preference (default 10).
        type: int
      purpose:
        description: What the record is for (C(spf) enables the "contains" comparison).
        type: str
        default: ""
        choices: [spf, dkim, dmarc, mx, verify, tracking, ""]
      ttl:
        description: Ignored here (accepted so the same list can be passed).
        type: int
  zone:
    description: Zone of the records; its NS records are asked when I(nameservers) is empty.
    type: str
  nameservers:
    description: Nameservers to ask (C(host[:port])), for split DNS or the sandbox; default the zone's NS.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait in total.
    type: float
    default: 300
  interval:
    description: Longest sleep between rounds, in seconds.
    type: float
    default: 10
extends_documentation_fragment: [mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: N/A
    details: ["Reads only."]
requirements:
  - python >= 3.12
  - dnspython
seealso:
  - module: dns_record_set
  - module: mailops_sending_domain
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Wait until the zone's nameservers serve SendCloud's records
  dns_propagation:
    records: "{{ sendcloud_domain_result.records }}"
    zone: acme.example
    timeout: 600

- name: Ask the sandbox's DNS server
  dns_propagation:
    records: "{{ sendcloud_domain_result.records }}"
    nameservers: ["127.0.0.1:5354"]
"""

RETURN = r"""
complete:
  description: Whether every nameserver serves every record.
  returned: always
  type: bool
rounds:
  description: Number of polling rounds.
  returned: always
  type: int
elapsed:
  description: Seconds spent.
  returned: always
  type: float
nameservers:
  description: Per nameserver, per record, what was expected and what is served.
  returned: always
  type: list
  elements: dict
  contains:
    nameserver: {description: "host[:port] asked.", type: str}
    ok: {description: "Whether it serves every record.", type: bool}
    records:
      description: One entry per record (name, type, purpose, expected, served, ok, error).
      type: list
      elements: dict
history:
  description: Per round, the elapsed seconds and how many checks were still missing.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.dns.record_set import PROPAGATION_ARGS, run_propagation  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=dict(PROPAGATION_ARGS), supports_check_mode=True)
    run(module, lambda: run_propagation(module.params, module.check_mode))


if __name__ == "__main__":
    main()
