"""The run's plan: every change per tenant, a checksum, the pin and the safety rails.

``onboard.yml`` first plans every tenant (``mailops_tenant`` in check mode: every stage,
reads only) and hands the stage results here. The plan is built from exactly those results, so it is what the apply then does: a
``--check`` run stops after the plan; an apply run checks the pin and the rails, then applies
only the tenants that have something to do. See docs/gitops.md.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ansible.module_utils.mailops.artifacts import KNOWN_AFTER_APPLY, mask


def needs_apply(stages: dict[str, Any]) -> bool:
    """A tenant is applied when a stage has something to write or its domain awaits verification;
    never while a rebind is pending (``mailops_tenant`` planned nothing then)."""
    if "rebind_pending" in stages:
        return False
    if any(result["changed"] for result in stages.values()):
        return True
    domain = stages["sending_domain"]["domain"]
    if domain.get("verified"):
        return False
    # an item whose record is a kept foreign one is not waited for: SendCloud's word on it stands
    not_awaited = stages["sending_domain"].get("not_awaited") or []
    items = domain.get("items") or {}
    return not items or any(not ok and item not in not_awaited for item, ok in items.items())


def tenant_changes(tenant: str, stages: dict[str, Any]) -> list[dict[str, Any]]:
    """The changes one tenant's stage results announce, in stage order."""
    changes: list[dict[str, Any]] = []
    sending_domain = stages.get("sending_domain") or {}
    if sending_domain.get("domain_created"):
        name = (sending_domain.get("domain") or {}).get("name")
        changes.append({"object": "sendcloud_domain", "id": name, "action": "create",
                        "before": None, "after": {"name": name}})
    for change in (sending_domain.get("dns") or {}).get("changes") or []:
        changes.append({"object": "dns_record",
                        "id": f"{change['type']} {change.get('name') or KNOWN_AFTER_APPLY}",
                        "action": change["action"], "foreign": bool(change.get("foreign")),
                        "reason": change.get("reason"),
                        "before": change.get("before"), "after": change.get("after")})
    for user in (stages.get("api_users") or {}).get("api_users") or []:
        if user["action"] != "unchanged":
            changes.append({"object": "api_user", "id": user["name"], "action": user["action"],
                            "before": user.get("before"), "after": user.get("after")})
    binding = stages.get("binding") or {}
    if binding.get("changed"):
        changes.append({"object": "binding", "id": tenant, "action": binding.get("action"),
                        "before": binding.get("before"), "after": binding.get("binding")})
    return mask(changes)


NOTED_OUTCOMES = ("kept", "decided_at_apply")


def tenant_notes(stages: dict[str, Any]) -> list[dict[str, Any]]:
    """The records the plan leaves as they are on purpose, or decides only at apply: a foreign
    record kept (keep_and_warn, or beside ours), a record that may be SendCloud's own."""
    outcomes = ((stages.get("sending_domain") or {}).get("dns") or {}).get("records") or []
    return [{"id": f"{o['type']} {o.get('name') or KNOWN_AFTER_APPLY}", "action": o["action"],
             "present": (o.get("kept") or {}).get("value"), "reason": o.get("reason")}
            for o in outcomes if o.get("action") in NOTED_OUTCOMES]


def counts_of(changes: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"create": 0, "recreate": 0, "update": 0, "delete": 0}
    for change in changes:
        counts[change["action"]] = counts.get(change["action"], 0) + 1
    return counts


@dataclass
class Plan:
    mode: str
    tenants: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    to_apply: list[str] = field(default_factory=list)
    rebind_pending: dict[str, dict[str, str]] = field(default_factory=dict)
    # old domains of switched rebinds still served (shown, not in the checksum: nothing to apply)
    retiring: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the inventory sources it was made from; not in the checksum, which a reviewed plan's
    # pin compares from another checkout (another path) in the merge job
    inventory: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, mode: str, stage_results: dict[str, dict[str, Any]],
              failed: dict[str, str], inventory: list[str] | None = None) -> Plan:
        plan = cls(mode, failed=dict(sorted(failed.items())), inventory=list(inventory or []))
        for tenant in sorted(stage_results):
            changes = tenant_changes(tenant, stage_results[tenant])
            plan.tenants[tenant] = {"changes": changes, "counts": counts_of(changes)}
            notes = tenant_notes(stage_results[tenant])
            if notes:   # a tenant without any keeps the entry (and checksum) it always had
                plan.tenants[tenant]["kept"] = notes
            if "rebind_pending" in stage_results[tenant]:
                plan.rebind_pending[tenant] = stage_results[tenant]["rebind_pending"]
            if "retiring" in stage_results[tenant]:
                retiring = stage_results[tenant]["retiring"]
                plan.retiring[tenant] = {"old_domain": retiring["old_domain"],
                                         "serves_until": retiring["serves_until"]}
            if needs_apply(stage_results[tenant]):
                plan.to_apply.append(tenant)
        return plan

    @property
    def changed_tenants(self) -> list[str]:
        return [t for t, entry in self.tenants.items() if entry["changes"]]

    def checksum(self) -> str:
        canonical = json.dumps({"tenants": self.tenants, "failed": sorted(self.failed),
                                **({"rebind_pending": self.rebind_pending} if self.rebind_pending else {})},
                               sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def safety_trips(self, max_changed_tenants: int) -> list[str]:
        """What makes this plan need -e force=true."""
        trips = []
        if len(self.changed_tenants) > max_changed_tenants:
            trips.append(f"{len(self.changed_tenants)} tenants would change, more than "
                         f"max_changed_tenants={max_changed_tenants}")
        for tenant, entry in self.tenants.items():
            trips += [f"{tenant}: {trip}" for trip in map(_record_trip, entry["changes"]) if trip]
        return trips

    @property
    def tenants_to_change(self) -> list[str]:
        """The tenants an apply of this plan would work on: what a refusal of it concerns."""
        return sorted((set(self.to_apply) | set(self.changed_tenants)) - set(self.failed))

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "checksum": self.checksum(), "inventory": self.inventory,
                "changed_tenants": self.changed_tenants, "failed": self.failed,
                "rebind_pending": self.rebind_pending, "retiring": self.retiring,
                "tenants": self.tenants}


