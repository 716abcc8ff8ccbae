"""reports/index.html: the fleet at a glance, one self-contained HTML file (style and script
inline, allowed by the page's own Content-Security-Policy through their hashes; no external
asset). Deterministic: the same reports and audit give the same bytes, so a no-op run leaves it
untouched. ``_`` translates a message (gettext); the default leaves it English."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from html import escape
from typing import Any

from ansible.module_utils.mailops.fleet_page_assets import SCRIPT, STYLE

Translate = Callable[[str], str]


def _english(message: str) -> str:
    return message


def csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def render_page(view: dict[str, Any], _: Translate = _english, language: str = "en") -> str:
    policy = (f"default-src 'none'; style-src {csp_hash(STYLE)}; script-src {csp_hash(SCRIPT)}; "
              "base-uri 'none'; form-action 'none'")
    title = _("Mail sending fleet")
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{escape(language.replace("_", "-"))}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{escape(title)}</h1>",
        summary(view, _),
        controls(view, _),
        table(view, _),
        "</main>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]) + "\n"


STATUS_MARKS = {"verified and bound": ("ok", "\u2714"), "incomplete": ("warn", "\u25CB"),
                "rebind pending": ("warn", "\u21C4"), "failed": ("bad", "\u2716"),
                "refused": ("bad", "\u2298")}


def status_text(status: str, _: Translate) -> str:
    names = {"verified and bound": _("verified and bound"), "incomplete": _("incomplete"),
             "rebind pending": _("rebind pending"), "failed": _("failed"), "refused": _("refused")}
    return names.get(status, status)


def summary(view: dict[str, Any], _: Translate) -> str:
    counts = "".join(
        f'<li data-count="{escape(status)}">{mark(*STATUS_MARKS.get(status, ("unknown", "?")), status_text(status, _))}: '
        f"<strong>{count}</strong></li>" for status, count in view["counts"].items())
    audited = (_("Last audit: {time}, {drifted} tenant(s) drifted.").format(
        time=view["audited_at"], drifted=view["drifted"]) if view["audited_at"]
        else _("No audit yet (ansible-playbook playbooks/audit.yml)."))
    action = ", ".join(f'<a href="#tenant-{escape(t)}">{escape(t)}</a>' for t in view["needing_action"])
    return "\n".join([
        f'<section aria-label="{escape(_("Fleet summary"))}">',
        f'<ul class="summary"><li>{escape(_("Tenants"))}: <strong id="total">{view["total"]}</strong></li>{counts}</ul>',
        f'<p id="needing-action">{escape(_("Needing action"))}: {action or escape(_("none"))}</p>',
        f"<p>{escape(audited)}</p>",
        "</section>"])


def controls(view: dict[str, Any], _: Translate) -> str:
    options = "".join(f'<option value="{escape(status)}">{escape(status_text(status, _))}</option>'
                      for status in view["counts"])
    template = _("{shown} of {total} tenants shown")
    return "\n".join([
        '<div class="controls">',
        f'<label for="status-filter">{escape(_("Status"))}</label>',
        f'<select id="status-filter"><option value="">{escape(_("all"))}</option>'
        f'<option value="needs-action">{escape(_("needing action"))}</option>{options}</select>',
        f'<label for="search">{escape(_("Search tenant or domain"))}</label>',
        '<input id="search" type="search" autocomplete="off">',
        f'<output id="shown" aria-live="polite" data-template="{escape(template)}">'
        f'{escape(template.format(shown=view["total"], total=view["total"]))}</output>',
        "</div>"])


COLUMNS = (("tenant", "Tenant", "text"), ("status", "Status", "text"),
           ("domain", "Domain", "text"), ("verification", "Verification", None),
           ("api_users", "API users and last key probe", None), ("quota", "Quota used", "number"),
           ("reputation", "Reputation", "number"), ("balance", "Available balance", "number"),
           ("warnings", "Warnings", "number"), ("drift", "Last audit", "number"),
           ("updated", "Last change", "text"))


def column_title(name: str, _: Translate) -> str:
    titles = {"Tenant": _("Tenant"), "Status": _("Status"), "Domain": _("Domain"),
              "Verification": _("Verification"),
              "API users and last key probe": _("API users and last key probe"),
              "Quota used": _("Quota used"), "Reputation": _("Reputation"),
              "Available balance": _("Available balance"), "Warnings": _("Warnings"),
              "Last audit": _("Last audit"), "Last change": _("Last change")}
    return titles[name]


def table(view: dict[str, Any], _: Translate) -> str:
    headers = []
    for key, name, sort_type in COLUMNS:
        title = escape(column_title(name, _))
        if sort_type:
            headers.append(f'<th scope="col" data-column="{key}" data-type="{sort_type}" aria-sort="none">'
                           f'<button type="button">{title}</button></th>')
        else:
            headers.append(f'<th scope="col" data-column="{key}">{title}</th>')
    return "\n".join([
        f'<table id="fleet"><caption>{escape(_("Tenants, those needing action first"))}</caption>',
        f"<thead><tr>{''.join(headers)}</tr></thead>",
        "<tbody>", *(tenant_row(row, _) for row in view["rows"]), "</tbody></table>"])


def tenant_row(row: dict[str, Any], _: Translate) -> str:
    searched = " ".join(filter(None, [row["tenant"], row["sending_domain"], row["bound_domain"],
                                      (row["rebind_pending"] or {}).get("sending_domain")])).lower()
    cells = [
        cell(row["tenant"], f'<a href="{escape(row["tenant"])}.md">{escape(row["tenant"])}</a>', header=True),
        cell(row["status"], status_cell(row, _)),
        cell(row["sending_domain"], domain_cell(row, _)),
        cell(None, verification_cell(row, _)),
        cell(None, api_users_cell(row, _)),
        cell(row["quota_used"], quota_cell(row, _)),
        cell(row["reputation"], escape(shown(row["reputation"]))),
        cell(row["available_balance"], balance_cell(row, _)),
        cell(len(row["warnings"]), plain_list(row["warnings"]) if row["warnings"] else "-"),
        cell(-1 if row["drift"] is None else len(row["drift"]) + len(row["failed_probes"]), audit_cell(row, _)),
        cell(row["updated_at"], escape(shown(row["updated_at"]))),
    ]
    classes = "needs-action" if row["needs_action"] else ""
    return (f'<tr id="tenant-{escape(row["tenant"])}" class="{classes}" data-status="{escape(row["status"])}" '
            f'data-needs-action="{str(row["needs_action"]).lower()}" data-search="{escape(searched)}">'
            + "".join(cells) + "</tr>")


def cell(sort_value: Any, content: str, header: bool = False) -> str:
    sort = "" if sort_value is None else f' data-sort="{escape(str(sort_value))}"'
    tag = "th" if header else "td"
    scope = ' scope="row"' if header else ""
    return f"<{tag}{scope}{sort}>{content}</{tag}>"


def mark(kind: str, symbol: str, text: str) -> str:
    return f'<span class="mark {kind}"><span aria-hidden="true">{symbol}</span> {escape(text)}</span>'


def item_mark(name: str, ok: Any, _: Translate) -> str:
    if ok is None:
        return mark("unknown", "?", _("{item}: unknown").format(item=name.upper()))
    if ok:
        return mark("ok", "\u2714", _("{item}: verified").format(item=name.upper()))
    return mark("bad", "\u2716", _("{item}: not verified").format(item=name.upper()))


def status_cell(row: dict[str, Any], _: Translate) -> str:
    kind, symbol = STATUS_MARKS.get(row["status"], ("unknown", "?"))
    parts = [mark(kind, symbol, status_text(row["status"], _))]
    if row["error"]:
        parts.append(f'<p class="error">{escape(row["error"])}</p>')
    if row["fix"]:
        parts.append(f'<p class="fix"><strong>{escape(_("Fix"))}:</strong> {escape(row["fix"])}</p>')
    return "".join(parts)


def domain_cell(row: dict[str, Any], _: Translate) -> str:
    parts = [escape(row["sending_domain"])]
    pending = row["rebind_pending"]
    if pending:
        parts.append('<p class="small">' + escape(_(
            "Rebind pending: bound to {bound}, the inventory asks for {wanted}; run rebind.yml "
            "in the change window.").format(bound=pending.get("bound_domain"),
                                             wanted=pending.get("sending_domain"))) + "</p>")
    elif row["bound_domain"] and row["bound_domain"] != row["sending_domain"]:
        parts.append('<p class="small">' + escape(_("bound: {domain}").format(domain=row["bound_domain"])) + "</p>")
    elif not row["bound_domain"]:
        parts.append('<p class="small">' + escape(_("not bound yet")) + "</p>")
    return "".join(parts)


def verification_cell(row: dict[str, Any], _: Translate) -> str:
    if not row["verification"]:
        return escape(_("not known yet"))
    return '<ul class="plain">' + "".join(f"<li>{item_mark(name, ok, _)}</li>"
                                          for name, ok in row["verification"]) + "</ul>"


def api_users_cell(row: dict[str, Any], _: Translate) -> str:
    if not row["api_users"]:
        return "-"
    items = []
    for user in row["api_users"]:
        probe = user["probe"]
        if not user["key_stored"]:
            status = mark("bad", "\u2716", _("no key stored"))
        elif probe is None:
            status = mark("unknown", "?", _("not probed yet"))
        elif probe.get("authenticated"):
            status = mark("ok", "\u2714", _("key authenticates"))
        else:
            status = mark("bad", "\u2716", _("key refused: {reason}").format(reason=probe.get("reason")))
        items.append(f"<li>{escape(user['name'])} ({escape(user['role'])}): {status}</li>")
    return '<ul class="plain">' + "".join(items) + "</ul>"


def quota_cell(row: dict[str, Any], _: Translate) -> str:
    quota, used = row["quota"], row["quota_used"]
    if quota is None or used is None:
        return "-"
    text = _("{used} of {quota} used today, {remaining} left").format(
        used=used, quota=quota, remaining=row["quota_remaining"])
    return (f'<meter min="0" max="{max(quota, 1)}" value="{min(used, max(quota, 1))}" '
            f'aria-label="{escape(_("Quota used"))}">{escape(text)}</meter>'
            f'<div class="small">{escape(text)}</div>')


def balance_cell(row: dict[str, Any], _: Translate) -> str:
    shown_balance = escape(shown(row["available_balance"]))
    if row["balance_low"]:
        return shown_balance + " " + mark("bad", "\u26A0", _("below the minimum"))
    return shown_balance


def audit_cell(row: dict[str, Any], _: Translate) -> str:
    if row["drift"] is None:
        return escape(_("not audited"))
    not_checked = [_("could not check {probe}: {error}").format(probe=probe, error=error)
                   for probe, error in row["failed_probes"].items()]
    if row["drift"]:
        return mark("bad", "\u2716", _("drift")) + plain_list(row["drift"] + not_checked)
    if not_checked:
        return mark("bad", "\u2716", _("not checked in full")) + plain_list(not_checked)
    return mark("ok", "\u2714", _("no drift"))


def plain_list(items: list[str]) -> str:
    return '<ul class="plain">' + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def shown(value: Any) -> str:
    return "-" if value is None else str(value)
