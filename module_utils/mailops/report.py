"""The per-tenant onboarding report (JSON and Markdown) and the index of all tenants.

Files are rewritten only when their content changes, so a no-op run writes nothing; the
``updated_at`` stamp therefore says when the tenant's state last changed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.mailops.artifacts import (  # noqa: F401 (write_if_changed: reports')
    KNOWN_AFTER_APPLY,
    write_if_changed,
)
from ansible.module_utils.mailops.gitops_plan import serves_until_text


def tenant_report(tenant_id: str, facts: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    report = {"tenant_id": tenant_id, **facts}
    if previous and {k: v for k, v in previous.items() if k != "updated_at"} == report:
        return previous
    report["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return report


def render_tenant_markdown(report: dict[str, Any]) -> str:
    domain = report.get("domain") or {}
    account = report.get("account") or {}
    binding = report.get("binding") or {}
    lines = [f"# Tenant {report['tenant_id']}: {domain.get('name') or '?'}", "",
             f"Status: **{report.get('status', '?')}** — updated {report.get('updated_at', '?')}", "",
             *_last_run_lines(report),
             *([f"The {serves_until_text(report['retiring'])} (rebind.yml's grace period for "
                "mail in flight; rebind.yml or retire.yml retires it then).", ""]
               if report.get("retiring") else []),
             *([f"Rebind pending: bound to {report['rebind_pending']['bound_domain']}; the "
                f"inventory asks for {report['rebind_pending']['sending_domain']}. Run rebind.yml "
                "in the change window (docs/rebind.md). Below: the bound domain, as the last "
                "report showed it.", ""]
               if report.get("rebind_pending") else []),
             "## DNS records", "", "| purpose | type | name | value | verified by SendCloud |",
             "|---|---|---|---|---|"]
    for record in report.get("records", []):
        value = str(record.get("value") or "(known after apply)")
        if record.get("priority") is not None:  # MX, as a zone file shows it
            value = f"{record['priority']} {value}"
        shown = value if len(value) <= 60 else value[:57] + "..."
        lines.append(f"| {record['purpose']} | {record['type']} | {record['name']} | `{shown}` | "
                     f"{yes_no(record.get('verified'))} |")
    if report.get("kept"):
        lines += ["", "## Foreign records kept (dns_on_conflict: keep_and_warn)", "",
                  "| purpose | type | name | kept value | SendCloud's value | verified by SendCloud |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {k['purpose']} | {k['type']} | {k['name']} | `{k['kept_value']}` | "
                  f"`{k['sendcloud_value']}` | {yes_no(k.get('verified'))} |" for k in report["kept"]]
    lines += ["", "## SendCloud verification", "",
              f"verify bitmask {domain.get('verify')} (layout {domain.get('layout')}): "
              + ", ".join(f"{k} {yes_no(v)}" for k, v in sorted((domain.get("items") or {}).items())), "",
              "## API users", "", "| role | name | domain | open | click | unsubscribe | key stored |",
              "|---|---|---|---|---|---|---|"]
    for user in report.get("api_users", []):
        lines.append(f"| {user['role']} | {user['name']} | {user.get('domain')} | {yes_no(user.get('open'))} "
                     f"| {yes_no(user.get('click'))} | {yes_no(user.get('unsubscribe'))} | "
                     f"{yes_no(user.get('key_stored'))} |")
    lines += ["", "## Platform binding", ""]
    lines += ([f"- domain: {binding.get('sending_domain')} ({binding.get('edition')})",
               f"- sender: {binding.get('sender_name')} <{binding.get('sender_address')}>",
               f"- reply-to: {binding.get('reply_to_address')}", ""]
              if binding.get("sending_domain") else ["- not bound yet", ""])
    lines += ["## Account", "",
              f"- quota {account.get('quota')}, used today {account.get('quota_used')}, "
              f"remaining {account.get('quota_remaining')}",
              f"- reputation {account.get('reputation')}", ""]
    for warning in report.get("warnings", []):
        lines.append(f"> warning: {warning}")
    return "\n".join(lines).rstrip() + "\n"


def _last_run_lines(report: dict[str, Any]) -> list[str]:
    if report.get("status") == "refused":
        return [f"Last run {report['error']}; nothing was applied. Below: what the last report "
                "said.", ""]
    if report.get("error"):
        return [f"Last run failed: {report['error']}", "",
                "Below: what this run did before it failed, and for the rest what the last "
                "report said.", ""]
    return []


def render_index(reports: list[dict[str, Any]]) -> tuple[str, str]:
    rows = [{"tenant_id": r["tenant_id"], "sending_domain": (r.get("domain") or {}).get("name") or "?",
             "status": r.get("status"),
             "quota_remaining": (r.get("account") or {}).get("quota_remaining"),
             "reputation": (r.get("account") or {}).get("reputation"),
             "updated_at": r.get("updated_at")} for r in sorted(reports, key=lambda r: r["tenant_id"])]
    markdown = ["# Onboarding report", "", "| tenant | sending domain | status | quota left | reputation | updated |",
                "|---|---|---|---|---|---|"]
    markdown += [f"| [{r['tenant_id']}]({r['tenant_id']}.md) | {r['sending_domain']} | {r['status']} | "
                 f"{r['quota_remaining']} | {r['reputation']} | {r['updated_at']} |" for r in rows]
    return json.dumps({"tenants": rows}, indent=2, sort_keys=True) + "\n", "\n".join(markdown) + "\n"


def yes_no(value: Any) -> str:
    if value is None:
        return "-"
    return "yes" if value else "NO"


ACCOUNT_FIELDS = ("edition", "quota", "quota_used", "quota_remaining", "reputation",
                  "available_balance", "balance_low")
DOMAIN_FIELDS = ("name", "layout", "verify", "items", "verified")
TRACKING_FIELDS = ("domain", "open", "click", "unsubscribe")


def compose(domain_result: dict[str, Any], apiuser_result: dict[str, Any],
            binding_result: dict[str, Any], account: dict[str, Any] | None,
            warnings: list[str]) -> dict[str, Any]:
    """Assemble the report from what the stages returned; nothing is re-read."""
    domain = domain_result.get("domain") or {}
    items = domain.get("items") or {}
    binding = binding_result.get("binding") or {}
    bound = bool(binding) and binding.get("sending_domain") == domain.get("name")
    served = {_record_key(r): r.get("served")
              for r in (domain_result.get("dns") or {}).get("records") or []
              if r.get("action") != "kept"}   # a kept record is someone else's, not ours
    return {
        "status": "verified and bound" if domain.get("verified") and bound else "incomplete",
        "domain": {k: domain.get(k) for k in DOMAIN_FIELDS},
        "records": [dict(record, **_published(record, served), verified=items.get(record["purpose"]))
                    for record in domain_result.get("records", [])],
        **_kept_part(kept_records(domain_result, items)),
        "api_users": [_api_user(user) for user in apiuser_result.get("api_users", [])],
        "binding": _binding_without_fingerprints(binding),
        "account": {k: v for k, v in (account or {}).items() if k in ACCOUNT_FIELDS},
        "warnings": warnings,
    }


def kept_records(domain_result: dict[str, Any], items: dict[str, bool]) -> list[dict[str, Any]]:
    """The foreign records the operator chose to keep (keep_and_warn) where SendCloud asked for
    ours, with what SendCloud says of that item: the audit's baseline."""
    return [{"purpose": outcome["purpose"], "type": outcome["type"], "name": outcome["name"],
             "kept_value": outcome["kept"]["value"], "sendcloud_value": outcome["value"],
             "reason": outcome["reason"], "verified": items.get(outcome["purpose"])}
            for outcome in (domain_result.get("dns") or {}).get("records") or []
            if outcome.get("action") == "kept" and outcome.get("by_policy")]


