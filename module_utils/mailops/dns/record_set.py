"""The bodies of the ``dns_record_set`` and ``dns_propagation`` modules (plain Python).

The query code (dnspython) is imported only where a nameserver is asked: a DNSPod tenant
whose zone is known and whose records are up to date never needs it.
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.dns.nameserver import (
    DEFAULT_MAX_INTERVAL,
    DEFAULT_TIMEOUT,
    Nameserver,
    parse_nameserver,
)
from ansible.module_utils.mailops.dns.plan import (
    CONFLICT_POLICIES,
    RecordPlan,
    plan_changes,
    plan_removal,
)
from ansible.module_utils.mailops.dns.providers import build_provider as build_named_provider
from ansible.module_utils.mailops.dns.providers import option_specs, provider_names
from ansible.module_utils.mailops.dns.providers.base import ApplyResult, DNSProvider
from ansible.module_utils.mailops.dns.records import (
    Record,
    clamp_ttls,
    clamp_warnings,
    normalize_name,
    record_from_dict,
    relative_name,
)
from ansible.module_utils.mailops.errors import AuthError, ValidationError
from ansible.module_utils.mailops.inventory_values import ttl_problem

RECORD_OPTIONS: dict[str, dict[str, Any]] = {
    "type": {"type": "str", "required": True, "choices": ["TXT", "MX", "CNAME"]},
    "name": {"type": "str"},
    "value": {"type": "str"},
    "priority": {"type": "int"},
    "purpose": {
        "type": "str",
        "default": "",
        "choices": ["spf", "dkim", "dmarc", "mx", "verify", "tracking", ""],
    },
    "ttl": {"type": "int"},
}

RECORD_SET_ARGS: dict[str, dict[str, Any]] = {
    "tenant": {"type": "str", "default": ""},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "zone": {"type": "str"},
    "records": {"type": "list", "elements": "dict", "required": True, "options": RECORD_OPTIONS},
    "ttl": {"type": "int", "default": 600},
    "provider": {"type": "str", "required": True, "choices": list(provider_names())},
    "on_conflict": {"type": "str", "default": "keep_and_fail", "choices": list(CONFLICT_POLICIES)},
    "nameservers": {"type": "list", "elements": "str", "default": []},
    **option_specs(),  # every provider's own options (providers/<name>.py)
}

PROPAGATION_ARGS: dict[str, dict[str, Any]] = {
    "records": {"type": "list", "elements": "dict", "required": True, "options": RECORD_OPTIONS},
    "zone": {"type": "str"},
    "nameservers": {"type": "list", "elements": "str", "default": []},
    "timeout": {"type": "float", "default": DEFAULT_TIMEOUT},
    "interval": {"type": "float", "default": DEFAULT_MAX_INTERVAL},
}


def build_provider(params: dict[str, Any]) -> DNSProvider:
    nameservers = [parse_nameserver(text) for text in params.get("nameservers") or []]
    return build_named_provider(params, nameservers)


def _shortest_name(entries: list[dict[str, Any]]) -> str:
    names = [normalize_name(entry["name"]) for entry in entries if entry.get("name")]
    if not names:
        raise ValidationError(
            "no record has a name to find the zone from", hint="set the zone option (inventory: dns_zone)"
        )
    return min(names, key=lambda name: name.count("."))


def resolve_zone(params: dict[str, Any], provider: DNSProvider) -> str:
    """The zone option, else the provider's answer, else an SOA lookup."""
    if params.get("zone"):
        return normalize_name(params["zone"])
    fqdn = _shortest_name(params["records"])
    zone = provider.find_zone(fqdn)
    if zone:
        return zone
    from ansible.module_utils.mailops.dns.zone import find_zone
    nameservers = [parse_nameserver(text) for text in params.get("nameservers") or []]
    return find_zone(fqdn, nameservers or None)


