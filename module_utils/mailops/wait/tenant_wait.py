"""One tenant inside the shared wait: the records it waits for on each nameserver, then SendCloud's
verification, each with the tenant's own deadline. ``together.py`` asks DNS and SendCloud for all
tenants at once and hands each tenant what it asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.mailops.dns.nameserver import Nameserver
from ansible.module_utils.mailops.dns.propagation import (
    PropagationResult,
    RecordCheck,
    expected_text,
    is_served,
    report_labels,
)
from ansible.module_utils.mailops.dns.records import Record, record_from_dict
from ansible.module_utils.mailops.errors import MailopsError, ValidationError, WaitTimeoutError
from ansible.module_utils.mailops.sendcloud.domain import DomainService, DomainState
from ansible.module_utils.mailops.wait.outcome import error_data
from ansible.module_utils.mailops.wait.spec import spec_nameservers

# The longest pause between two SendCloud reads of one tenant (the stage's own wait: 30 s).
# SendCloud verifies on its own schedule after DNS serves the records; a shorter cap finds it
# sooner, and a read is one cheap call per tenant.
MAX_POLL_INTERVAL = 15.0
# (nameserver address, port, record name, record type): one query answers every tenant asking
QueryKey = tuple[str, int, str, str]
Answer = tuple[list[str], str | None]   # the values served, or the query's error


def query_key(server: Nameserver, record: Record) -> QueryKey:
    return (server.address or server.host, server.port, record.name, record.type)


@dataclass
class TenantWait:
    host: str
    spec: dict[str, Any]
    service: DomainService
    records: list[Record] = field(default_factory=list)
    nameservers: list[Nameserver] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    phase: str = "dns"             # dns -> verify -> done, or failed
    propagation: PropagationResult = field(default_factory=PropagationResult)
    propagation_result: dict[str, Any] | None = None
    verify_deadline: float = 0.0
    next_poll: float = 0.0
    polls: int = 0
    last_state: DomainState | None = None
    error: dict[str, Any] | None = None
    finished_at: float = 0.0

    @classmethod
    def start(cls, host: str, spec: dict[str, Any], service: DomainService, now: float) -> TenantWait:
        wait = cls(host, spec, service)
        wait.records = [record_from_dict(entry, spec["zone"], 0) for entry in spec["records"]]
        wait.nameservers = spec_nameservers(spec)
        wait.labels = report_labels(wait.nameservers)
        if spec["propagated"]:
            wait.dns_done(now)
        return wait

    @property
    def pending(self) -> bool:
        return self.phase in ("dns", "verify")

    @property
    def dns_deadline(self) -> float:
        return self.spec["started_at"] + self.spec["propagation_timeout"]

    # ------------------------------------------------------------------ DNS
    def queries(self, complete: bool) -> list[tuple[QueryKey, Nameserver, Record]]:
        """What to ask this round: per nameserver, the records not yet served right, in order,
        up to the first one (records written together appear together: asking the others while
        the first is missing would only multiply the queries); ``complete``: all of them."""
        asked = []
        served = {(check.record.name, check.record.type, label)
                  for label, checks in self.propagation.checks.items() for check in checks
                  if check.ok}
        for server, label in zip(self.nameservers, self.labels, strict=True):
            for record in self.records:
                if (record.name, record.type, label) in served:
                    continue
                asked.append((query_key(server, record), server, record))
                if not complete:
                    break
        return asked

    def take_answers(self, answers: dict[QueryKey, Answer], now: float) -> None:
        """This round's answers; every record checked once more is reported as today's wait
        reports it (``PropagationResult``)."""
        result = self.propagation
        for server, label in zip(self.nameservers, self.labels, strict=True):
            previous = {(c.record.name, c.record.type): c for c in result.checks.get(label, [])}
            row = []
            for record in self.records:
                answer = answers.get(query_key(server, record))
                known = previous.get((record.name, record.type))
                if answer is None:       # not asked this round: as last seen
                    row.append(known or RecordCheck(record, expected_text(record), [], False))
                    continue
                served, error = answer
                row.append(RecordCheck(record, expected_text(record), served,
                                       error is None and is_served(record, served), error))
            result.checks[label] = row
        result.rounds += 1
        result.elapsed = now - self.spec["started_at"]
        missing = result.missing()
        result.history.append({"round": result.rounds, "elapsed": round(result.elapsed, 3),
                               "missing": len(missing)})
        if not missing and len(result.checks) == len(self.labels):
            result.complete = True
            self.dns_done(now)
        elif now >= self.dns_deadline:
            self.dns_timed_out()

    def dns_done(self, now: float) -> None:
        if self.propagation.complete:
            self.propagation_result = {"changed": False, **self.propagation.to_dict()}
        if not self.spec["verify"]:
            self.finish("done", now)
            return
        self.phase = "verify"
        self.verify_deadline = now + self.spec["verify_timeout"]
        self.next_poll = now

    def dns_timed_out(self) -> None:
        result = self.propagation
        hint = ("check the records at the DNS provider (or apply the manual change request), "
                "then run again or raise the timeout")
        if self.spec.get("change_file"):
            hint = (f"apply the change request {self.spec['change_file']} at the zone's DNS "
                    "provider, then run again")
        self.fail(WaitTimeoutError(
            f"records not served by every nameserver after {result.elapsed:.0f}s "
            f"({result.rounds} rounds): {result.describe_missing()}", hint=hint),
            self.spec["started_at"] + result.elapsed)

    # ------------------------------------------------------------------ SendCloud
    def poll(self) -> DomainState | None:
        """One read of the domain at SendCloud (called from a pool thread)."""
        return self.service.read(self.spec["domain"])

    def take_poll(self, state: DomainState | None, now: float) -> None:
        self.polls += 1
        if state is None:
            self.fail(ValidationError(
                f"sending domain {self.spec['domain']} does not exist at SendCloud",
                hint="run the sendcloud_domain step without check mode first"), now)
            return
        self.last_state = state
        if state.verified_except(self.spec["not_awaited"]):
            self.finish("done", now)
            return
        remaining = self.verify_deadline - now
        if remaining <= 0:
            self.verify_timed_out(now)
            return
        interval = self.spec["verify_interval"] * 1.5 ** min(self.polls - 1, 6)
        self.next_poll = now + min(interval, MAX_POLL_INTERVAL, remaining)

    def verify_timed_out(self, now: float) -> None:
        from ansible.module_utils.mailops.sendcloud.diagnose import explain_unverified
        state = self.last_state
        failing = [p for p, ok in (state.items if state else {}).items()
                   if not ok and p not in self.spec["not_awaited"]]
        message = (f"SendCloud has not verified {self.spec['domain']} after "
                   f"{self.spec['verify_timeout']:.0f}s ({self.polls} checks): failing items: "
                   f"{', '.join(failing)}")
        self.fail(WaitTimeoutError(
            message + ". " + explain_unverified(state, self.spec["nameserver_labels"])), now)

    # ------------------------------------------------------------------ the end
    def fail(self, error: MailopsError, now: float) -> None:
        self.error = error_data(error)
        self.finish("failed", now)

    def finish(self, phase: str, now: float) -> None:
        self.phase = phase
        self.finished_at = now

    def outcome(self) -> dict[str, Any]:
        """What the tenant's finish pass reads (module_utils/mailops/wait/outcome.py)."""
        verified = self.phase == "done" and self.spec["verify"]
        return {
            "ok": self.phase == "done",
            "propagation": self.propagation_result,
            "verification": {"polls": self.polls} if verified else None,
            "domain": self.last_state.to_result() if verified and self.last_state else None,
            "error": self.error,
            "seconds": round(max(0.0, self.finished_at - self.spec["started_at"]), 3),
        }

    def waiting_for(self) -> str:
        """Why this tenant is still waiting, for the progress line."""
        if self.phase == "dns":
            missing = self.propagation.missing()
            if not missing:
                return "DNS not asked yet"
            label, check = missing[0]
            what = (check.record.purpose or check.record.type).upper()
            return f"{what} not served by {label} yet"
        if self.last_state is None:
            return "SendCloud not asked yet"
        failing = [p.upper() for p, ok in self.last_state.items.items()
                   if not ok and p not in self.spec["not_awaited"]]
        return f"SendCloud has not verified {', '.join(failing)} yet"
