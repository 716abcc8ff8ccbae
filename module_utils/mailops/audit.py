"""The drift and health audit: what differs between the inventory and the live services.

Built from the check-mode results of the onboarding stages (a planned change is drift) plus
two read-only probes: what every nameserver serves, and whether the stored keys authenticate.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ansible.module_utils.mailops.artifacts import write_if_changed
from ansible.module_utils.mailops.gitops_plan import differing, serves_until_text, tenant_changes
from ansible.module_utils.mailops.report import yes_no


def described(change: dict[str, Any]) -> str:
    """One planned change as a finding: what, why, and for an update the fields that differ."""
    text = f"{change['object']} {change['id']}: would {change['action']}"
    if change.get("reason"):
        text += f" ({change['reason']})"
    before, after = differing(change.get("before"), change.get("after"))
    if change["action"] == "update" and before != after:
        text += f": {_compact(before)} → {_compact(after)}"
    return text


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def probes_not_made(stages: dict[str, Any]) -> dict[str, str]:
    """Each probe that failed, with its error, and those it left without their input: the
    stages need the preflight, the propagation probe needs the sending domain's records."""
    failed = dict(stages.get("failed_probes") or {})
    if "preflight" in failed:
        for stage in ("sending_domain", "api_users", "binding"):
            failed.setdefault(stage, "not checked: the preflight probe failed")
    if "sending_domain" in failed and not stages.get("propagation"):
        failed.setdefault("propagation", "not checked: the sending_domain probe, which gives "
                                         "the records to ask for, failed")
    return failed


def _record_id(record: dict[str, Any]) -> tuple:
    return (record.get("purpose"), record.get("type"), record.get("name"))


