"""What the fleet page shows, per tenant and in sum: built from the tenants' reports and the
last audit (``audit/audit.json``), nothing re-read from a service."""

from __future__ import annotations

from collections import Counter
from typing import Any

STATUSES = ("failed", "refused", "rebind pending", "incomplete", "verified and bound")
ITEM_ORDER = ("spf", "dkim", "dmarc", "mx", "tracking")


def tenant_row(report: dict[str, Any], audited: dict[str, Any] | None) -> dict[str, Any]:
    domain = report.get("domain") or {}
    account = report.get("account") or {}
    error, fix = split_fix(report.get("error"))
    drift = None if audited is None else list(audited.get("drift") or [])
    failed_probes = {} if audited is None else dict(audited.get("failed_probes") or {})
    key_probes = {} if audited is None else dict(audited.get("key_probes") or {})
    row = {
        "tenant": report["tenant_id"],
        "status": report.get("status") or "incomplete",
        "sending_domain": domain.get("name") or "?",
        "bound_domain": (report.get("binding") or {}).get("sending_domain"),
        "rebind_pending": report.get("rebind_pending"),
        "error": error, "fix": fix,
        "verification": ordered_items(domain.get("items") or {}),
        "api_users": [{"name": user["name"], "role": user["role"],
                       "key_stored": user.get("key_stored"), "probe": key_probes.get(user["name"])}
                      for user in report.get("api_users") or []],
        "quota": account.get("quota"), "quota_used": account.get("quota_used"),
        "quota_remaining": account.get("quota_remaining"),
        "reputation": account.get("reputation"),
        "available_balance": account.get("available_balance"),
        "balance_low": bool(account.get("balance_low")),
        "warnings": list(report.get("warnings") or []),
        "drift": drift, "failed_probes": failed_probes,
        "updated_at": report.get("updated_at"),
    }
    row["needs_action"] = needs_action(row)
    return row


def needs_action(row: dict[str, Any]) -> bool:
    probes_refused = any(p and not p.get("authenticated") for p in
                         (user["probe"] for user in row["api_users"]))
    return (row["status"] != "verified and bound" or bool(row["drift"]) or bool(row["failed_probes"])
            or probes_refused or row["balance_low"])


def split_fix(error: str | None) -> tuple[str | None, str | None]:
    """A module error reads 'what went wrong. Provider said: ... Fix: what to do.'"""
    if not error:
        return None, None
    what, _, fix = error.partition(" Fix: ")
    return what, fix or None


def ordered_items(items: dict[str, Any]) -> list[tuple[str, Any]]:
    known = [(name, items[name]) for name in ITEM_ORDER if name in items]
    return known + sorted((name, ok) for name, ok in items.items() if name not in ITEM_ORDER)


def fleet_view(reports: list[dict[str, Any]], audit: dict[str, Any] | None) -> dict[str, Any]:
    """Rows with the tenants needing action first (then by name), and the counts by status."""
    audited = (audit or {}).get("tenants") or {}
    rows = [tenant_row(report, audited.get(report["tenant_id"]) if audit else None)
            for report in reports]
    rows.sort(key=lambda row: (not row["needs_action"], row["tenant"]))
    counts = Counter(row["status"] for row in rows)
    return {"rows": rows,
            "counts": {status: counts[status] for status in (*STATUSES, *sorted(set(counts) - set(STATUSES)))
                       if counts[status] or status in STATUSES},
            "total": len(rows),
            "needing_action": [row["tenant"] for row in rows if row["needs_action"]],
            "audited_at": (audit or {}).get("generated_at"),
            "drifted": len((audit or {}).get("drifted_tenants") or [])}
