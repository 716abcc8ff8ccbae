"""Short messages to the ops team's chat or mail, sent with apprise (DingTalk with its signature,
WeCom and Feishu bots, Slack, e-mail, generic JSON webhooks: whatever apprise URL the inventory
names). A target that fails is a warning, never an error: the run's outcome is in its reports.

Targets are apprise URLs, which hold tokens: they are never returned, logged or put in a
warning. A failing target is named by its position and its scheme only (``target 2 (dingtalk)``)."""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

EVENTS = ("apply", "audit", "rebind_window_start", "rebind_window_end", "rebind_failed")
MAX_LISTED = 10   # tenants named in one message; the report has the rest

Translate = Callable[[str], str]


def _english(message: str) -> str:
    return message


def apply_message(applied: dict[str, Any], report: str, _: Translate) -> tuple[str, list[str]]:
    changed = sorted(set(applied.get("changed_tenants") or []) - set(applied.get("failed") or {}))
    failed = applied.get("failed") or {}
    title = _("mailops apply: {changed} tenant(s) changed, {failed} failed").format(
        changed=len(changed), failed=len(failed))
    lines = [_("changed: {tenant} ({counts})").format(tenant=tenant, counts=counts_text(
        (applied.get("tenants") or {}).get(tenant, {}).get("counts") or {}, _))
        for tenant in changed[:MAX_LISTED]]
    lines += [_("failed: {tenant}: {error}").format(tenant=tenant, error=error)
              for tenant, error in sorted(failed.items())[:MAX_LISTED]]
    lines += more(len(changed) + len(failed), 2 * MAX_LISTED, _)
    return title, lines + [_("report: {report}").format(report=report)]


def counts_text(counts: dict[str, int], _: Translate) -> str:
    names = {"create": _("{n} created"), "update": _("{n} updated"), "delete": _("{n} deleted"),
             "recreate": _("{n} recreated")}
    shown = [names[action].format(n=n) for action, n in sorted(counts.items()) if n and action in names]
    return ", ".join(shown) or _("no change")


def audit_message(audit: dict[str, Any], report: str, _: Translate) -> tuple[str, list[str]]:
    drifted = audit.get("drifted_tenants") or []
    failed = audit.get("failed_tenants") or []
    tenants = audit.get("tenants") or {}
    title = _("mailops audit: drift in {drifted} tenant(s), {failed} not checked in full").format(
        drifted=len(drifted), failed=len(failed))
    lines = [_("drift: {tenant}: {first} ({count} finding(s))").format(
        tenant=tenant, first=tenants[tenant]["drift"][0], count=len(tenants[tenant]["drift"]))
        for tenant in drifted[:MAX_LISTED] if tenants.get(tenant, {}).get("drift")]
    lines += [_("not checked in full: {tenant}").format(tenant=tenant) for tenant in failed[:MAX_LISTED]]
    lines += more(len(drifted) + len(failed), 2 * MAX_LISTED, _)
    return title, lines + [_("report: {report}").format(report=report)]


def rebind_message(event: str, rebind: dict[str, Any], report: str, _: Translate) -> tuple[str, list[str]]:
    fields = {"tenant": rebind.get("tenant"), "ticket": rebind.get("ticket") or "-",
              "old": rebind.get("old_domain"), "new": rebind.get("new_domain")}
    if event == "rebind_window_start":
        title = _("mailops rebind started: {tenant} ({ticket})").format(**fields)
        lines = [_("moving {old} to {new}; the old domain sends until the switch").format(**fields)]
    elif event == "rebind_window_end":
        title = _("mailops rebind done: {tenant} ({ticket})").format(**fields)
        lines = [_("{new} sends now in place of {old}").format(**fields)]
    else:
        title = _("mailops rebind FAILED: {tenant} ({ticket})").format(**fields)
        lines = [_("moving {old} to {new} stopped: {error}").format(error=rebind.get("error") or "-", **fields),
                 _("the run resumes where it stopped once the cause is fixed")]
    return title, lines + [_("report: {report}").format(report=report)]


def more(count: int, listed: int, _: Translate) -> list[str]:
    return [_("and {n} more").format(n=count - listed)] if count > listed else []


def message(event: str, record: dict[str, Any], report: str, _: Translate = _english) -> tuple[str, str]:
    if event == "apply":
        title, lines = apply_message(record, report, _)
    elif event == "audit":
        title, lines = audit_message(record, report, _)
    else:
        title, lines = rebind_message(event, record, report, _)
    return title, "\n".join(lines)


def scheme_of(url: str) -> str:
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    return match.group(1).lower() if match else "?"


def sign_once(plugin: Any) -> None:
    """apprise 2.3.0's DingTalk plugin URL-encodes its signature and then gives it to requests as
    a query parameter, which encodes it again: DingTalk would read '%2F' where the Base64 has '/'
    and refuse the message (errcode 310000, sign not match). Its signature is handed over decoded,
    so it is encoded once on the wire, as DingTalk's documentation asks (if apprise stops
    encoding it, decoding Base64 changes nothing). tests/unit/mailops/test_notify.py checks it."""
    signature_of = plugin.get_signature

    def get_signature() -> tuple[str, str]:
        timestamp, signature = signature_of()
        return timestamp, urllib.parse.unquote(signature)

    plugin.get_signature = get_signature


def send(targets: list[str], title: str, body: str) -> tuple[int, list[str]]:
    """Each target on its own, so one failing does not hide the others: (sent, warnings).
    apprise's and urllib3's log lines can hold a target's token (in its URL), so they are
    silenced while sending, not relayed."""
    import apprise

    with silenced("apprise", "urllib3"):
        return send_each(apprise, targets, title, body)


@contextmanager
def silenced(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    saved = [(log.handlers[:], log.propagate) for log in loggers]
    for log in loggers:
        log.handlers, log.propagate = [logging.NullHandler()], False
    try:
        yield
    finally:
        for log, (handlers, propagate) in zip(loggers, saved, strict=True):
            log.handlers, log.propagate = handlers, propagate


def send_each(apprise: Any, targets: list[str], title: str, body: str) -> tuple[int, list[str]]:
    sent, warnings = 0, []
    for position, url in enumerate(targets, start=1):
        name = f"notification target {position} ({scheme_of(url)})"
        notifier = apprise.Apprise()
        if not notifier.add(url):
            warnings.append(f"{name} is not a URL apprise understands; check the inventory's "
                            "mailops_notify_targets")
            continue
        for plugin in notifier:
            if hasattr(plugin, "get_signature"):   # DingTalk's, when its robot signs
                sign_once(plugin)
        try:
            delivered = notifier.notify(title=title, body=body)
        except Exception as error:   # noqa: BLE001 - a notification never fails the run
            warnings.append(f"{name} failed ({type(error).__name__})")
            continue
        if delivered:
            sent += 1
        else:
            warnings.append(f"{name} was not delivered (the service refused it or did not "
                            "answer); the run's outcome is in its reports")
    return sent, warnings
