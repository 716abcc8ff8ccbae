"""Wait until every authoritative nameserver serves every record (finite timeout, per-NS report)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dns.exception
import dns.rcode
import dns.resolver
from ansible.module_utils.mailops.dns.nameserver import DEFAULT_MAX_INTERVAL, DEFAULT_TIMEOUT
from ansible.module_utils.mailops.dns.records import Record
from ansible.module_utils.mailops.dns.resolver import (
    DEFAULT_QUERY_TIMEOUT,
    Nameserver,
    answer_texts,
    query,
)
from ansible.module_utils.mailops.dns.spf import contains_desired, is_spf
from ansible.module_utils.mailops.errors import (
    MailopsError,
    NotFoundError,
    ValidationError,
    WaitTimeoutError,
)

MIN_QUERY_TIMEOUT = 0.5

QueryFunction = Callable[[Nameserver, Record, float], list[str]]


@dataclass
class RecordCheck:
    """One record as one nameserver serves it."""

    record: Record
    expected: str
    served: list[str]
    ok: bool
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.record.name,
            "type": self.record.type,
            "purpose": self.record.purpose,
            "expected": self.expected,
            "served": self.served,
            "ok": self.ok,
            "error": self.error,
        }


@dataclass
class PropagationResult:
    checks: dict[str, list[RecordCheck]] = field(default_factory=dict)
    complete: bool = False
    rounds: int = 0
    elapsed: float = 0.0
    history: list[dict[str, object]] = field(default_factory=list)

    def missing(self) -> list[tuple[str, RecordCheck]]:
        return [
            (ns, check) for ns, checks in self.checks.items() for check in checks if not check.ok
        ]

    def to_dict(self) -> dict[str, object]:
        return {
            "complete": self.complete,
            "rounds": self.rounds,
            "elapsed": round(self.elapsed, 3),
            "nameservers": [
                {
                    "nameserver": ns,
                    "ok": all(check.ok for check in checks),
                    "records": [check.to_dict() for check in checks],
                }
                for ns, checks in self.checks.items()
            ],
            "history": self.history,
        }

    def describe_missing(self) -> str:
        lines = []
        for ns, check in self.missing():
            served = ", ".join(repr(v) for v in check.served) or "nothing"
            if check.error:
                served = f"an error ({check.error})"
            lines.append(
                f"{ns}: {check.record.type} {check.record.name} expected {check.expected!r}, "
                f"serves {served}"
            )
        return "; ".join(lines)


def expected_text(record: Record) -> str:
    if record.type == "MX":
        return f"{record.priority} {record.value}"
    if record.purpose == "spf":
        return f"an SPF record containing: {record.value}"
    return record.value or ""


def is_served(record: Record, served: list[str]) -> bool:
    """TXT compared after joining; MX as "priority target"; CNAME target; SPF contains include."""
    if record.type == "TXT" and record.purpose == "spf":
        return any(
            is_spf(value) and contains_desired(value, record.value or "") for value in served
        )
    if record.type == "MX":
        return f"{record.priority} {record.value}" in served
    return record.value in served


def query_served(server: Nameserver, record: Record, timeout: float) -> list[str]:
    """What ``server`` serves for the record's name and type (empty on NXDOMAIN/NODATA)."""
    response = query(server, record.name + ".", record.type, timeout=timeout)
    rcode = response.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise MailopsError(f"{server.label} answered {dns.rcode.to_text(rcode)}")
    return answer_texts(response, record.name + ".", record.type)


NAMESERVERS_HINT = (
    "give the nameservers option (host[:port]; inventory: dns_nameservers) explicitly"
)


