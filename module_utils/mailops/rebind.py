"""Change-managed rebind: the change window, the ticket, where a rebind stands,
the backup and the audit log. The playbook (playbooks/rebind.yml) does the work in this order:
new domain fully up, API users re-pointed, binding switched in one write, old domain retired.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible.module_utils.mailops.artifacts import mask
from ansible.module_utils.mailops.errors import ValidationError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class ChangeWindow:
    start_day: str = "friday"
    start: str = "23:00"
    end_day: str = "saturday"
    end: str = "06:00"
    timezone: str = "Asia/Shanghai"

    def describe(self) -> str:
        return (f"{self.start_day.capitalize()} {self.start} to {self.end_day.capitalize()} "
                f"{self.end} {self.timezone}")

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (timezone-aware) falls in the weekly window, in its own zone."""
        local = self.local(moment)
        minute_of_week = _minute_of_week(DAYS.index(local.strftime("%A").lower()),
                                         local.hour * 60 + local.minute)
        start = _minute_of_week(_day(self.start_day), _minutes(self.start))
        end = _minute_of_week(_day(self.end_day), _minutes(self.end))
        if start <= end:
            return start <= minute_of_week < end
        return minute_of_week >= start or minute_of_week < end   # wraps past Sunday midnight

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the window's own time zone, as messages give it."""
        return moment.astimezone(_zone(self.timezone))

    def next_opening(self, moment: datetime) -> datetime:
        local = self.local(moment).replace(second=0, microsecond=0)
        for minutes in range(0, 7 * 24 * 60 + 1, 1):
            candidate = local + timedelta(minutes=minutes)
            if self.contains(candidate):
                return candidate
        return local


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"rebind_window.timezone '{name}' is not a known time zone",
                              hint="use an IANA name such as Asia/Shanghai") from None


def _day(name: str) -> int:
    if name.lower() not in DAYS:
        raise ValidationError(f"rebind_window day '{name}' is not a weekday name",
                              hint="use monday ... sunday")
    return DAYS.index(name.lower())


def _minutes(hhmm: str) -> int:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", hhmm.strip())
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes > 0):   # 24:00, the day's end
        raise ValidationError(f"rebind_window time '{hhmm}' is not HH:MM", hint="write e.g. 23:00")
    return hours * 60 + minutes


def _minute_of_week(day: int, minute: int) -> int:
    return day * 24 * 60 + minute


def check_ticket(ticket: str | None, pattern: str) -> None:
    if not ticket:
        raise ValidationError("a rebind needs a change ticket",
                              hint="run with -e change_ticket=CHG-1234 (the approved change)")
    if not re.fullmatch(pattern, ticket):
        raise ValidationError(f"change_ticket '{ticket}' does not match {pattern}",
                              hint="give the change ticket id as your change process writes it, "
                                   "or set rebind_ticket_pattern")