def _record_trip(change: dict[str, Any]) -> str | None:
    """Why one change needs -e force=true, or None."""
    if change["object"] != "dns_record":
        return None
    if change.get("foreign"):
        return f"would {change['action']} {change['id']}, whose current value this project did not write"
    if change["action"] == "delete":
        return f"would delete {change['id']}, a record it owns"
    return None


def render_markdown(document: dict[str, Any], title: str) -> str:
    refused = document.get("refused")
    lines = [f"# {title}{' (REFUSED: nothing was applied)' if refused else ''}", "",
             *([f"> **refused** ({refused['reason']}): {refused['message']}", ""] if refused else []),
             f"checksum: `{document.get('checksum', '')}`", "",
             *([f"inventory: `{', '.join(document['inventory'])}`", ""] if document.get("inventory") else []),
             "| tenant | create | recreate | update | delete |", "|---|---|---|---|---|"]
    pending = document.get("rebind_pending", {})
    for tenant, entry in document["tenants"].items():
        if tenant in pending:   # its own row below
            continue
        counts = entry["counts"]
        lines.append(f"| {tenant} | {counts.get('create', 0)} | {counts.get('recreate', 0)} | "
                     f"{counts.get('update', 0)} | {counts.get('delete', 0)} |")
    for tenant, message in document.get("failed", {}).items():
        lines.append(f"| {tenant} | failed: {clipped(message, 160)} | | | |")
    for tenant, rebind in pending.items():
        lines.append(f"| {tenant} | rebind pending: bound to {rebind['bound_domain']}, the inventory "
                     f"asks for {rebind['sending_domain']}; nothing planned until rebind.yml runs "
                     "| | | |")
    for tenant, retiring in document.get("retiring", {}).items():
        lines.append(f"\n> {tenant}: {serves_until_text(retiring)} (rebind.yml's grace period; "
                     "rebind.yml or retire.yml retires it then)")
    for trip in document.get("requires_force", []):
        lines.append(f"\n> requires `-e force=true`: {trip}")
    for tenant, entry in document["tenants"].items():
        if not entry["changes"] and not entry.get("kept"):
            continue
        lines += ["", f"## {tenant}", ""]
        if entry["changes"]:
            lines += ["| object | id | action | before | after |", "|---|---|---|---|---|"]
        for change in entry["changes"]:
            before, after = differing(change.get("before"), change.get("after"))
            lines.append(f"| {change['object']} | {change['id']} | {change['action']} | "
                         f"{_short(before)} | {_short(after)} |")
        if entry.get("kept"):
            lines += ["", "Left as they are, or decided at apply:", ""]
        lines += [f"- {note['action']}: {note['id']}: {note['reason']}"
                  for note in entry.get("kept") or []]
    return "\n".join(lines) + "\n"


def serves_until_text(retiring: dict[str, Any]) -> str:
    """``old domain X serves until T``, as the plan, the report and the audit say it."""
    return f"old domain {retiring['old_domain']} serves until {retiring.get('serves_until') or 'now'}"


def differing(before: Any, after: Any) -> tuple[Any, Any]:
    """For an update of a mapping, only the fields that change: cut to a table cell, the whole
    value could hide the change behind the fields that stay (a binding's key fingerprints)."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return before, after
    changed = [key for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
    return ({key: before.get(key) for key in changed}, {key: after.get(key) for key in changed})


def _short(value: Any) -> str:
    if value is None:
        return ""
    return f"`{clipped(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str), 160)}`"


def clipped(text: str, limit: int) -> str:
    """``text`` for a table cell: whole up to ``limit`` characters, else cut at a word boundary
    and marked: the whole text is in the JSON beside the Markdown (plan.json, applied.json)."""
    text = " ".join(text.split()).replace("|", "\\|")
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return f"{cut} … (in full in the .json beside this file)"


def run_directory(root: Path, mode: str, latest_link: bool = True) -> Path:
    """A new directory for this run's plan; ``latest-<mode>`` points at it unless the plan was
    refused (``latest_link`` false): ``latest-apply`` stays on the last plan that applied."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    directory = root / f"{stamp}-{mode}"
    directory.mkdir(parents=True, exist_ok=True)
    if not latest_link:
        return directory
    latest = root / f"latest-{mode}"
    temp_link = root / f".latest-{mode}.{os.getpid()}"
    os.symlink(directory.name, temp_link)
    os.replace(temp_link, latest)
    return directory