def desired_records(params: dict[str, Any], zone: str) -> list[Record]:
    records = [record_from_dict(entry, zone, params["ttl"]) for entry in params["records"]]
    for record in records:
        if record.name is not None:
            relative_name(record.name, zone)  # raises when the record is outside the zone
        if record.ttl is not None and (problem := ttl_problem(record.ttl)) is not None:
            raise ValidationError(f"{record.describe()}: {problem}",
                                  hint="give the TTL in seconds, e.g. 600 (inventory: dns_ttl)")
    return records


def ansible_diff(zone: str, plan: RecordPlan) -> dict[str, Any]:
    """Ansible's diff wants mappings (or text): wrap the before/after record lists."""
    lists = plan.diff()
    return {
        "before": {"records": lists["before"]},
        "after": {"records": lists["after"]},
        "before_header": f"zone {zone}",
        "after_header": f"zone {zone}",
    }


def record_set_result(
    zone: str, plan: RecordPlan, applied: ApplyResult | None, warnings: list[str]
) -> dict[str, Any]:
    plan_view = plan.to_dict()
    result: dict[str, Any] = {
        "changed": plan.changed,
        "zone": zone,
        "records": plan_view["records"],
        "changes": plan_view["changes"],
        "counts": plan_view["counts"],
        "status": "planned" if applied is None else applied.status,
        "warnings": warnings + plan.warnings + (applied.warnings if applied else []),
        "diff": ansible_diff(zone, plan),
    }
    if applied is not None and applied.change_file:
        result["change_file"] = applied.change_file
    return result


def below_any_floor(records: list[Record], provider: DNSProvider) -> bool:
    """Whether a record's TTL is under the highest floor a zone at ``provider`` can have
    (``ProviderInfo.min_ttl``): only then can the zone's own floor change anything."""
    return any(record.ttl is not None and record.ttl < provider.info.min_ttl
               for record in records)


def held_at_floor(plan: RecordPlan, raised: list[Record], floor: int) -> list[Record]:
    """The raised records the zone holds at ``floor`` because of us: planned (or already) at it.
    Not one merged into a record that keeps its owner's TTL (SPF), nor one that joins an RRset
    at another TTL. A no-op run names the same records as the run that wrote them, so the
    report it feeds does not change."""
    not_ours = {_identity(outcome.desired) for outcome in plan.outcomes
                if outcome.served not in (None, outcome.desired.value)}
    not_ours |= {_identity(record) for record in plan.kept_instead()}
    at_floor = {_identity(change.after) for change in plan.changes
                if change.after is not None and change.after.ttl == floor}
    at_floor |= {_identity(record) for record in plan.unchanged if record.ttl == floor}
    return [record for record in raised if _identity(record) in at_floor - not_ours]


def _identity(record: Record) -> tuple:
    return (record.name, record.type, record.purpose, record.priority)


def _shown_identity(record: dict[str, Any]) -> tuple:
    name = record.get("name")
    return (normalize_name(name) if name else None, record.get("type"), record.get("purpose"),
            record.get("priority"))


def records_to_await(records: list[dict[str, Any]], record_set: dict[str, Any]) -> list[dict[str, Any]]:
    """The records a propagation wait asks for: every one of ``records`` (the desired records,
    as the module takes them) but those a foreign record is kept in place of in the plan of
    ``record_set`` (run_record_set's result, as RecordPlan.kept_instead): they never come."""
    outcomes = record_set.get("records") or []
    served = {_shown_identity(o) for o in outcomes if o["action"] != "kept"}
    kept_instead = {_shown_identity(o) for o in outcomes} - served
    return [record for record in records if _shown_identity(record) not in kept_instead]


