#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: rebind_journal
short_description: Write a rebind's backup file and append its audit-log entries
description:
  - With O(backup), writes the tenant's state before the rebind to a new timestamped JSON file
    under O(backup_dir) (secrets masked; keys never appear, only their fingerprints).
  - Appends O(entry) to the JSON-lines audit log O(audit_log) with the time added, fsynced.
  - With a C(vault) O(key_store), both go to the tenant's folder in the store instead
    (C(.rebind/journal), appended with check-and-set, and C(.rebind/backups/<time>)), so a
    rebind resumed on another runner finds them; O(audit_log) and O(backup_dir) are then unused.
  - Records are run artifacts, not managed state, so the task reports C(changed=false). In
    check mode nothing is written.
options:
  audit_log: {description: "The rebind audit log.", type: path, required: true}
  entry: {description: "The audit entry: tenant, ticket, operator (the process's user when empty), old_domain, new_domain, outcome, ...", type: dict, required: true}
  backup_dir: {description: "Directory of backups (with backup).", type: path}
  backup: {description: "The state to back up.", type: dict}
extends_documentation_fragment: [mailops_attributes, mailops_key_store]
attributes:
  check_mode: {support: full}
  diff_mode:
    support: none
    details: ["Appends to the audit log; returns no diff."]
requirements:
  - python >= 3.12
  - hvac (with a vault key store)
seealso:
  - module: rebind_guard
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Record the start of the rebind
  rebind_journal:
    audit_log: "{{ rebind_audit_log }}"
    entry: {tenant: acme, ticket: CHG-1, old_domain: news.acme.example, new_domain: mail2.acme.example, outcome: started}
"""

RETURN = r"""
backup_file: {description: "The backup written (a path, or the store's secret).", returned: with backup, type: str}
serves_until:
  description: "With an entry holding C(retire_after_seconds) (the switch) - the time written to the entry as C(serves_until): the entry's time plus those seconds."
  returned: with retire_after_seconds
  type: str
"""

import getpass
from datetime import UTC, datetime, timedelta

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.errors import MailopsError
from ansible.module_utils.mailops.key_store import KEY_STORE_ARG
from ansible.module_utils.mailops.rebind_journal_store import open_rebind_journal


def main() -> None:
    module = AnsibleModule(argument_spec=dict(
        audit_log={"type": "path", "required": True},
        entry={"type": "dict", "required": True},
        backup_dir={"type": "path"},
        backup={"type": "dict"},
        key_store=KEY_STORE_ARG,
    ), supports_check_mode=True, required_together=[("backup", "backup_dir")])
    params = module.params
    stamp = datetime.now(UTC)
    result = {"changed": False}
    if module.check_mode:
        module.exit_json(**result)
    try:
        journal = open_rebind_journal(params["audit_log"], params["backup_dir"],
                                      params["key_store"])
        if params["backup"] is not None:
            tenant = params["entry"].get("tenant", "tenant")
            result["backup_file"] = journal.write_backup(
                tenant, stamp.strftime("%Y%m%dT%H%M%S%fZ"), params["backup"])
        entry = dict(params["entry"], time=stamp.isoformat(timespec="seconds"))
        if "retire_after_seconds" in entry:   # the switch: the old domain is served until then
            serves_until = stamp + timedelta(seconds=int(entry.pop("retire_after_seconds")))
            entry["serves_until"] = result["serves_until"] = serves_until.isoformat(timespec="seconds")
        if not entry.get("operator"):
            entry["operator"] = getpass.getuser()   # $USER, $LOGNAME, ..., then the process's user
        if result.get("backup_file"):
            entry["backup_file"] = result["backup_file"]
        journal.append(entry)
    except MailopsError as error:
        module.fail_json(msg=str(error), error=error.to_dict())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
