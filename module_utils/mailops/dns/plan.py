"""The engine: compare desired and existing records and build an ordered, explainable plan.

Ownership rule: only the records SendCloud asks for are managed. A foreign record at the same
name is only ever deleted under ``on_conflict=replace``, and only where it blocks ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ansible.module_utils.mailops.dns.records import (
    UNKNOWN_VALUE_TEXT,
    ExistingRecord,
    Record,
)
from ansible.module_utils.mailops.dns.spf import (
    contains_desired,
    is_spf,
    merge_spf,
    near_limit_warning,
    other_forms,
    remove_terms,
)
from ansible.module_utils.mailops.errors import ConflictError, ValidationError

CONFLICT_POLICIES = ("keep_and_fail", "keep_and_warn", "replace")
ACTION_ORDER = {"delete": 0, "update": 1, "create": 2}
# SendCloud's SPF value before domain/add gives it: one include (SendCloud's domain API documentation). A first
# run's merge into an SPF record already there is planned with it, so the plan shows what the
# record keeps and refuses a merge over the lookup limit before the domain is made.
SPF_KNOWN_AFTER_APPLY = "v=spf1 include:(known-after-apply) ~all"
# The hosts SendCloud's SPF value has been documented with (SendCloud's documentation over time): a first run
# finding one of them in the record plans no merge, as the apply will find it there.
SENDCLOUD_SPF_HOSTS = ("spf.sendcloud.org", "sendcloud.org", "spf.sendcloud.net")


@dataclass(frozen=True)
class Change:
    """One write: create (after only), update (before and after), delete (before only)."""

    action: str
    before: Record | None
    after: Record | None
    reason: str
    record_id: str | None = None
    # deletes or overwrites a record this project did not create (on_conflict=replace)
    touches_foreign: bool = False

    @property
    def record(self) -> Record:
        """The record this change is about (after for create/update, before for delete)."""
        chosen = self.after if self.after is not None else self.before
        if chosen is None:
            raise AssertionError("a change has a before or an after")
        return chosen

    def to_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "foreign": self.touches_foreign,
            "name": self.record.name,
            "type": self.record.type,
            "purpose": self.record.purpose,
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Outcome:
    """What the plan does for one desired record: create, update, unchanged, kept (a foreign
    record left in place), conflict (the audit's finding where keep_and_fail would stop) or
    decided_at_apply (a record already there that may equal SendCloud's value, not known yet).

    ``kept``: the foreign record left in place. ``by_policy``: left because the operator chose
    ``keep_and_warn`` (ours is then not written, or written beside it for MX); false for a record
    left beside ours whatever the policy (a second DMARC record, another TXT at the selector).
    """

    desired: Record
    action: str
    reason: str
    served: str | None = None   # what the name serves for it when not exactly ours (merged SPF)
    kept: Record | None = None
    by_policy: bool = False

    def to_dict(self) -> dict[str, object]:
        value = self.desired.value
        served = self.served if self.served is not None else value
        shown: dict[str, object] = {
            "name": self.desired.name,
            "type": self.desired.type,
            "value": UNKNOWN_VALUE_TEXT if value is None else value,
            "served": UNKNOWN_VALUE_TEXT if served is None else served,
            "priority": self.desired.priority,
            "purpose": self.desired.purpose,
            "action": self.action,
            "reason": self.reason,
        }
        if self.kept is not None:
            shown.update(kept=self.kept.to_dict(), by_policy=self.by_policy)
        return shown


@dataclass
class RecordPlan:
    """Ordered changes plus what stays as it is; check mode reports it, apply performs it."""

    changes: list[Change] = field(default_factory=list)
    unchanged: list[Record] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def kept_instead(self) -> list[Record]:
        """Desired records a foreign record is kept in place of (keep_and_warn, a CNAME at the
        name): not written, so never waited for."""
        served = {_identity(o.desired) for o in self.outcomes if o.action != "kept"}
        return [outcome.desired for outcome in self.outcomes
                if outcome.action == "kept" and _identity(outcome.desired) not in served]

    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "delete": 0, "unchanged": len(self.unchanged)}
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def diff(self) -> dict[str, list[dict[str, object]]]:
        """Before/after lists of the managed records (touched and unchanged)."""
        before = [record.to_dict() for record in self.unchanged]
        after = [record.to_dict() for record in self.unchanged]
        for change in self.changes:
            if change.before is not None:
                before.append(change.before.to_dict())
            if change.after is not None:
                after.append(change.after.to_dict())
        return {"before": before, "after": after}

    def to_dict(self) -> dict[str, object]:
        return {
            "changed": self.changed,
            "changes": [change.to_dict() for change in self.changes],
            "unchanged": [record.to_dict() for record in self.unchanged],
            "records": [outcome.to_dict() for outcome in self.outcomes],
            "warnings": list(self.warnings),
            "counts": self.counts(),
        }


class _PlanBuilder:
    """Collects changes while each purpose rule runs; knows which existing records are taken."""

    def __init__(self, existing: list[ExistingRecord], on_conflict: str,
                 compare_ttl: bool = True, conflicts_as_findings: bool = False) -> None:
        if on_conflict not in CONFLICT_POLICIES:
            raise ValidationError(
                f"on_conflict {on_conflict!r} is unknown",
                hint=f"use one of {', '.join(CONFLICT_POLICIES)}",
            )
        self.existing = existing
        self.on_conflict = on_conflict
        # the audit: a keep_and_fail conflict is an outcome ("conflict") instead of an error
        self.conflicts_as_findings = conflicts_as_findings
        self.compare_ttl = compare_ttl
        self.plan = RecordPlan()
        self.claimed: set[int] = set()
        # TTL-only updates: id(change) -> (index of its outcome, the existing record)
        self.retimed: dict[int, tuple[int, ExistingRecord]] = {}

    def at(self, name: str, record_type: str | None = None) -> list[ExistingRecord]:
        """Existing records at ``name`` (and type), not yet claimed by an earlier rule."""
        return [
            entry
            for entry in self.existing
            if entry.record.name == name
            and (record_type is None or entry.record.type == record_type)
            and id(entry) not in self.claimed
        ]

    def claim(self, entry: ExistingRecord) -> None:
        self.claimed.add(id(entry))

    def unchanged(self, desired: Record, entry: ExistingRecord, reason: str) -> None:
        self.claim(entry)
        self.plan.unchanged.append(entry.record)
        self.plan.outcomes.append(Outcome(desired, "unchanged", reason, entry.record.value))

    def unchanged_or_retimed(self, desired: Record, entry: ExistingRecord, reason: str) -> None:
        """Same data in a record this project writes wholly: unchanged, or an update of its TTL
        alone when the desired TTL (the inventory's dns_ttl, after the provider's floor)
        differs."""
        if not self.compare_ttl or not _ttl_differs(entry.record, desired):
            self.unchanged(desired, entry, reason)
            return
        self.update(desired, entry, desired,
                    f"{reason}; TTL {entry.record.ttl} → {desired.ttl}")
        self.retimed[id(self.plan.changes[-1])] = (len(self.plan.outcomes) - 1, entry)

    def create(self, desired: Record, reason: str) -> None:
        self.plan.changes.append(Change("create", None, desired, reason))
        self.plan.outcomes.append(Outcome(desired, "create", reason))

    def update(self, desired: Record, entry: ExistingRecord, after: Record, reason: str,
               foreign: bool = False) -> None:
        self.claim(entry)
        self.plan.changes.append(
            Change("update", entry.record, after, reason, entry.record_id, foreign))
        self.plan.outcomes.append(Outcome(desired, "update", reason, after.value))

    def delete(self, entry: ExistingRecord, reason: str, foreign: bool = True) -> None:
        self.claim(entry)
        self.plan.changes.append(
            Change("delete", entry.record, None, reason, entry.record_id, foreign))

    def kept(self, desired: Record, reason: str, kept: ExistingRecord,
             by_policy: bool = False, claim: bool = True) -> None:
        """``kept`` stays in place; ``by_policy``: because of keep_and_warn. ``claim`` false:
        it blocks the other records at its name too (a CNAME)."""
        if claim:
            self.claim(kept)
        self.plan.outcomes.append(Outcome(desired, "kept", reason, kept.record.value,
                                          kept.record, by_policy))
        self.plan.warnings.append(reason)

    def conflict(self, desired: Record, found: list[ExistingRecord], what: str,
                 claim: bool = True) -> None:
        """Raise the keep_and_fail error naming the record, what is there and the options; in
        the audit (``conflicts_as_findings``), record it as a "conflict" outcome instead."""
        present = "; ".join(entry.record.describe() for entry in found)
        error = ConflictError(
            f"{desired.describe()} ({desired.purpose}) conflicts with {what} already at "
            f"{desired.name}: {present}",
            hint="choose dns_on_conflict in the inventory (option on_conflict): keep_and_fail "
            "(default, stop here), keep_and_warn (leave the existing record and warn), or replace "
            "(delete the existing record and write ours); or fix the record by hand",
        )
        if not self.conflicts_as_findings:
            raise error
        for entry in found if claim else []:
            self.claim(entry)
        self.plan.outcomes.append(Outcome(
            desired, "conflict", f"the onboarding stops here (dns_on_conflict: keep_and_fail): "
            f"{error.message}", None, found[0].record))

    def decided_at_apply(self, desired: Record, found: list[ExistingRecord]) -> None:
        """Records already where ours goes, whose value SendCloud gives only when it makes the
        domain: equal to it, the apply adopts them; different, on_conflict decides then."""
        for entry in found:
            self.claim(entry)
        reason = "may conflict: decided at apply: " + _unknown_warning(desired, found)
        self.plan.outcomes.append(Outcome(desired, "decided_at_apply", reason, None,
                                          found[0].record))
        self.plan.warnings.append(reason)


def _unknown_warning(desired: Record, found: list[ExistingRecord]) -> str:
    present = "; ".join(entry.record.describe() for entry in found)
    return (
        f"{desired.type} {desired.name} ({desired.purpose}): value known after apply; the records "
        f"already there ({present}) may conflict with it (on_conflict decides on apply; one "
        "equal to SendCloud's value is adopted)"
    )


def _identity(record: Record) -> tuple:
    return (record.name, record.type, record.purpose, record.priority)


def _ttl_differs(existing: Record, desired: Record) -> bool:
    return None not in (existing.ttl, desired.ttl) and existing.ttl != desired.ttl


def _kept_ttl(existing: Record, desired: Record) -> int | None:
    """The TTL of a record we merged into: its owner's (ours only when it had none)."""
    return existing.ttl if existing.ttl is not None else desired.ttl


def _usable(entry: ExistingRecord, desired: Record) -> bool:
    """Existing record already serves the desired data (a disabled record is drift)."""
    return not entry.disabled and desired.value is not None and entry.record.same_data(desired)


def _plan_spf(builder: _PlanBuilder, desired: Record) -> None:
    existing_spf = [e for e in builder.at(desired.name, "TXT") if is_spf(e.record.value)]
    if len(existing_spf) > 1:
        raise ConflictError(
            f"{desired.name} has {len(existing_spf)} SPF records: "
            + "; ".join(e.record.describe() for e in existing_spf)
            + "; two SPF records make SPF fail (RFC 7208 §4.5) and the merge target is unclear",
            hint="merge them into one v=spf1 TXT record by hand, then run again",
        )
    if not existing_spf:
        builder.create(desired, "no SPF record at the name")
        return
    entry = existing_spf[0]
    kept_ttl = _kept_ttl(entry.record, desired)
    if desired.value is None:
        known = [host for host in SENDCLOUD_SPF_HOSTS
                 if contains_desired(entry.record.value or "", f"v=spf1 include:{host} ~all")]
        if known:
            builder.unchanged(desired, entry, f"existing SPF record already includes {known[0]}, "
                              "SendCloud's (checked again with its value once the domain is made)")
            return
        for host in SENDCLOUD_SPF_HOSTS:
            documented = f"v=spf1 include:{host} ~all"
            if other_forms(entry.record.value or "", documented):
                merged = merge_spf(entry.record.value or "", documented, desired.name)
                builder.update(desired, entry, replace(desired, value=merged, ttl=kept_ttl),
                               _rewrite_reason(entry.record, documented)
                               + " (checked again with SendCloud's value once the domain is made)")
                return
        merged = merge_spf(entry.record.value or "", SPF_KNOWN_AFTER_APPLY, desired.name)
        builder.update(desired, entry, replace(desired, value=merged, ttl=kept_ttl),
                       "merge SendCloud's include (known after apply) into the existing SPF record")
        _warn_near_limit(builder, merged, desired.name)
        return
    only_ours = entry.record.same_data(desired)
    if contains_desired(entry.record.value or "", desired.value):
        if entry.disabled:
            after = replace(entry.record, ttl=desired.ttl if only_ours else kept_ttl, purpose="spf")
            builder.update(desired, entry, after, "existing SPF record is disabled")
            return
        if only_ours:
            builder.unchanged_or_retimed(desired, entry, "existing SPF record is ours")
            return
        builder.unchanged(desired, entry, "existing SPF record already includes it"
                          + _merged_ttl_note(entry.record, desired))
        return
    merged = merge_spf(entry.record.value or "", desired.value, desired.name)
    after = replace(desired, value=merged, ttl=kept_ttl)
    builder.update(desired, entry, after, _rewrite_reason(entry.record, desired.value)
                   + _merged_ttl_note(entry.record, desired))
    _warn_near_limit(builder, merged, desired.name)


def _rewrite_reason(existing: Record, desired_value: str) -> str:
    rewrites = other_forms(existing.value or "", desired_value)
    if not rewrites:
        return "merge the include into the existing SPF record"
    return ("rewrite " + ", ".join(f"{old} as {new}" for old, new in rewrites.items())
            + ": SendCloud's include counts only in the form SendCloud gives it")


def _merged_ttl_note(existing: Record, desired: Record) -> str:
    if not _ttl_differs(existing, desired):
        return ""
    return (f"; its TTL {existing.ttl} stays, not {desired.ttl} (a record holding others' "
            "mechanisms keeps its owner's TTL)")


def _warn_near_limit(builder: _PlanBuilder, merged: str, name: str) -> None:
    warning = near_limit_warning(merged, name)
    if warning:
        builder.plan.warnings.append(warning)


def _plan_selector_txt(builder: _PlanBuilder, desired: Record) -> None:
    """dkim: the selector name is SendCloud's, so a different TXT there is updated."""
    at_name = builder.at(desired.name, "TXT")
    for entry in at_name:
        if _usable(entry, desired):
            builder.unchanged_or_retimed(desired, entry, "same value")
            _keep_others(builder, desired, [e for e in at_name if e is not entry],
                         "also at the DKIM selector; a verifier may take it instead of ours")
            return
    if not at_name:
        builder.create(desired, "no TXT record at the selector name")
        return
    reason = (
        "existing DKIM record is disabled"
        if (desired.value is not None and at_name[0].record.same_data(desired))
        else "different value at the selector name"
    )
    builder.update(desired, at_name[0], desired, reason)
    for extra in at_name[1:]:
        builder.plan.warnings.append(
            f"{extra.record.describe()} is also at the DKIM selector {desired.name}; left in "
            "place (remove it by hand if it is stale)"
        )


def _keep_others(builder: _PlanBuilder, desired: Record, others: list[ExistingRecord],
                 why: str) -> None:
    """Records beside ours that undo it: left in place (not ours to delete) but kept as an
    outcome, so the run warns and the drift audit reports them, naming each."""
    for entry in others:
        builder.kept(desired, f"{entry.record.describe()} is {why}; left in place (remove it "
                              "by hand if it is stale)", entry)


def _plan_verify(builder: _PlanBuilder, desired: Record) -> None:
    """verify: other TXT records at the name stay; ours is added beside them."""
    for entry in builder.at(desired.name, "TXT"):
        if _usable(entry, desired):
            builder.unchanged_or_retimed(desired, entry, "same value")
            return
        if entry.disabled and desired.value is not None and entry.record.same_data(desired):
            builder.update(desired, entry, desired, "existing record is disabled")
            return
    builder.create(desired, "value not present at the name")


def _plan_dmarc(builder: _PlanBuilder, desired: Record) -> None:
    existing_dmarc = [
        e
        for e in builder.at(desired.name, "TXT")
        if (e.record.value or "").strip().lower().startswith("v=dmarc1")
    ]
    for entry in existing_dmarc:
        if _usable(entry, desired):
            builder.unchanged_or_retimed(desired, entry, "same value")
            _keep_others(builder, desired, [e for e in existing_dmarc if e is not entry],
                         "a second DMARC record beside ours, and with two receivers apply "
                         "none (RFC 7489 §6.6.3)")
            return
    if not existing_dmarc:
        builder.create(desired, "no DMARC record at the name")
        return
    # A value not known yet means SendCloud has not made the domain. A record with the policy
    # SendCloud documents (p=none) may be the very one it will ask for, pre-staged by the
    # customer's IT: the apply compares and adopts it. Any other policy is someone else's, planned
    # as on_conflict says now, before domain/add takes one of the account's domain slots. Under
    # replace the overwrite is planned all the same, so that it needs -e force=true.
    pre_staged = [e for e in existing_dmarc if _may_be_sendclouds_dmarc(e.record.value or "")]
    if desired.value is None and builder.on_conflict != "replace" and pre_staged == existing_dmarc:
        builder.decided_at_apply(desired, existing_dmarc)
        return
    if builder.on_conflict == "keep_and_fail":
        builder.conflict(desired, existing_dmarc, "a different DMARC record" + (
            "" if desired.value is not None else
            " (a policy other than p=none, the one SendCloud documents for its record)"))
        return
    if builder.on_conflict == "keep_and_warn":
        for entry in existing_dmarc:
            builder.kept(
                desired,
                f"kept the existing DMARC record at {desired.name} ({entry.record.describe()}) "
                f"(dns_on_conflict: keep_and_warn); ours ({desired.describe()}) is not written: "
                "a second DMARC record would disable DMARC",
                entry, by_policy=True)
        return
    reason = ("replace the DMARC record unless it is SendCloud's (known after apply)"
              if desired.value is None else "replace the different DMARC record")
    builder.update(desired, existing_dmarc[0], desired, reason, foreign=True)
    for extra in existing_dmarc[1:]:
        builder.delete(extra, "replace: a second DMARC record would disable DMARC")


def _may_be_sendclouds_dmarc(value: str) -> bool:
    """A DMARC record as SendCloud documents its own (reference §5: ``v=DMARC1; p=none;
    rua=mailto:...``, the address masked): policy none."""
    tags = dict(part.strip().partition("=")[::2] for part in value.split(";") if part.strip())
    return tags.get("p", "").strip().lower() == "none"


def _plan_mx_group(builder: _PlanBuilder, desired_mx: list[Record]) -> None:
    """All desired MX records at one name, planned together (foreign MX found once)."""
    name = desired_mx[0].name
    at_name = builder.at(name, "MX")
    if any(record.value is None for record in desired_mx):
        for desired in desired_mx:
            builder.create(desired, "value known after apply")
        if at_name:
            builder.plan.warnings.append(_unknown_warning(desired_mx[0], at_name))
        return
    our_targets = {record.value for record in desired_mx}
    foreign = [entry for entry in at_name if entry.record.value not in our_targets]
    pending: list[Record] = []
    for desired in desired_mx:
        same_target = [
            e for e in at_name if e.record.value == desired.value and id(e) not in builder.claimed
        ]
        exact = [e for e in same_target if _usable(e, desired)]
        if exact:
            builder.unchanged_or_retimed(desired, exact[0], "same target and priority")
        elif same_target:
            builder.update(desired, same_target[0], desired, "different priority or disabled")
        else:
            pending.append(desired)
    if foreign and builder.on_conflict == "keep_and_fail":
        builder.conflict(desired_mx[0], foreign, "foreign MX records")
        return
    if foreign and builder.on_conflict == "replace":
        for entry in foreign:
            builder.delete(entry, "replace: foreign MX at the sending domain")
    if foreign and builder.on_conflict == "keep_and_warn":
        for entry in foreign:
            builder.kept(desired_mx[0], f"foreign MX {entry.record.describe()} kept beside "
                         "SendCloud's (dns_on_conflict: keep_and_warn; mail for this name may go "
                         "elsewhere)", entry, by_policy=True)
    for desired in pending:
        builder.create(desired, _mx_create_reason(bool(foreign), builder.on_conflict))


def _mx_create_reason(has_foreign: bool, on_conflict: str) -> str:
    if not has_foreign:
        return "no MX to this target"
    if on_conflict == "keep_and_warn":
        return "added beside foreign MX"
    return "replaces foreign MX"


def _plan_tracking(builder: _PlanBuilder, desired: Record) -> None:
    cnames = builder.at(desired.name, "CNAME")
    for entry in cnames:
        if _usable(entry, desired):
            builder.unchanged_or_retimed(desired, entry, "same target")
            return
    other_data = [e for e in builder.at(desired.name) if e.record.type != "CNAME"]
    if other_data and builder.on_conflict == "keep_and_fail":
        builder.conflict(desired, other_data, "other data (a CNAME cannot coexist with it)")
        return
    if other_data and builder.on_conflict == "keep_and_warn":
        for entry in other_data:
            builder.kept(desired, f"tracking CNAME {desired.name} not written: the name holds "
                         f"{entry.record.describe()} (dns_on_conflict: keep_and_warn) and a CNAME "
                         "cannot coexist with other data", entry, by_policy=True)
        return
    for entry in other_data:
        builder.delete(entry, "replace: a CNAME cannot coexist with other data")
    if cnames:
        builder.update(desired, cnames[0], desired, "different CNAME target", foreign=True)
    else:
        builder.create(desired, "no CNAME at the name")


def _blocked_by_cname(builder: _PlanBuilder, desired: Record) -> bool:
    """A CNAME at the name of a TXT/MX we want: no other data may exist beside a CNAME (RFC 1034
    §3.6.2; BIND silently drops such an add, DNSPod refuses it). Conflict policy: fail, keep the
    CNAME and skip ours, or delete it (ours is then planned as usual)."""
    cnames = builder.at(desired.name, "CNAME")
    if not cnames:
        return False
    if builder.on_conflict == "keep_and_fail":
        builder.conflict(desired, cnames, "a CNAME (no other data can exist beside it)",
                         claim=False)
        return True
    if builder.on_conflict == "keep_and_warn":
        builder.kept(desired, f"{desired.describe()} not written: {desired.name} is a CNAME "
                     f"({cnames[0].record.describe()}; dns_on_conflict: keep_and_warn) and no "
                     "other data can exist beside it", cnames[0], by_policy=True, claim=False)
        return True
    for entry in cnames:
        builder.delete(entry, "replace: no other data can exist beside a CNAME")
    return False


def plan_changes(
    desired: list[Record],
    existing: list[ExistingRecord],
    on_conflict: str = "keep_and_fail",
    one_ttl_per_rrset: bool = False,
    compare_ttl: bool = True,
    conflicts_as_findings: bool = False,
) -> RecordPlan:
    """Build the plan that makes ``existing`` serve every desired record.

    ``one_ttl_per_rrset``: the provider keeps one TTL per name and type (RFC 2136), so a record
    joining records that stay is planned with their TTL. ``compare_ttl`` false: the TTLs read
    are not the stored ones (answers to DNS queries), so records with the right data are left
    as they are whatever their TTL. ``conflicts_as_findings`` (the audit): what keep_and_fail
    would stop on is a "conflict" outcome instead of an error. Raises ConflictError (keep_and_fail,
    or two SPF records) and ValidationError (SPF over the lookup limit, bad policy). Changes are
    ordered delete, update, create.
    """
    builder = _PlanBuilder(existing, on_conflict, compare_ttl, conflicts_as_findings)
    mx_by_name: dict[str, list[Record]] = {}
    for record in desired:
        if record.type == "MX" and record.name is not None:
            mx_by_name.setdefault(record.name, []).append(record)
    for record in desired:
        if record.name is None:
            builder.create(record, "name and value known after apply (generated by SendCloud)")
        elif record.type != "CNAME" and _blocked_by_cname(builder, record):
            continue
        elif record.type == "MX":
            group = mx_by_name.pop(record.name, None)
            if group:
                _plan_mx_group(builder, group)
        elif record.type == "CNAME":
            _plan_tracking(builder, record)
        elif record.purpose == "spf":
            _plan_spf(builder, record)
        elif record.purpose == "dkim":
            _plan_selector_txt(builder, record)
        elif record.purpose == "dmarc":
            _plan_dmarc(builder, record)
        else:
            _plan_verify(builder, record)
    if one_ttl_per_rrset:
        _keep_shared_rrset_ttls(builder)
        _join_kept_rrsets(builder.plan, existing)
    builder.plan.changes.sort(key=lambda change: ACTION_ORDER[change.action])
    return builder.plan


def _keep_shared_rrset_ttls(builder: _PlanBuilder) -> None:
    """A TTL-only update is dropped where the RRset keeps records the plan does not touch: one
    RRset has one TTL, and re-timing ours would re-time theirs. The outcome says so."""
    plan = builder.plan
    leaving = {id(change.before) for change in plan.changes if change.before is not None}
    for change in list(plan.changes):
        if id(change) not in builder.retimed:
            continue
        outcome_index, entry = builder.retimed[id(change)]
        shared = [
            other for other in builder.existing
            if other is not entry and id(other.record) not in leaving
            and (other.record.name, other.record.type) == (entry.record.name, entry.record.type)
        ]
        if not shared:
            continue
        plan.changes.remove(change)
        plan.unchanged.append(entry.record)
        desired = plan.outcomes[outcome_index].desired
        plan.outcomes[outcome_index] = Outcome(
            desired, "unchanged",
            f"same data; TTL {entry.record.ttl} stays, not {desired.ttl}: the RRset is shared "
            "with records this run does not touch (one TTL per RRset, RFC 2181 §5.2)",
            entry.record.value,
        )


def _join_kept_rrsets(plan: RecordPlan, existing: list[ExistingRecord]) -> None:
    """A record written into an RRset that keeps records this plan does not touch takes that
    RRset's TTL: one RRset has one TTL (RFC 2181 §5.2), and an add with another TTL makes the
    server re-time the whole RRset, foreign records included."""
    leaving = {id(change.before) for change in plan.changes if change.before is not None}
    for index, change in enumerate(plan.changes):
        after = change.after
        if after is None:
            continue
        staying = [
            entry.record.ttl
            for entry in existing
            if entry.record.name == after.name and entry.record.type == after.type
            and id(entry.record) not in leaving and entry.record.ttl is not None
        ]
        if staying and staying[0] != after.ttl:
            plan.changes[index] = replace(
                change,
                after=replace(after, ttl=staying[0]),
                reason=f"{change.reason}; TTL {staying[0]} of the RRset it joins (one TTL per "
                "RRset: records this run does not touch keep theirs)",
            )


def plan_removal(desired: list[Record], existing: list[ExistingRecord]) -> RecordPlan:
    """The plan that stops serving the records SendCloud asked for (a retired sending domain).

    Only records with exactly our data are deleted; an SPF record we merged into keeps its
    other mechanisms (our include is taken out); everything else at those names stays.
    """
    builder = _PlanBuilder(existing, "keep_and_fail")
    for record in desired:
        if record.name is None or record.value is None:
            continue
        if record.purpose == "spf":
            for entry in builder.at(record.name, "TXT"):
                if is_spf(entry.record.value) and contains_desired(entry.record.value or "", record.value):
                    remaining = remove_terms(entry.record.value or "", record.value)
                    if remaining is None:
                        builder.delete(entry, "SendCloud's SPF record of a retired domain", foreign=False)
                    else:
                        after = replace(entry.record, value=remaining, purpose="spf")
                        builder.update(record, entry, after, "SendCloud's include taken out of the SPF record")
            continue
        for entry in builder.at(record.name, record.type):
            if entry.record.same_data(record):
                builder.delete(entry, f"{record.purpose} record of a retired sending domain",
                               foreign=False)
    builder.plan.changes.sort(key=lambda change: ACTION_ORDER[change.action])
    return builder.plan
