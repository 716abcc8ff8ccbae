"""Say why SendCloud has not verified a domain: per failing item, the record it wants and what
each nameserver actually serves at that name."""

from __future__ import annotations

from ansible.module_utils.mailops.dns.propagation import query_served
from ansible.module_utils.mailops.dns.records import Record
from ansible.module_utils.mailops.dns.resolver import parse_nameserver
from ansible.module_utils.mailops.errors import MailopsError, WaitTimeoutError
from ansible.module_utils.mailops.sendcloud.domain import DomainService, DomainState


def explain_unverified(state: DomainState | None, nameservers: list[str]) -> str:
    if state is None:
        return "The domain no longer exists at SendCloud."
    lines = []
    for wanted in state.records:
        if state.items.get(wanted["purpose"], True):
            continue
        record = Record(wanted["name"], wanted["type"], wanted["value"],
                        priority=wanted["priority"], purpose=wanted["purpose"])
        shown = f"{record.priority} {record.value}" if record.type == "MX" else record.value
        line = f"{record.purpose}: SendCloud wants {record.type} {record.name} = '{shown}'"
        if nameservers:
            line += "; DNS serves " + "; ".join(
                f"{ns}: {_served(ns, record)}" for ns in nameservers)
        lines.append(line)
    return " | ".join(lines) or "Every item verified meanwhile."


def _served(nameserver: str, record: Record) -> str:
    try:
        values = query_served(parse_nameserver(nameserver), record, timeout=5.0)
    except MailopsError as error:
        return f"no answer ({error.message})"
    return repr(values) if values else "nothing"


def wait_verified_explained(service: DomainService, name: str, timeout: float, interval: float,
                            nameservers: list[str], not_awaited: list[str] = (),
                            ) -> tuple[DomainState, int]:
    """``DomainService.wait_verified``; on timeout the error also says what DNS serves for
    each failing item."""
    try:
        return service.wait_verified(name, timeout, interval, not_awaited=not_awaited)
    except WaitTimeoutError as error:
        last = service.read(name)
        raise WaitTimeoutError(error.message + ". " + explain_unverified(last, nameservers)) from None