def discover_nameservers(
    zone: str, resolver: dns.resolver.Resolver | None = None
) -> tuple[list[Nameserver], list[str]]:
    """Every A address of every NS host of the zone, through the system resolver, and a warning
    per NS host without one (skipped). No AAAA: IPv6 is not routed from where the modules run."""
    chosen = resolver or dns.resolver.Resolver()
    try:
        ns_answer = chosen.resolve(zone, "NS")
    except dns.exception.DNSException as exc:
        raise NotFoundError(
            f"cannot find the nameservers of zone {zone}: {exc}", hint=NAMESERVERS_HINT
        ) from exc
    servers: list[Nameserver] = []
    unresolved: dict[str, str] = {}
    for ns in sorted({rdata.target.to_text(omit_final_dot=True) for rdata in ns_answer}):
        try:
            addresses = sorted({rdata.to_text() for rdata in chosen.resolve(ns, "A")})
        except dns.exception.DNSException as exc:
            unresolved[ns] = str(exc) or type(exc).__name__
            continue
        servers += [Nameserver(host=ns, port=53, address=address) for address in addresses]
    if not servers:
        raise NotFoundError(
            f"cannot find the nameservers of zone {zone}: no NS host has an A address ("
            + "; ".join(f"{ns}: {reason}" for ns, reason in unresolved.items()) + ")",
            hint=NAMESERVERS_HINT,
        )
    warnings = [
        f"nameserver {ns} of zone {zone} not asked: it has no A address ({reason}); fix its "
        "address record (or the NS record) so that every nameserver is checked"
        for ns, reason in unresolved.items()
    ]
    return servers, warnings


def report_labels(nameservers: list[Nameserver]) -> list[str]:
    """``host[:port]`` per nameserver, with the address added where one host has several."""
    plain = [server.label for server in nameservers]
    return [
        f"{label} ({server.address})" if plain.count(label) > 1 else label
        for label, server in zip(plain, nameservers, strict=True)
    ]


def check_round(
    records: list[Record],
    nameservers: list[Nameserver],
    ask: QueryFunction,
    query_timeout: float = DEFAULT_QUERY_TIMEOUT,
) -> dict[str, list[RecordCheck]]:
    checks: dict[str, list[RecordCheck]] = {}
    for server, label in zip(nameservers, report_labels(nameservers), strict=True):
        row: list[RecordCheck] = []
        for record in records:
            try:
                served = ask(server, record, query_timeout)
                row.append(
                    RecordCheck(record, expected_text(record), served, is_served(record, served))
                )
            except MailopsError as exc:
                row.append(RecordCheck(record, expected_text(record), [], False, error=exc.message))
        checks[label] = row
    return checks


def sleep_before_round(round_number: int, max_interval: float, remaining: float) -> float:
    """min(2 + 0.5·round, max_interval), shortened not to overshoot the deadline."""
    return max(0.0, min(2 + 0.5 * round_number, max_interval, remaining))


def wait_for_records(
    records: list[Record],
    nameservers: list[Nameserver],
    timeout: float = DEFAULT_TIMEOUT,
    max_interval: float = DEFAULT_MAX_INTERVAL,
    max_rounds: int | None = None,
    raise_on_timeout: bool = True,
    ask: QueryFunction = query_served,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> PropagationResult:
    """Poll every nameserver until each serves every record, or the timeout passes.

    Raises WaitTimeoutError listing each nameserver and record not yet right (unless
    ``raise_on_timeout`` is False, as in check mode with ``max_rounds=1``).
    """
    unknown = [record for record in records if record.value is None]
    if unknown:
        raise ValidationError(
            f"cannot wait for {unknown[0].describe()}: its value is not known yet",
            hint="run the wait after the records were written (not in check mode before the domain exists)",
        )
    if not nameservers:
        raise ValidationError("no nameservers to ask", hint="give nameservers or a zone")
    started = clock()
    result = PropagationResult()
    while True:
        remaining = timeout - (clock() - started)
        query_timeout = max(MIN_QUERY_TIMEOUT, min(DEFAULT_QUERY_TIMEOUT, remaining))
        result.checks = check_round(records, nameservers, ask, query_timeout)
        result.rounds += 1
        result.elapsed = clock() - started
        missing = result.missing()
        result.history.append(
            {"round": result.rounds, "elapsed": round(result.elapsed, 3), "missing": len(missing)}
        )
        if not missing:
            result.complete = True
            return result
        remaining = timeout - result.elapsed
        if remaining <= 0 or (max_rounds is not None and result.rounds >= max_rounds):
            break
        sleep(sleep_before_round(result.rounds, max_interval, remaining))
    if raise_on_timeout:
        raise WaitTimeoutError(
            f"records not served by every nameserver after {result.elapsed:.0f}s "
            f"({result.rounds} rounds): {result.describe_missing()}",
            hint="check the records at the DNS provider (or apply the manual change request), "
            "then run again or raise the timeout",
        )
    return result
