"""What the providers that store RRsets share (PowerDNS, Route 53): a record as presentation
text, and an RRset's records once a plan's changes are made to it.

Such a provider replaces a name and type whole, so it sends every record the RRset keeps: the
ones it holds (foreign ones byte for byte as stored) minus those the plan removes plus those it
adds.
"""

from __future__ import annotations

from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.records import Record, make_record
from ansible.module_utils.mailops.dns.txt import quote_txt
from ansible.module_utils.mailops.errors import ValidationError


def presentation(record: Record) -> str:
    """TXT as quoted strings of at most 255 bytes, MX ``<priority> <target>.``, CNAME
    ``<target>.``."""
    if record.value is None:
        raise ValidationError(
            f"{record.describe()} has no value yet and cannot be written",
            hint="run without check mode so the value is known",
        )
    if record.type == "TXT":
        return quote_txt(record.value)
    if record.type == "MX":
        return f"{record.priority or 0} {record.value}."
    return f"{record.value}."


def from_presentation(name: str, rtype: str, text: str, ttl: int | None) -> Record:
    if rtype == "MX":
        priority, _, target = text.strip().partition(" ")
        return make_record(name + ".", "MX", target, ttl=ttl, priority=int(priority))
    return make_record(name + ".", rtype, text, ttl=ttl)


def after_changes(values: list[str], ttl: int | None, changes: list[Change],
                  default_ttl: int) -> tuple[list[str], int | None]:
    """The RRset's values and TTL once ``changes`` (all of one name and type) are made: a
    removal names the value as served (``record_id``); a record joining an RRset that keeps
    others has the RRset's TTL from the plan (one TTL per RRset)."""
    for change in changes:
        if change.before is not None and change.action in ("delete", "update"):
            gone = change.record_id or presentation(change.before)
            values = [value for value in values if value != gone]
    for change in changes:
        if change.after is not None and change.action in ("create", "update"):
            added = presentation(change.after)
            values = [value for value in values if value != added] + [added]
            ttl = change.after.ttl if change.after.ttl is not None else default_ttl
    return values, ttl
