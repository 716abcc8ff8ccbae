#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: rebind_guard
short_description: Decide whether a tenant's rebind may run now, and where it stands
description:
  - Reads the tenant's binding at the platform and the rebind audit log to say where the rebind
    stands - C(switch) (still bound to the old domain), C(retire) (switched, the old domain not
    yet retired; a crashed run resumes here) or C(done).
  - Refuses an apply whose O(tenants) are not exactly the tenants the limit matched, or without
    a change ticket matching O(ticket_pattern), or outside the change
    window (default Friday 23:00 to Saturday 06:00 Asia/Shanghai) unless O(emergency) is set
    with a reason. In check mode it only reports, so the plan can be shown at any time.
  - A rebind with nothing to do (phase C(done)) asks for no window, ticket or emergency; it
    succeeds, warning "nothing to rebind for TENANT", at any time.
  - Phase C(retire) - switched, the old domain still served for O(retire_after) after the
    switch, so that mail in flight signed with its DKIM key or sent with its envelope still
    verifies - asks for no ticket, window or tenants (retiring touches nothing that sends) and
    returns C(retire_due) once that time has passed (or a retirement began and stopped).
  - Read-only.
options:
  tenant_id: {description: "The tenant.", type: str, required: true}
  sending_domain: {description: "The new sending domain (the inventory's).", type: str, required: true}
  change_ticket: {description: "The approved change's id.", type: str}
  ticket_pattern: {description: "Regular expression a ticket id must match.", type: str, default: "^[A-Z][A-Z0-9]*-[0-9]+$"}
  window:
    description: The weekly change window.
    type: dict
    default: {}
    suboptions:
      start_day: {description: "Weekday the window opens.", type: str, default: friday}
      start: {description: "Time it opens (HH:MM).", type: str, default: "23:00"}
      end_day: {description: "Weekday it closes.", type: str, default: saturday}
      end: {description: "Time it closes (HH:MM).", type: str, default: "06:00"}
      timezone: {description: "IANA time zone of the window.", type: str, default: Asia/Shanghai}
  tenants:
    description:
      - The tenants the change ticket covers (C(rebind_tenants)) - a comma-separated string or a
        list. An apply is refused unless they are exactly O(limited_tenants); recorded in the
        audit log.
    type: raw
  limited_tenants:
    description: "The tenants the run's limit matched (C(ansible_play_hosts_all))."
    type: list
    elements: str
    default: []
  retire_after:
    description:
      - How long the old domain stays served after the switch (C(rebind_retire_after)) - C(7d),
        C(36h), C(90m), C(30s) or seconds; C(0) retires it in the run that switches.
    type: raw
    default: 7d
  step:
    description:
      - C(rebind) (rebind.yml) or C(retire) (retire.yml) - the latter only says where each
        tenant's retirement stands, with no ticket, window or tenants to check.
    type: str
    choices: [rebind, retire]
    default: rebind
  emergency: {description: "Allow a run outside the window (recorded in the audit log).", type: bool, default: false}
  emergency_reason: {description: "Why; required with emergency.", type: str}
  now: {description: "A time to rehearse, ISO 8601 with offset, in check mode only (a real run refuses it and uses the clock); default the clock.", type: str}
  audit_log: {description: "The rebind audit log (JSON lines); with a C(vault) O(key_store), the journal in the store is read instead.", type: path, required: true}
  api_url: {description: "Platform API base URL.", type: str, required: true}
  token: {description: "Platform bearer token.", type: str, required: true}
  timeout: {description: "Seconds per HTTP request.", type: float, default: 15.0}
extends_documentation_fragment: [mailops_attributes, mailops_key_store]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: N/A
    details: ["Checks only."]
requirements:
  - python >= 3.12
  - hvac (with a vault key store)
  - requests