def kept_findings(outcomes: list[dict[str, Any]], items: dict[str, bool],
                  previous: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """The records kept by the operator's choice (keep_and_warn), listed, and the drift about
    them: only kept records that changed or disappeared since the last onboarding run's report
    (``previous``), compared per name, type and purpose (several foreign MX at one name are one
    set). A record kept whatever the policy (beside ours) and a conflict that keep_and_fail stops
    on are drift."""
    kept, drift = [], []
    earlier: dict[tuple, set[str]] = {}
    for entry in (previous or {}).get("kept") or []:
        earlier.setdefault(_record_id(entry), set()).add(entry.get("kept_value"))
    chosen: dict[tuple, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        if outcome.get("action") == "conflict" or (outcome.get("action") == "kept"
                                                    and not outcome.get("by_policy")):
            drift.append(f"{outcome['type']} {outcome['name']}: {outcome.get('reason')}")
        elif outcome.get("action") == "kept":
            chosen.setdefault(_record_id(outcome), []).append(outcome)
    for key, group in chosen.items():
        values = {(outcome.get("kept") or {}).get("value") for outcome in group}
        first = group[0]
        if key in earlier and earlier[key] != values:
            drift.append(f"{first['type']} {first['name']}: the kept foreign record changed since "
                         f"the last run: was {_values(earlier[key])}, now {_values(values)}")
            continue
        verified = items.get(first.get("purpose"))
        kept += [f"{first['type']} {first['name']} {_values({value})} (dns_on_conflict: "
                 "keep_and_warn)" + ("" if verified is None else
                                     f"; SendCloud verifies {first['purpose']}: {yes_no(verified)}")
                 for value in sorted(values, key=str)]
    for (_purpose, record_type, name), values in earlier.items():
        if (_purpose, record_type, name) not in chosen:
            drift.append(f"{record_type} {name}: the kept foreign record {_values(values)} is gone")
    return kept, drift


def _values(values: set[str]) -> str:
    return ", ".join(repr(value) for value in sorted(values, key=str))


def tenant_findings(tenant: str, stages: dict[str, Any],
                    previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """``previous``: the tenant's last onboarding report, whose kept records are the baseline."""
    failed_probes = probes_not_made(stages)
    drift = [described(change) for change in tenant_changes(tenant, stages)]
    # A pending rebind is planned, not drift: the audit checked the bound domain, the one that
    # sends until the rebind (its API users and binding wait for it)
    pending = stages.get("rebind_pending")
    sending_domain = stages.get("sending_domain") or {}
    domain = sending_domain.get("domain") or {}
    items = domain.get("items") or {}
    outcomes = (sending_domain.get("dns") or {}).get("records") or []
    kept, kept_drift = kept_findings(outcomes, items, None if pending else previous)
    # the run's warning about each of them, said above already
    said = {o.get("reason") for o in outcomes if o.get("action") in ("kept", "conflict")}
    drift += kept_drift
    credentials = (sending_domain.get("dns") or {}).get("credentials") or {"ok": True}
    if not credentials["ok"]:
        drift.append(f"the DNS credentials do not authenticate: {credentials['error']}")
    not_awaited = sending_domain.get("not_awaited") or []
    failing_items = [item for item, ok in items.items() if not ok and item not in not_awaited]
    if failing_items:
        drift.append(f"SendCloud does not verify: {', '.join(failing_items)}")
    propagation = stages.get("propagation") or {}
    for server in propagation.get("nameservers") or []:
        for record in server.get("records") or []:
            if not record.get("ok"):
                drift.append(f"{server.get('nameserver')} does not serve {record.get('type')} "
                             f"{record.get('name')} as wanted (serves {record.get('served')})")
    for user in (stages.get("keys") or {}).get("api_users") or []:
        if not user.get("authenticated"):
            drift.append(f"the stored key of {user['name']} does not authenticate ({user.get('reason')}): "
                         "if it was reset in the SendCloud console, store the new one with "
                         "playbooks/import_key.yml")
    account = (stages.get("preflight") or {}).get("account") or {}
    # what a run would warn about (a low quota, an SPF record near its lookup limit), but not
    # what is already drift above
    warnings = [w for w in stages.get("warnings") or [] if not any(w in item for item in drift)
                and w not in said and not (pending and "rebind.yml" in w)]
    # a switched rebind's old domain, still served for mail in flight: not drift until it is due
    retiring = stages.get("retiring")
    if retiring and retiring.get("due"):
        drift.append(f"{serves_until_text(retiring)}, and is due to retire: run retire.yml")
    verified = None if "sending_domain" in failed_probes else bool(domain.get("verified"))
    return {"drift": drift, "kept": kept, "warnings": warnings, "verified": verified,
            "rebind_pending": pending,
            "retiring": {key: retiring[key] for key in ("old_domain", "serves_until")} if retiring else None,
            "failed": bool(failed_probes), "failed_probes": failed_probes,
            "key_probes": {user["name"]: {"authenticated": bool(user.get("authenticated")),
                                          "reason": user.get("reason") or ""}
                           for user in (stages.get("keys") or {}).get("api_users") or []},
            "quota": account.get("quota"), "quota_used": account.get("quota_used"),
            "quota_remaining": account.get("quota_remaining"), "reputation": account.get("reputation")}


def build(stage_results: dict[str, dict[str, Any]], failed: dict[str, str],
          reports: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``reports``: each tenant's last onboarding report, where there is one."""
    tenants = {tenant: tenant_findings(tenant, stages, (reports or {}).get(tenant))
               for tenant, stages in stage_results.items()}
    for tenant, message in failed.items():   # not known: unverified, no quota
        tenants[tenant] = {"failed": True, "drift": [f"audit failed: {message}"], "verified": None}
    tenants = dict(sorted(tenants.items()))
    drifted = [t for t, findings in tenants.items() if findings["drift"] and t not in failed]
    # those not audited at all, and those of which a probe failed (the others' findings stand)
    failed_tenants = [t for t, findings in tenants.items() if findings.get("failed")]
    pending = [t for t, findings in tenants.items() if findings.get("rebind_pending")]
    return {"generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "drifted_tenants": drifted, "failed_tenants": failed_tenants,
            "rebind_pending_tenants": pending, "tenants": tenants}


def render_markdown(audit: dict[str, Any]) -> str:
    summary = f"{len(audit['drifted_tenants'])} of {len(audit['tenants'])} tenants drifted"
    if audit["failed_tenants"]:
        summary += f", {len(audit['failed_tenants'])} could not be checked in full"
    lines = ["# Drift and health audit", "", f"Generated {audit['generated_at']}.", "",
             summary + ".", "",
             "| tenant | drift | verified | quota left | reputation |", "|---|---|---|---|---|"]
    for tenant, findings in audit["tenants"].items():
        lines.append(f"| {tenant} | {len(findings['drift'])} | {yes_no(findings['verified'])} | "
                     f"{_shown(findings.get('quota_remaining'))} | {_shown(findings.get('reputation'))} |")
    for tenant, findings in audit["tenants"].items():
        warnings = findings.get("warnings") or []
        failed_probes = findings.get("failed_probes") or {}
        pending = findings.get("rebind_pending")
        kept = findings.get("kept") or []
        retiring = findings.get("retiring")
        if findings["drift"] or warnings or failed_probes or pending or kept or retiring:
            lines += ["", f"## {tenant}", ""]
            if retiring and not any(item.startswith(serves_until_text(retiring)) for item in findings["drift"]):
                lines.append(f"- {serves_until_text(retiring)} (not drift: the grace period after "
                             "its rebind)")
            if pending:
                lines.append(f"- rebind pending (not drift): bound to {pending['bound_domain']}, the "
                             f"inventory asks for {pending['sending_domain']}; run rebind.yml in the "
                             "change window. Checked here: the bound domain and the stored keys")
            lines += [f"- {item}" for item in findings["drift"]]
            lines += [f"- kept (not drift): {item}" for item in kept]
            lines += [f"- could not check {probe}: {error}" for probe, error in failed_probes.items()]
            lines += [f"- warning (not drift): {item}" for item in warnings]
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    return "-" if value is None else str(value)


def render_json(audit: dict[str, Any]) -> str:
    return json.dumps(audit, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def write_audit(directory: Path, audit: dict[str, Any], check_mode: bool) -> bool:
    """audit.json and audit.md in ``directory``, each replaced only when it differs; in check
    mode nothing is written. Whether a file differs (was, or would be, written)."""
    outputs = {directory / "audit.json": render_json(audit),
               directory / "audit.md": render_markdown(audit)}
    changed = any(not path.exists() or path.read_text() != text for path, text in outputs.items())
    if changed and not check_mode:
        for path, text in outputs.items():
            write_if_changed(path, text)
    return changed