def run_record_set(
    params: dict[str, Any], check_mode: bool, provider: DNSProvider | None = None
) -> dict[str, Any]:
    """Plan (and unless ``check_mode`` apply) the tenant's records at the provider."""
    chosen = provider or build_provider(params)
    zone = resolve_zone(params, chosen)
    where = f"zone {zone} at {chosen.info.name}"
    records = desired_records(params, zone)
    names = {record.name for record in records if record.name is not None}
    existing = chosen.list_records(zone, names)
    warnings: list[str] = []
    # the provider's TTL rules, and for the audit's plan (conflicts_as_findings, set by
    # mailops_tenant, no module option) a conflict that keep_and_fail stops on as a finding
    plan_rules = (chosen.info.one_ttl_per_rrset, chosen.info.compares_ttl,
                  bool(params.get("conflicts_as_findings")))
    if params.get("state") == "absent":
        plan = plan_removal(records, existing)
    else:
        plan = plan_changes(records, existing, params["on_conflict"], *plan_rules)
    if plan.changed and params.get("state") != "absent" and below_any_floor(records, chosen):
        # the zone's TTL floor is read only when something would change and a TTL could be
        # below it (DNSPod: a DescribeDomain call); planning again with the raised TTLs makes a
        # dns_ttl under the floor compare as the floor, so it writes nothing on the next run
        floor = chosen.min_ttl(zone)
        records, raised = clamp_ttls(records, floor)
        plan = plan_changes(records, existing, params["on_conflict"], *plan_rules)
        warnings = clamp_warnings(held_at_floor(plan, raised, floor), floor, where)
    applied = None
    if plan.changed and not check_mode:
        applied = chosen.apply_changes(zone, plan.changes)
    elif not plan.changed:
        applied = ApplyResult(status="unchanged")
    result = record_set_result(zone, plan, applied, warnings)
    # nothing written (a plan, or nothing to write): the credentials are checked when asked
    if params.get("check_credentials") and (applied is None or applied.status == "unchanged"):
        result["credentials"] = checked_credentials(chosen, zone, params["check_credentials"])
    return result


def checked_credentials(provider: DNSProvider, zone: str, how: str) -> dict[str, Any]:
    """The provider's credential check, for a run that writes nothing (a write checks them
    itself): ``how`` "fail" raises its AuthError, "report" (the audit) returns it."""
    try:
        provider.check_credentials(zone)
    except AuthError as error:
        if how == "fail":
            raise
        return {"ok": False, "error": str(error)}
    return {"ok": True}


def propagation_nameservers(
    params: dict[str, Any], records: list[Record]
) -> tuple[list[Nameserver], list[str]]:
    """The nameservers to ask, and warnings about NS hosts that cannot be asked."""
    if params.get("nameservers"):
        return [parse_nameserver(text) for text in params["nameservers"]], []
    from ansible.module_utils.mailops.dns.propagation import discover_nameservers
    from ansible.module_utils.mailops.dns.zone import find_zone
    zone = params.get("zone") or find_zone(
        min((r.name for r in records), key=lambda n: n.count("."))
    )
    return discover_nameservers(normalize_name(zone))


def run_propagation(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Wait for the records on every nameserver; check mode asks once and never fails."""
    from ansible.module_utils.mailops.dns.propagation import wait_for_records
    zone = params.get("zone")
    records = [record_from_dict(entry, zone, 0) for entry in params["records"]]
    warnings: list[str] = []
    if check_mode:
        unknown = [record for record in records if record.value is None]
        warnings += [f"{record.describe()} not checked: value not known yet" for record in unknown]
        records = [record for record in records if record.value is not None]
    nameservers, nameserver_warnings = propagation_nameservers(params, records)
    warnings += nameserver_warnings
    result = wait_for_records(
        records,
        nameservers,
        timeout=params["timeout"],
        max_interval=params["interval"],
        max_rounds=1 if check_mode else None,
        raise_on_timeout=not check_mode,
    )
    report = result.to_dict()
    if check_mode and not result.complete:
        warnings.append(f"not served as wanted at every nameserver: {result.describe_missing()}")
    return {"changed": False, **report, "warnings": warnings}