def tenants_named(value: str | list[str] | None) -> list[str]:
    """``rebind_tenants`` as given: ``acme,globex`` on the command line, or a list (a vars file)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return sorted({str(item).strip() for item in items if str(item).strip()})


def check_tenants(named: list[str], limited: list[str]) -> None:
    """The tenants a change ticket covers are named (``rebind_tenants``) and are exactly those the
    limit matched: a group in ``-l`` must not move more tenants than the ticket says."""
    limit = ",".join(sorted(limited))
    if not named:
        raise ValidationError(
            "a rebind names the tenants its ticket covers, and rebind_tenants is not set",
            hint=f"add -e rebind_tenants={limit} (the tenants -l matched), or list them in a vars "
                 "file given with -e @FILE")
    if set(named) != set(limited):
        extra, missing = sorted(set(limited) - set(named)), sorted(set(named) - set(limited))
        raise ValidationError(
            f"rebind_tenants ({','.join(named)}) is not what -l matched ({limit})"
            + (f": -l also matched {', '.join(extra)}" if extra else "")
            + (f": -l did not match {', '.join(missing)}" if missing else ""),
            hint="name exactly the tenants the change ticket covers in both -l and rebind_tenants")


def parse_now(text: str | None) -> datetime:
    if not text:
        return datetime.now().astimezone()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"rebind_now '{text}' is not an ISO 8601 time",
                              hint="write it like 2026-11-27T23:30:00+08:00") from None
    if moment.tzinfo is None:
        raise ValidationError(f"rebind_now '{text}' has no time zone",
                              hint="write it like 2026-11-27T23:30:00+08:00")
    return moment


def journal_entries(path: Path, tenant: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        if line.strip():
            entry = json.loads(line)
            if entry.get("tenant") == tenant:
                entries.append(entry)
    return entries


def phase_of(bound_domain: str | None, new_domain: str, entries: list[dict[str, Any]]) -> tuple[str, str | None]:
    """Where a rebind to ``new_domain`` stands, from the binding and the tenant's audit log:
    ("switch", old) until the binding is on the new domain and the switch is logged, ("retire",
    old) after that until the old domain is retired, ("done", None) when nothing is left to do.

    A rebind that stopped before its switch and whose domain the inventory then put back (the
    binding never moved, but the API users may point to the other domain already) is undone as
    a rebind from that other domain: the API users are re-pointed back and its records retired.
    """
    if bound_domain is None:
        raise ValidationError("the tenant is not bound to any domain yet, so there is nothing to rebind",
                              hint="onboard it with onboard.yml")
    if bound_domain != new_domain:
        return "switch", bound_domain
    started = [i for i, entry in enumerate(entries) if entry.get("outcome") == "started"]
    attempt = entries[started[-1]:] if started else []
    if not attempt or attempt[-1].get("outcome") == "completed":
        return "done", None
    first = attempt[0]
    if first.get("new_domain") == new_domain:
        switched = any(entry.get("outcome") == "switched" for entry in attempt)
        return ("retire" if switched else "switch"), first.get("old_domain")
    if first.get("old_domain") == new_domain:
        return "switch", first.get("new_domain")
    return "done", None


DURATION = re.compile(r"(\d+)\s*([smhd]?)")
DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | int, name: str = "rebind_retire_after") -> int:
    """Seconds, from ``7d``, ``36h``, ``90m``, ``30s`` or a number of seconds."""
    match = DURATION.fullmatch(str(value).strip().lower())
    if not match:
        raise ValidationError(f"{name} '{value}' is not a duration",
                              hint="write it like 7d, 36h, 90m, 30s, or 0 to retire at the switch")
    return int(match.group(1)) * DURATION_UNITS[match.group(2)]


@dataclass(frozen=True)
class Retirement:
    """The old domain of a switched rebind, served until ``serves_until`` (mail in flight signed
    with its DKIM key or sent with its envelope still verifies), then retired."""

    old_domain: str
    serves_until: datetime | None   # None: switched before grace periods existed, due now
    started: bool                   # a retirement began (and stopped): resume it
    ticket: str
    tenants: list[str]

    def due(self, now: datetime) -> bool:
        return self.started or self.serves_until is None or now >= self.serves_until

    def describe(self) -> str:
        until = self.serves_until.isoformat(timespec="seconds") if self.serves_until else "now"
        return f"old domain {self.old_domain} serves until {until}"


def retirement_of(entries: list[dict[str, Any]]) -> Retirement | None:
    """The last attempt's old domain when it was switched and is not retired yet, else None."""
    started = [i for i, entry in enumerate(entries) if entry.get("outcome") == "started"]
    attempt = entries[started[-1]:] if started else []
    outcomes = [entry.get("outcome") for entry in attempt]
    if "switched" not in outcomes or "completed" in outcomes:
        return None
    switched = attempt[outcomes.index("switched")]
    until = switched.get("serves_until")
    return Retirement(attempt[0].get("old_domain") or "",
                      datetime.fromisoformat(until) if until else None,
                      "retiring" in outcomes, attempt[0].get("ticket") or "",
                      list(attempt[0].get("tenants") or []))


def append_entry(path: Path, entry: dict[str, Any]) -> None:
    """One JSON line per event, appended and fsynced: the log survives a crash of the run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(mask(entry), sort_keys=True, ensure_ascii=False) + "\n"
    with open(path, "a") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
