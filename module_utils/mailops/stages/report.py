"""The report stage, once for all tenants: each tenant's report (JSON and Markdown), the
index and the fleet page (index.html), written only when they change (the body of the ``mailops_report`` module)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ansible.module_utils.mailops import report as reports
from ansible.module_utils.mailops.fleet_files import (
    fleet_outputs,
    stored_audit,
    write_fleet_metrics,
)
from ansible.module_utils.mailops.module_glue import (
    REGISTERED_ARG,
    given_or_registered,
    invocation_without,
)

REPORT_ARGS: dict[str, dict[str, Any]] = {
    "report_dir": {"type": "path", "required": True},
    "tenants": {"type": "dict"},
    "registered": REGISTERED_ARG,
    "refused": {"type": "dict"},
    "retired": {"type": "dict"},
    "metrics_run": {"type": "str", "default": "onboard", "choices": ["onboard", "rebind"]},
    "run_started": {"type": "float"},
}


def tenant_outputs(directory: Path, tenant: str, result: dict[str, Any],
                   refused_reason: str | None = None) -> tuple[dict[Path, str], dict]:
    json_path = directory / f"{tenant}.json"
    previous = json.loads(json_path.read_text()) if json_path.exists() else None
    stages = result.get("stages") or {}
    facts = reports.compose(stages.get("sending_domain") or {}, stages.get("api_users") or {},
                            stages.get("binding") or {},
                            (result.get("preflight") or {}).get("account") or {},
                            result.get("report_warnings") or [])
    if (stages.get("retiring") or {}).get("old_domain"):
        facts["retiring"] = {key: stages["retiring"][key] for key in ("old_domain", "serves_until")}
    if "rebind_pending" in stages:
        facts = reports.rebind_pending_facts(stages["rebind_pending"], facts, previous)
    if result.get("failed"):
        done = set(stages) | ({"preflight"} if result.get("preflight") else set())
        facts = reports.failed_facts(str(result.get("msg") or "see the run output"), facts,
                                     done, previous)
    if refused_reason:
        facts = reports.refused_facts(refused_reason, facts, previous)
    report = reports.tenant_report(tenant, facts, previous)
    return {json_path: json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            directory / f"{tenant}.md": reports.render_tenant_markdown(report)}, report


def retired_outputs(directory: Path, tenant: str, old_domain: str) -> tuple[dict[Path, str], dict] | None:
    """The tenant's last report without its old domain's "serves until", now that rebind.yml or
    retire.yml retired it (the rest is as the last run reported it)."""
    json_path = directory / f"{tenant}.json"
    if not json_path.exists():
        return None
    previous = json.loads(json_path.read_text())
    if (previous.get("retiring") or {}).get("old_domain") != old_domain:
        return {}, previous
    facts = {key: value for key, value in previous.items()
             if key not in ("tenant_id", "updated_at", "retiring")}
    report = reports.tenant_report(tenant, facts, None)
    return {json_path: json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            directory / f"{tenant}.md": reports.render_tenant_markdown(report)}, report


def run_report(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    directory = Path(params["report_dir"])
    outputs: dict[Path, str] = {}
    statuses = {}
    results = given_or_registered(params, "tenants")
    for tenant, result in sorted(results.items()):
        files, report = tenant_outputs(directory, tenant, result, (params["refused"] or {}).get(tenant))
        outputs.update(files)
        statuses[tenant] = report["status"]
    for tenant, old_domain in (params.get("retired") or {}).items():
        retired = retired_outputs(directory, tenant, old_domain)
        if retired:
            outputs.update(retired[0])
            statuses[tenant] = retired[1]["status"]
    others = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))
              if p.name != "index.json" and p.stem not in statuses]
    current = [json.loads(text) for path, text in outputs.items() if path.suffix == ".json"]
    index_json, index_md = reports.render_index(others + current)
    outputs.update({directory / "index.json": index_json, directory / "index.md": index_md})
    audit = stored_audit(directory)
    outputs.update(fleet_outputs(directory, others + current, audit))
    changed = any(not path.exists() or path.read_text() != text for path, text in outputs.items())
    if changed and not check_mode:
        for path, text in outputs.items():
            reports.write_if_changed(path, text)
    paths = [str(p) for p in outputs]
    if not check_mode:   # the run's heartbeat, rewritten by every run (not counted as a change)
        failed = sum(1 for result in results.values() if result.get("failed"))
        paths.append(str(write_fleet_metrics(directory, others + current, audit, params["metrics_run"],
                                             failed, params["run_started"])))
    return {"changed": changed, "paths": paths, "statuses": statuses,
            "invocation": invocation_without(params, "tenants", "registered")}