seealso:
  - module: rebind_journal
  - module: platform_binding
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Check the change window and the ticket
  rebind_guard:
    tenant_id: acme
    sending_domain: mail2.acme.example
    change_ticket: "{{ change_ticket | default(omit) }}"
    audit_log: "{{ inventory_dir }}/rebind-audit.jsonl"
    api_url: "{{ platform_api_url }}"
    token: "{{ platform_api_token }}"
  register: rebind
"""

RETURN = r"""
phase: {description: "switch, retire or done.", returned: always, type: str}
old_domain: {description: "The domain being left (null when done).", returned: always, type: str}
new_domain: {description: "The domain being moved to.", returned: always, type: str}
in_window: {description: "Whether now is inside the change window.", returned: always, type: bool}
window: {description: "The window, in words.", returned: always, type: str}
binding: {description: "The current binding (keys as fingerprints).", returned: always, type: dict}
tenants: {description: "The tenants the ticket covers, as named (sorted).", returned: when a rebind runs, type: list, elements: str}
retire_after_seconds: {description: "O(retire_after) in seconds.", returned: always, type: int}
retire_due: {description: "Whether this run retires the old domain.", returned: always, type: bool}
serves_until: {description: "Phase retire - until when the old domain is served (ISO 8601).", returned: always, type: str}
ticket: {description: "Phase retire - the ticket of the rebind being retired.", returned: phase retire, type: str}
"""

from datetime import datetime

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops import rebind
from ansible.module_utils.mailops.errors import ValidationError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.key_store import KEY_STORE_ARG
from ansible.module_utils.mailops.module_glue import run
from ansible.module_utils.mailops.names import domain_key
from ansible.module_utils.mailops.platform import PlatformClient, view_of
from ansible.module_utils.mailops.rebind_journal_store import open_rebind_journal

WINDOW_OPTIONS = {
    "start_day": {"type": "str", "default": "friday"},
    "start": {"type": "str", "default": "23:00"},
    "end_day": {"type": "str", "default": "saturday"},
    "end": {"type": "str", "default": "06:00"},
    "timezone": {"type": "str", "default": "Asia/Shanghai"},
}
ARGUMENT_SPEC = dict(
    tenant_id={"type": "str", "required": True},
    sending_domain={"type": "str", "required": True},
    change_ticket={"type": "str"},
    ticket_pattern={"type": "str", "default": "^[A-Z][A-Z0-9]*-[0-9]+$"},
    window={"type": "dict", "default": {}, "options": WINDOW_OPTIONS},
    tenants={"type": "raw"},
    limited_tenants={"type": "list", "elements": "str", "default": []},
    retire_after={"type": "raw", "default": "7d"},
    step={"type": "str", "default": "rebind", "choices": ["rebind", "retire"]},
    emergency={"type": "bool", "default": False},
    emergency_reason={"type": "str"},
    now={"type": "str"},
    audit_log={"type": "path", "required": True},
    api_url={"type": "str", "required": True},
    token={"type": "str", "required": True, "no_log": True},
    timeout={"type": "float", "default": 15.0},
    key_store=KEY_STORE_ARG,
)


def guard(module: AnsibleModule) -> dict:
    params = module.params
    window = rebind.ChangeWindow(**params["window"])
    if params["now"] and not module.check_mode:
        raise ValidationError(
            f"rebind_now ({params['now']}) rehearses a time with --check only: a real rebind runs "
            "at the real time, inside the change window",
            hint="drop -e rebind_now, or add --check --diff to rehearse the rebind at that time")
    now = rebind.parse_now(params["now"])
    in_window = window.contains(now)
    client = PlatformClient(params["api_url"], params["token"],
                            HttpClient("marketing platform", timeout=params["timeout"]))
    current = client.get_binding(params["tenant_id"])
    new_domain = domain_key(params["sending_domain"])
    journal = open_rebind_journal(params["audit_log"], None, params["key_store"])
    entries = journal.entries(params["tenant_id"])
    phase, old_domain = rebind.phase_of(current.get("sending_domain") if current else None,
                                        new_domain, entries)
    retire_after = rebind.parse_duration(params["retire_after"])
    stands = {"changed": False, "phase": phase, "old_domain": old_domain, "new_domain": new_domain,
              "in_window": in_window, "window": window.describe(), "now": now.isoformat(),
              "emergency": False, "binding": view_of(current) if current else None,
              "retire_after_seconds": retire_after, "retire_due": False, "serves_until": None}
    if phase == "done":
        # nothing will change: no window, ticket or emergency to ask for (rc 0)
        return dict(stands, warnings=[] if params["step"] == "retire" else [
            f"nothing to rebind for {params['tenant_id']}: the platform already sends from "
            f"{new_domain} and no rebind to it is unfinished. To move the tenant, set its "
            "sending_domain (and sender_address) to the new domain in the inventory first"])
    retirement = rebind.retirement_of(entries)
    if phase == "retire" and retirement:
        # retiring touches nothing that sends: no window, ticket or tenants to ask for
        return dict(stands, **retirement_result(retirement, now, params["tenant_id"]))
    if retirement:
        raise ValidationError(
            f"the last rebind of {params['tenant_id']} is not finished: its "
            f"{retirement.describe()}, and this one would leave {old_domain}",
            hint="let the old domain retire first (rebind.yml or retire.yml once it is due), or "
                 "put the domain the platform sends from back in the inventory")
    if params["step"] == "retire":   # a pending rebind: its own run, with its ticket, switches it
        return stands
    warnings = []
    try:
        rebind.check_ticket(params["change_ticket"], params["ticket_pattern"])
    except ValidationError as error:
        if not module.check_mode:
            raise
        warnings.append(f"the apply will need a valid ticket: {error.message}")
    named = rebind.tenants_named(params["tenants"])
    try:
        rebind.check_tenants(named, params["limited_tenants"])
    except ValidationError as error:
        if not module.check_mode:
            raise
        warnings.append(f"the apply will be refused: {error.message} ({error.hint})")
    outside = (f"{window.local(now).isoformat(timespec='minutes')} is outside the change window "
               f"({window.describe()}); the next one opens "
               f"{window.next_opening(now).isoformat(timespec='minutes')}")
    if not in_window and module.check_mode:
        warnings.append(f"the apply would be refused now: {outside}, unless it is an emergency")
    if not in_window and not module.check_mode:
        if not params["emergency"]:
            raise ValidationError(
                outside,
                hint="run inside the window, or for an emergency add -e rebind_emergency=true "
                     "-e \"rebind_emergency_reason='the reason'\" (recorded in the audit log)")
        if not params["emergency_reason"]:
            raise ValidationError("an emergency rebind outside the window needs a reason",
                                  hint="add -e \"rebind_emergency_reason='the reason'\"")
    if retire_after:
        warnings.append(f"after the switch, old domain {old_domain} serves for {params['retire_after']} "
                        "more (rebind_retire_after), then rebind.yml or retire.yml retires it")
    return dict(stands, emergency=params["emergency"] and not in_window, tenants=named,
                retire_due=retire_after == 0, warnings=warnings)


def retirement_result(retirement: rebind.Retirement, now: datetime, tenant: str) -> dict:
    """Where a switched rebind's old domain stands: still served, or due to retire now."""
    due = retirement.due(now)
    said = (f"{tenant}: {retirement.describe()}; "
            + ("it is due: this run retires it" if due else
               "until then nothing is done (rebind.yml or retire.yml retires it from then, in or "
               "out of the window)"))
    return {"retire_due": due, "ticket": retirement.ticket, "tenants": retirement.tenants,
            "serves_until": retirement.serves_until.isoformat() if retirement.serves_until else None,
            "warnings": [said]}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run(module, lambda: guard(module))


if __name__ == "__main__":
    main()