def _kept_part(kept: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kept": kept} if kept else {}   # a report without kept records stays as it was


def failed_facts(error: str, facts: dict[str, Any], done: set[str],
                 previous: dict[str, Any] | None) -> dict[str, Any]:
    """The report of a tenant whose last run failed: status failed and the error, with what the
    parts it completed (``done``: preflight and stage names) returned; for the rest, what the
    last report said."""
    parts = {"preflight": ("account",), "sending_domain": ("domain", "records", "kept"),
             "api_users": ("api_users",), "binding": ("binding",)}
    kept = {key: previous[key] for part, keys in parts.items() if part not in done
            for key in keys if previous and key in previous}
    if previous and previous.get("warnings"):   # a failed run returns none of its own
        kept["warnings"] = previous["warnings"]
    return {**facts, **kept, "status": "failed", "error": error}


def refused_facts(reason: str, facts: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The report of a tenant whose apply the pin or the safety rails refused: nothing was
    applied, so what the last report said (the plan's results are predictions), status refused."""
    return {**failed_facts(f"refused: {reason}", facts, set(), previous), "status": "refused"}


def rebind_pending_facts(pending: dict[str, str], facts: dict[str, Any],
                         previous: dict[str, Any] | None) -> dict[str, Any]:
    """The report of a tenant bound to another domain than the inventory's: what the last report
    said of the domain, records, API users and binding (this run planned nothing for them), with
    the account as read now and the rebind to do."""
    kept = {key: previous[key] for key in ("domain", "records", "kept", "api_users", "binding")
            if previous and key in previous}
    if "domain" not in kept:   # no report yet (a fresh checkout): the names at least
        kept["domain"] = {**facts["domain"], "name": pending["bound_domain"]}
        kept["binding"] = {**facts["binding"], "sending_domain": pending["bound_domain"]}
    return {**facts, **kept, "status": "rebind pending", "rebind_pending": pending}


def _published(record: dict[str, Any], served: dict[tuple, Any]) -> dict[str, Any]:
    """The value the zone serves for a record, when it is not SendCloud's own (an SPF record
    merged into): shown as the value, SendCloud's kept as ``sendcloud_value``."""
    value = served.get(_record_key(record))
    if value in (None, record.get("value"), KNOWN_AFTER_APPLY):
        return {}
    return {"value": value, "sendcloud_value": record.get("value")}


def _record_key(record: dict[str, Any]) -> tuple:
    return (record.get("purpose"), record.get("type"), record.get("name"), record.get("priority"))


def _api_user(user: dict[str, Any]) -> dict[str, Any]:
    key_stored = user["action"] not in ("create", "recreate") or bool(user.get("key_captured"))
    return {"role": user["role"], "name": user["name"],
            **{k: user["after"].get(k) for k in TRACKING_FIELDS}, "key_stored": key_stored}


def _binding_without_fingerprints(binding: dict[str, Any]) -> dict[str, Any]:
    public = {k: v for k, v in binding.items() if k != "api_users"}
    public["api_users"] = {role: user.get("name")
                           for role, user in (binding.get("api_users") or {}).items()}
    return public
