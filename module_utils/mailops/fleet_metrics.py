"""``mailops.prom``: the fleet's metrics for the node exporter's textfile collector, written
with prometheus_client's ``write_to_textfile`` (a temporary file renamed into place) by the
report step (``run="onboard"`` or ``"rebind"``) and by the audit (``run="audit"``).

Per tenant (labels ``tenant`` and ``domain``), from the fleet view (the reports and the last
audit); per run kind (label ``run``): the last success, the tenants failed and the duration. A
run rewrites its own kind's figures and keeps the others' as the file had them. Only numbers,
names and domains: nothing from a vault reaches it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families

TENANT_METRICS = {
    "mailops_tenant_verified_items": "Verification items (SPF, DKIM, DMARC, MX, ...) SendCloud verifies",
    "mailops_tenant_verification_items": "Verification items the tenant's domain has",
    "mailops_tenant_quota_remaining": "Today's sending quota left",
    "mailops_tenant_quota_limit": "Today's sending quota",
    "mailops_tenant_reputation": "SendCloud account reputation",
    "mailops_tenant_available_balance": "SendCloud account available balance",
    "mailops_tenant_balance_low": "1 when the available balance is below preflight_min_balance",
    "mailops_tenant_drift": "1 when the last audit found drift or could not check everything, else 0",
    "mailops_tenant_keys_probed_ok": "Stored API keys that authenticated in the last audit",
    "mailops_tenant_api_users": "API users of the tenant",
    "mailops_tenant_rebind_pending": "1 when the tenant is bound to another domain than its inventory's",
    "mailops_tenant_failed": "1 when the tenant's last run failed",
}
RUN_METRICS = {
    "mailops_run_last_success_timestamp_seconds":
        "When a run of this kind last ended with no tenant failed (Unix time)",
    "mailops_run_tenants_failed": "Tenants that failed in the last run of this kind",
    "mailops_run_duration_seconds": "How long the last run of this kind took",
}


def tenant_values(row: dict[str, Any]) -> dict[str, float | None]:
    probed = [user["probe"] for user in row["api_users"] if user["probe"] is not None]
    audited = row["drift"] is not None
    return {
        "mailops_tenant_verified_items": sum(1 for _, ok in row["verification"] if ok),
        "mailops_tenant_verification_items": len(row["verification"]),
        "mailops_tenant_quota_remaining": row["quota_remaining"],
        "mailops_tenant_quota_limit": row["quota"],
        "mailops_tenant_reputation": row["reputation"],
        "mailops_tenant_available_balance": row["available_balance"],
        "mailops_tenant_balance_low": int(row["balance_low"]),
        "mailops_tenant_drift": int(bool(row["drift"] or row["failed_probes"])) if audited else None,
        "mailops_tenant_keys_probed_ok": sum(1 for p in probed if p.get("authenticated")) if audited else None,
        "mailops_tenant_api_users": len(row["api_users"]),
        "mailops_tenant_rebind_pending": int(bool(row["rebind_pending"])),
        "mailops_tenant_failed": int(row["status"] == "failed"),
    }


def previous_run_values(path: Path) -> dict[str, dict[str, float]]:
    """``{metric: {run: value}}`` from the file as the last writer left it."""
    if not path.exists():
        return {}
    kept: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            if sample.name in RUN_METRICS and "run" in sample.labels:
                kept.setdefault(sample.name, {})[sample.labels["run"]] = sample.value
    return kept


def write_metrics(path: Path, rows: list[dict[str, Any]], run: str, tenants_failed: int,
                  run_started: float | None, now: float | None = None) -> None:
    now = time.time() if now is None else now
    registry = CollectorRegistry()
    tenant_gauges = {name: Gauge(name, doc, ["tenant", "domain"], registry=registry)
                     for name, doc in TENANT_METRICS.items()}
    for row in rows:
        for name, value in tenant_values(row).items():
            if value is not None:
                tenant_gauges[name].labels(tenant=row["tenant"], domain=row["sending_domain"]).set(value)
    runs = previous_run_values(path)
    runs.setdefault("mailops_run_tenants_failed", {})[run] = tenants_failed
    durations = runs.setdefault("mailops_run_duration_seconds", {})
    durations.pop(run, None)   # an earlier run's figure would pass for this one's
    if run_started is not None:
        durations[run] = round(max(now - run_started, 0.0), 3)
    if tenants_failed == 0:
        runs.setdefault("mailops_run_last_success_timestamp_seconds", {})[run] = round(now, 3)
    for name, doc in RUN_METRICS.items():
        gauge = Gauge(name, doc, ["run"], registry=registry)
        for kind, value in sorted(runs.get(name, {}).items()):
            gauge.labels(run=kind).set(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
