#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: dns_record_set
short_description: Upsert the DNS records SendCloud asks for (SPF, DKIM, DMARC, verify, MX, tracking CNAME)
description:
  - Reads the records at the names SendCloud asks for, plans the changes and applies them at the
    tenant's DNS provider (one of C(provider)'s choices; docs/dns.md has a section per provider).
  - Only the records SendCloud asks for are managed; unrelated records at the same names are never
    modified or deleted (except foreign records that block ours under I(on_conflict=replace)).
  - An existing SPF record is merged (SendCloud's include is added before its C(all)); a second SPF
    record is never created; a merge over the 10 DNS-lookup limit is refused.
  - Check mode plans only; C(changed), C(changes) and C(diff) say exactly what apply would do.
    Records whose value is not known yet (null) are reported as "(known after apply)".
  - See docs/dns.md for record semantics, conflict policy and provider quirks.
options:
  tenant:
    description: Tenant id, used in messages and in the manual change request file name.
    type: str
    default: ""
  state:
    description:
      - C(present) upserts the records. C(absent) stops serving them (a retired sending domain,
        see rebind.yml) - records with exactly that data are deleted, SendCloud's include is taken
        out of a merged SPF record, and every other record at those names stays.
    type: str
    choices: [present, absent]
    default: present
  zone:
    description:
      - The DNS zone holding the records. When omitted it is found by the provider (DNSPod domain
        list, RFC 2136 server SOA) or by an SOA lookup at I(nameservers) or the system resolver.
    type: str
  records:
    description:
      - The desired records, normally the list returned by C(sendcloud_domain).
      - Names are FQDNs or relative to I(zone); C(@) is the zone apex.
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
        description:
          - Owner name (FQDN, or relative to the zone).
          - null only together with a null I(value) (a DKIM selector SendCloud generates on creation).
        type: str
      value:
        description:
          - Logical value (TXT unquoted, character-strings joined; MX/CNAME target).
          - null means "known after apply" (check mode before the domain exists at SendCloud).
        type: str
      priority:
        description: MX preference (default 10).
        type: int
      purpose:
        description: What the record is for; decides the ownership rule (inferred when empty).
        type: str
        default: ""
        choices: [spf, dkim, dmarc, mx, verify, tracking, ""]
      ttl:
        description: TTL of this record (default I(ttl)).
        type: int
  ttl:
    description: Default TTL; values under the provider's or plan's minimum are raised to it with a warning.
    type: int
    default: 600
  on_conflict:
    description:
      - What to do when a foreign record blocks ours (a different DMARC record, foreign MX, other
        data at the tracking CNAME name).
      - C(keep_and_fail) stops with an error naming the record; C(keep_and_warn) leaves the foreign
        record and warns (MX is added beside it); C(replace) deletes or overwrites it.
    type: str
    default: keep_and_fail
    choices: [keep_and_fail, keep_and_warn, replace]
  nameservers:
    description: Nameservers (C(host[:port])) for the SOA lookup and for reading records with provider C(manual).
    type: list
    elements: str
    default: []
extends_documentation_fragment: [mailops_dns_provider, mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
requirements:
  - python >= 3.12
  - dnspython
  - requests
seealso:
  - module: dns_propagation
  - module: sendcloud_domain
  - module: mailops_sending_domain
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Publish SendCloud's records at DNSPod
  dns_record_set:
    tenant: acme
    provider: dnspod
    zone: acme.example
    records: "{{ sendcloud_domain_result.records }}"
    dnspod_secret_id: "{{ dnspod_secret_id }}"
    dnspod_secret_key: "{{ dnspod_secret_key }}"
  register: dns_result

- name: Publish them at a BIND server by RFC 2136, replacing foreign MX records
  dns_record_set:
    tenant: acme
    provider: rfc2136
    on_conflict: replace
    records:
      - {type: TXT, name: news.acme.example, value: "v=spf1 include:spf.sendcloud.org ~all", purpose: spf}
      - {type: MX, name: news.acme.example, value: mx.sendcloud.net, priority: 10, purpose: mx}
    rfc2136_server: 192.0.2.53
    rfc2136_key_name: ddns-key
    rfc2136_key_secret: "{{ rfc2136_key_secret }}"
"""

RETURN = r"""
zone:
  description: The zone the records were planned in.
  returned: always
  type: str
  sample: acme.example
records:
  description: One entry per desired record and what the run does for it.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "FQDN.", type: str}
    type: {description: "Record type.", type: str}
    value: {description: "Logical value, or '(known after apply)'.", type: str}
    priority: {description: "MX preference.", type: int}
    purpose: {description: "spf, dkim, dmarc, mx, verify or tracking.", type: str}
    action:
      description:
        - "create, update, unchanged, kept (a foreign record left in place), or in a plan
          decided_at_apply (a record there that may be SendCloud's own, whose value is not known
          yet: adopted at apply when equal)."
      type: str
    reason: {description: "Why.", type: str}
    kept: {description: "For kept (and decided_at_apply), the foreign record there (name, type, value, ttl, priority).", type: dict}
    by_policy:
      description: "For kept, true when left because of I(on_conflict=keep_and_warn) (then not waited for
        when ours is not written), false for a record left beside ours whatever the policy."
      type: bool
changes:
  description: The planned (check mode) or applied writes in order, including deletes of foreign records under I(on_conflict=replace).
  returned: always
  type: list
  elements: dict
  contains:
    action: {description: "create, update or delete.", type: str}
    name: {description: "FQDN.", type: str}
    type: {description: "Record type.", type: str}
    purpose: {description: "Purpose of the record.", type: str}
    before: {description: "The record before (null for create).", type: dict}
    after: {description: "The record after (null for delete).", type: dict}
    reason: {description: "Why.", type: str}
counts:
  description: Number of creates, updates, deletes and unchanged records.
  returned: always
  type: dict
  sample: {create: 1, update: 1, delete: 0, unchanged: 2}
status:
  description: "planned (check mode), applied, unchanged, or pending_human (provider manual wrote a change request)."
  returned: always
  type: str
change_file:
  description: Path of the change request written by provider C(manual).
  returned: when provider is manual and something is to change
  type: str
diff:
  description: "The managed records before and after, each side a mapping C({records: [...]})."
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.dns.record_set import RECORD_SET_ARGS, run_record_set  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=dict(RECORD_SET_ARGS), supports_check_mode=True)
    run(module, lambda: run_record_set(module.params, module.check_mode))


if __name__ == "__main__":
    main()
