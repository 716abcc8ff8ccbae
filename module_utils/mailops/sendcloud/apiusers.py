"""The tenant's two API users (batch and trigger): ensure they exist, bound to the sending
domain with the chosen tracking options, and capture each new key exactly once.

Rules from the seed manual (steps 6 and 10): never rename an API user, never regenerate its key.
A key that is missing for an existing API user stops the run with recovery steps; it is never
reset silently, because a reset breaks every binding that uses the old key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.mailops.errors import ConflictError, MailopsError, ValidationError
from ansible.module_utils.mailops.http import write_then_reread
from ansible.module_utils.mailops.key_store import KeyStore
from ansible.module_utils.mailops.sendcloud.client import SendCloudClient

EMAIL_TYPES = {"trigger": 0, "batch": 1}
EMAIL_TYPE_LABELS = {"触发": 0, "trigger": 0, "批量": 1, "batch": 1, "0": 0, "1": 1}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{6,32}$")
TRACKING_FIELDS = ("open", "click", "unsubscribe")
MAX_API_USERS = 10   # per account (code 41112)


def validate_name(name: str, role: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ValidationError(
            f"sendcloud_api_users.{role} is '{name}': an API user name has 6-32 characters of "
            "A-Z, a-z, 0-9 and _",
            hint="choose a name that matches ^[A-Za-z0-9_]{6,32}$",
        )


def email_type_of(item: dict[str, Any]) -> int | None:
    return EMAIL_TYPE_LABELS.get(str(item.get("emailType", "")).strip().lower())


@dataclass
class ApiUserChange:
    role: str
    name: str
    action: str  # create | recreate | push | update | unchanged
    before: dict[str, Any] | None
    after: dict[str, Any]
    key_captured: bool = False
    applied: bool = False   # its write is done (apply): what a failed apply still made


@dataclass
class ApiUserPlan:
    changes: list[ApiUserChange] = field(default_factory=list)
    taken_names: set[str] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return any(change.action != "unchanged" for change in self.changes)


class ApiUserService:
    def __init__(self, client: SendCloudClient, store: KeyStore, tenant_id: str) -> None:
        self.client = client
        self.store = store
        self.tenant_id = tenant_id

    def plan(
        self,
        names: dict[str, str],
        domain: str,
        tracking: dict[str, bool],
        allow_domain_change: bool = False,
    ) -> ApiUserPlan:
        for role, name in names.items():
            validate_name(name, role)
        existing = {str(item.get("name")): item for item in self.client.list_api_users()}
        stored_keys = self.store.keys()
        pending = self.store.pending()
        spooled = self.store.spooled()
        plan = ApiUserPlan(taken_names=set(existing))
        for role, name in names.items():
            desired = {
                "name": name,
                "email_type": role,
                "domain": domain,
                **{f: bool(tracking.get(f, False)) for f in TRACKING_FIELDS},
            }
            current = existing.get(name)
            if current is None:
                if name in stored_keys:
                    raise self._vanished(name)
                plan.changes.append(ApiUserChange(role, name, "create", None, desired))
                continue
            before = self._describe(current)
            if name in spooled:
                # its key waits in the local spool since the store failed after the create
                plan.changes.append(ApiUserChange(role, name, "push", before, before))
                continue
            if name not in stored_keys and name in pending:
                # our own creation, interrupted after SendCloud committed it: its key was never
                # seen by anyone, so the orphan is renamed away and the user created again
                plan.changes.append(ApiUserChange(role, name, "recreate", before, desired))
                continue
            self._check_adoptable(
                role, name, current, before, domain, stored_keys, allow_domain_change
            )
            action = "unchanged" if before == desired else "update"
            plan.changes.append(ApiUserChange(role, name, action, before, desired))
        to_create = [c.name for c in plan.changes if c.action in ("create", "recreate")]
        if to_create and len(existing) + len(to_create) > MAX_API_USERS:
            raise ConflictError(
                f"creating {', '.join(to_create)} would exceed SendCloud's limit of "
                f"{MAX_API_USERS} API users per account (it holds {len(existing)})",
                hint="remove unused API users in the SendCloud console first"
                + _orphans_note(existing))
        return plan

    def apply(self, plan: ApiUserPlan) -> None:
        creating = [c.name for c in plan.changes if c.action in ("create", "recreate")]
        if creating:
            self.store.mark_pending(self.tenant_id, *creating)
        for change in plan.changes:
            if change.action == "recreate":
                self._retire_orphan(change.name, plan.taken_names)
            if change.action in ("create", "recreate"):
                self._create(change, plan.taken_names)
            elif change.action == "update":
                self._update(change)
            elif change.action == "push":
                self.store.push_spooled(change.name)
            change.applied = change.action != "unchanged"
        if any(c.applied and c.before and c.before["domain"] != c.after["domain"] for c in plan.changes):
            self.store.forget_domains()   # re-pointed (a rebind): an older file's copy is stale

    def _create(self, change: ApiUserChange, taken_names: set[str]) -> None:
        params = self._params(change.after)
        params["emailType"] = EMAIL_TYPES[change.role]

        def landed_without_key() -> bool:
            # a committed add whose reply was lost left a user whose key nobody saw: rename
            # it away and create again, so the key is captured this time
            if any(item.get("name") == change.name for item in self.client.list_api_users()):
                self._retire_orphan(change.name, taken_names)
            return False

        created = write_then_reread(lambda: self.client.add_api_user(params), landed_without_key,
                                    self.client.http.retry)
        key = created.get("nameKey")
        if not key:
            raise MailopsError(
                f"SendCloud created API user {change.name} without returning its key (nameKey)",
                hint=_recovery_hint(change.name, self.store.location),
            )
        self.store.add_key(self.tenant_id, change.name, key, email_type=change.role)
        change.key_captured = True

    def _retire_orphan(self, name: str, taken_names: set[str]) -> None:
        """Rename an API user whose key was lost in our own interrupted create (no binding can
        use it) so the name is free again. SendCloud has no API to delete it or reset its key."""
        number = 1
        while f"{name[:24]}_orphan{number}" in taken_names:
            number += 1
        orphan_name = f"{name[:24]}_orphan{number}"
        params = {"name": name, "newName": orphan_name}
        write_then_reread(
            lambda: self.client.update_api_user(params),
            lambda: orphan_name in {str(item.get("name")) for item in self.client.list_api_users()},
            self.client.http.retry)
        taken_names.add(orphan_name)

    def _update(self, change: ApiUserChange) -> None:
        params = self._params(change.after)

        def landed() -> bool:
            current = [i for i in self.client.list_api_users() if i.get("name") == change.name]
            return bool(current) and self._describe(current[0]) == change.after

        write_then_reread(lambda: self.client.update_api_user(params), landed,
                          self.client.http.retry)

    @staticmethod
    def _params(desired: dict[str, Any]) -> dict[str, Any]:
        params = {"name": desired["name"], "domainName": desired["domain"]}
        params.update({f: int(desired[f]) for f in TRACKING_FIELDS})
        return params

    @staticmethod
    def _describe(item: dict[str, Any]) -> dict[str, Any]:
        email_type = email_type_of(item)
        role = {0: "trigger", 1: "batch"}.get(email_type, str(item.get("emailType")))
        described = {
            "name": str(item.get("name")),
            "email_type": role,
            "domain": str(item.get("domainName", "")).lower(),
        }
        described.update({f: bool(int(item.get(f) or 0)) for f in TRACKING_FIELDS})
        return described

    def _check_adoptable(
        self,
        role: str,
        name: str,
        current: dict[str, Any],
        before: dict[str, Any],
        domain: str,
        stored_keys: dict[str, str],
        allow_domain_change: bool,
    ) -> None:
        if before["email_type"] != role:
            raise ConflictError(
                f"API user {name} exists as a {before['email_type']} user, but sendcloud_api_users."
                f"{role} names it for {role} mail",
                hint="an API user's type cannot change; choose another name in sendcloud_api_users",
            )
        if before["domain"] != domain and not allow_domain_change:
            raise ConflictError(
                f"API user name {name} is taken by an API user bound to {before['domain']}, "
                f"not to {domain}",
                hint="if the tenant's domain is changing, run rebind.yml; otherwise choose another "
                "name in sendcloud_api_users",
            )
        if name not in stored_keys:
            raise MailopsError(
                f"API user {name} exists at SendCloud but its key is not in "
                f"{self.store.location}",
                hint=_recovery_hint(name, self.store.location),
            )


    def _vanished(self, name: str) -> ConflictError:
        """A user whose key we captured is no longer listed: renamed or deleted in the console
        (this project never renames a user it holds the key of). Creating it again would
        overwrite the stored key, which may still authenticate under the new name."""
        return ConflictError(
            f"API user {name} is no longer at SendCloud, but its key is stored in "
            f"{self.store.location}: it was renamed or deleted in the SendCloud console",
            hint=f"if it was renamed, give it back the name {name} in the console (its key and "
            f"every binding using it keep working); if it was deleted on purpose, "
            f"{self.store.how_to_remove(name)}, and run again to create it with a new key (the "
            f"binding then moves to that key)",
        )


def _orphans_note(existing: dict[str, Any]) -> str:
    orphans = sorted(name for name in existing if re.search(r"_orphan\d+$", name))
    if not orphans:
        return ""
    return (f"; {', '.join(orphans)} are orphans this project left when SendCloud's reply to a "
            "create was lost (nobody has their keys): they are safe to remove")


def _recovery_hint(name: str, path: Any) -> str:
    return (
        f"the run will not reset the key (that would break every binding using it). Recover by "
        f"hand: reset the key of {name} in the SendCloud console (the old key keeps working for "
        f"15 minutes), then store it with 'ansible-playbook playbooks/import_key.yml -l TENANT "
        f"-e api_user={name}', which checks that it authenticates before writing it to {path}; "
        f"then run again"
    )
