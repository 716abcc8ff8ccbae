"""A re-run of a merge job with its pin: what earlier applies of the pinned plan left.

An apply records, in ``applied.json``, the checksum of the reviewed plan it carried out
(``plan_checksum``). When the plan recomputed now differs from the pin, the plan directory is
searched for that record and the reviewed ``plan.json``:

- applied before and nothing left to change: the pinned plan is done, the re-run is a success;
- applied before with tenants that failed: the apply resumes for those tenants only, provided
  what they would change now is part of what was reviewed for them.

Anything else is still "the plan changed since it was reviewed" (docs/gitops.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ansible.module_utils.mailops.artifacts import KNOWN_AFTER_APPLY

# what a plan shows for a value SendCloud gives only when the domain is made (the SPF merge's
# include is spelt with hyphens)
PLACEHOLDER = re.compile(re.escape(KNOWN_AFTER_APPLY) + "|" + re.escape("(known-after-apply)"))


@dataclass(frozen=True)
class PinnedApply:
    """The reviewed plan of a pin and the last apply that carried it out."""

    reviewed_plan: dict[str, Any]
    applied: dict[str, Any]
    applied_dir: Path

    @property
    def not_applied(self) -> list[str]:
        """The reviewed plan's tenants the last apply of it did not finish (failed)."""
        return sorted(self.applied.get("failed") or {})


def find_pinned_apply(plan_dir: Path, checksum: str) -> PinnedApply | None:
    """The newest apply of the plan pinned by ``checksum``, with the reviewed plan, or None."""
    runs = sorted((d for d in plan_dir.glob("*-apply") if d.is_dir() and not d.is_symlink()),
                  reverse=True)
    reviewed = next((doc for doc in map(_plan_of, runs) if doc and doc.get("checksum") == checksum
                     and not doc.get("refused")), None)
    for run in runs:
        applied = _read(run / "applied.json")
        if reviewed and applied and applied.get("plan_checksum") == checksum:
            return PinnedApply(reviewed, applied, run)
    return None


def resumable_tenants(current_tenants: dict[str, dict[str, Any]], to_change: list[str],
                      pinned: PinnedApply) -> str | None:
    """None when every tenant that would change now is one the pinned apply did not finish, and
    each of its changes is one the reviewed plan had for it; otherwise why not."""
    for tenant in to_change:
        if tenant not in pinned.not_applied:
            return (f"{tenant} has changes now, and the apply of the reviewed plan "
                    f"({pinned.applied_dir}) did not leave it unfinished")
        reviewed = (pinned.reviewed_plan.get("tenants", {}).get(tenant) or {}).get("changes") or []
        for change in current_tenants.get(tenant, {}).get("changes", []):
            if not any(_same_change(change, candidate) for candidate in reviewed):
                return (f"{tenant} would now {change['action']} {change['object']} {change['id']}, "
                        "which the reviewed plan did not have")
    return None


def _same_change(current: dict[str, Any], reviewed: dict[str, Any]) -> bool:
    """The same object, action and result; where the reviewed plan said (known after apply),
    any value."""
    return all(_matches(current.get(key), reviewed.get(key)) for key in ("object", "id", "action", "after"))


def _matches(current: Any, reviewed: Any) -> bool:
    if isinstance(reviewed, dict) and isinstance(current, dict):
        return set(current) == set(reviewed) and all(_matches(current[k], reviewed[k]) for k in reviewed)
    if isinstance(reviewed, list) and isinstance(current, list):
        return len(current) == len(reviewed) and all(map(_matches, current, reviewed))
    if isinstance(reviewed, str) and isinstance(current, str) and PLACEHOLDER.search(reviewed):
        pattern = ".+".join(re.escape(part) for part in PLACEHOLDER.split(reviewed))
        return re.fullmatch(pattern, current) is not None
    return current == reviewed


def _plan_of(run: Path) -> dict[str, Any] | None:
    return _read(run / "plan.json")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
