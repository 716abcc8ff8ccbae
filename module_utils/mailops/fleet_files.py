"""The fleet-wide files built from every tenant's report and the last audit: the page
(``index.html``, written only when it changed) and the metrics (``mailops.prom``, every run's
heartbeat). Written by the report stage and by the audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ansible.module_utils.mailops.fleet_metrics import write_metrics
from ansible.module_utils.mailops.fleet_page import render_page
from ansible.module_utils.mailops.fleet_view import fleet_view

AUDIT_FILE = Path("audit") / "audit.json"
METRICS_FILE = "mailops.prom"


def stored_reports(report_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(report_dir.glob("*.json"))
            if path.name != "index.json"]


def stored_audit(report_dir: Path) -> dict[str, Any] | None:
    path = report_dir / AUDIT_FILE
    return json.loads(path.read_text()) if path.exists() else None


def fleet_outputs(report_dir: Path, reports: list[dict[str, Any]],
                  audit: dict[str, Any] | None) -> dict[Path, str]:
    view = fleet_view(reports, audit)
    return {report_dir / "index.html": render_page(view)}


def write_fleet_metrics(report_dir: Path, reports: list[dict[str, Any]], audit: dict[str, Any] | None,
                        run: str, tenants_failed: int, run_started: float | None) -> Path:
    path = report_dir / METRICS_FILE
    write_metrics(path, fleet_view(reports, audit)["rows"], run, tenants_failed, run_started)
    return path
