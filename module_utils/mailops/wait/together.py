"""The body of ``mailops_wait``: every tenant's propagation and verification wait at once, in one
process, instead of each tenant holding a worker for its own (issue 23).

Each round asks DNS once per (nameserver, name, type) that some tenant still waits for (a tenant
asks its first missing record per nameserver and, when that one is served, the rest in the same
round), and SendCloud once per tenant whose next read is due (backing off from
``verify_interval`` to ``MAX_POLL_INTERVAL``); both on small thread pools. Every tenant keeps its
own deadlines: a slow one fails alone, at its own time, with the error its stage's own wait
gives. A line says where the wait stands every ``progress_interval`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible.module_utils.mailops.dns.nameserver import DEFAULT_MAX_INTERVAL, Nameserver
from ansible.module_utils.mailops.dns.propagation import (
    is_served,
    query_served,
    sleep_before_round,
)
from ansible.module_utils.mailops.dns.records import Record
from ansible.module_utils.mailops.errors import MailopsError, ValidationError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.module_glue import (
    REGISTERED_ARG,
    given_or_registered,
    invocation_without,
    sendcloud_client,
)
from ansible.module_utils.mailops.sendcloud.domain import DomainService, DomainState
from ansible.module_utils.mailops.wait.tenant_wait import Answer, QueryKey, TenantWait

WAIT_ARGS: dict[str, dict[str, Any]] = {
    "tenants": {"type": "dict"},
    "registered": REGISTERED_ARG,
    "api_keys": {"type": "dict", "no_log": True, "default": {}},
    "progress_interval": {"type": "float", "default": 30.0},
}
DNS_THREADS = 32      # concurrent DNS queries (one round of 1000 tenants: 1000 probes)
HTTP_THREADS = 16     # concurrent SendCloud reads, one per tenant due
QUERY_TIMEOUT = 5.0
Progress = Callable[[str], None]


def ask(item: tuple[Nameserver, Record]) -> Answer:
    server, record = item
    try:
        return query_served(server, record, QUERY_TIMEOUT), None
    except MailopsError as error:
        return [], error.message


class SharedWait:
    def __init__(self, waits: list[TenantWait], progress: Progress, progress_interval: float,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.waits = waits
        self.progress = progress
        self.progress_interval = progress_interval
        self.clock = clock
        self.sleep = sleep
        self.dns_rounds = 0
        self.last_progress = 0.0
        self.dns_pool = ThreadPoolExecutor(DNS_THREADS, thread_name_prefix="wait-dns")
        self.http_pool = ThreadPoolExecutor(HTTP_THREADS, thread_name_prefix="wait-sendcloud")

    def run(self) -> None:
        try:
            self.say_manual_changes()
            next_dns = self.clock()
            while any(wait.pending for wait in self.waits):
                now = self.clock()
                if now >= next_dns and self.dns_round(now):
                    self.dns_rounds += 1
                    next_dns = now + sleep_before_round(self.dns_rounds, DEFAULT_MAX_INTERVAL,
                                                        DEFAULT_MAX_INTERVAL)
                self.sendcloud_round(self.clock())
                self.say_progress(self.clock())
                pause = self.next_event(next_dns) - self.clock()
                if pause > 0 and any(wait.pending for wait in self.waits):
                    self.sleep(pause)
            self.say_progress(self.clock(), final=True)
        finally:
            self.dns_pool.shutdown(wait=False, cancel_futures=True)
            self.http_pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ DNS
    def dns_round(self, now: float) -> bool:
        """One round for every tenant still waiting for DNS; False when none is."""
        waiting = [wait for wait in self.waits if wait.phase == "dns"]
        if not waiting:
            return False
        # the last round before a tenant's deadline asks every record, for an exact report
        probes = {wait.host: wait.queries(complete=now >= wait.dns_deadline) for wait in waiting}
        answers = self.ask_all(item for asked in probes.values() for item in asked)
        rest = []
        for wait in waiting:
            if probes[wait.host] and all(is_served(record, answers[key][0]) and not answers[key][1]
                                         for key, _server, record in probes[wait.host]):
                rest += [item for item in wait.queries(complete=True) if item[0] not in answers]
        answers.update(self.ask_all(rest))
        for wait in waiting:   # the round's start decides the deadline: it asked every record
            wait.take_answers(answers, now)
        return True

    def ask_all(self, items: Any) -> dict[QueryKey, Answer]:
        unique = {key: (server, record) for key, server, record in items}
        answers = self.dns_pool.map(ask, unique.values())
        return dict(zip(unique, answers, strict=True))

    # ------------------------------------------------------------------ SendCloud
    def sendcloud_round(self, now: float) -> None:
        due = [wait for wait in self.waits if wait.phase == "verify" and wait.next_poll <= now]
        if not due:
            return
        polled = list(self.http_pool.map(poll, due))
        now = self.clock()
        for wait, (state, error) in zip(due, polled, strict=True):
            if error is not None:
                wait.fail(error, now)
            else:
                wait.take_poll(state, now)

    def next_event(self, next_dns: float) -> float:
        """When something is next due: a DNS round, a SendCloud read, a progress line."""
        times = [wait.next_poll for wait in self.waits if wait.phase == "verify"]
        if any(wait.phase == "dns" for wait in self.waits):
            times.append(next_dns)
        times.append(self.last_progress + self.progress_interval)
        return min(times)

    # ------------------------------------------------------------------ what the operator sees
    def say_manual_changes(self) -> None:
        for wait in self.waits:
            if wait.spec.get("change_file") and wait.phase == "dns":
                self.progress(f"waiting: {wait.host} needs a human to apply the DNS change request "
                              f"{wait.spec['change_file']} at the zone's DNS provider")

    def say_progress(self, now: float, final: bool = False) -> None:
        if not final and now - self.last_progress < self.progress_interval:
            return
        self.last_progress = now
        self.progress(progress_line(self.waits, now))


def poll(wait: TenantWait) -> tuple[DomainState | None, MailopsError | None]:
    try:
        return wait.poll(), None
    except MailopsError as error:
        return None, error


def progress_line(waits: list[TenantWait], now: float) -> str:
    """``waiting: 812 verified, 188 waiting (slowest: t0042 — DKIM not served by ns2 yet)``"""
    done = sum(1 for wait in waits if wait.phase == "done")
    failed = [wait for wait in waits if wait.phase == "failed"]
    pending = sorted((wait for wait in waits if wait.pending),
                     key=lambda wait: wait.spec["started_at"])
    line = f"waiting: {done} verified, {len(pending)} waiting"
    if failed:
        line += f", {len(failed)} failed ({', '.join(wait.host for wait in failed[:5])}"
        line += ", ...)" if len(failed) > 5 else ")"
    if pending:
        slowest = pending[0]
        line += (f" (slowest: {slowest.host} — {slowest.waiting_for()}, "
                 f"{now - slowest.spec['started_at']:.0f}s)")
    return line


def tenant_waits(tenants: dict[str, Any], api_keys: dict[str, str], now: float) -> list[TenantWait]:
    """A ``TenantWait`` per tenant that left a wait (``tenants``: each host's registered ``wait``;
    a tenant whose task failed, or that had nothing to wait for, is left out)."""
    waits = []
    for host, spec in sorted(tenants.items()):
        if not isinstance(spec, dict) or not spec or spec.get("failed"):
            continue
        if host not in api_keys:
            raise ValidationError(f"no SendCloud key for tenant {host}",
                                  hint="mailops_wait's action plugin reads sendcloud_api_key from "
                                       "each tenant's variables; run it through the plugin")
        sendcloud = {**spec["sendcloud"], "api_key": api_keys[host]}
        client = sendcloud_client(sendcloud, HttpClient("SendCloud", timeout=sendcloud["timeout"]))
        service = DomainService(client, spec["click_tracking"], spec["verify_layout"])
        waits.append(TenantWait.start(host, spec, service, now))
    return waits


def run_wait(params: dict[str, Any], check_mode: bool,
             progress: Progress | None = None) -> dict[str, Any]:
    """Wait for every tenant at once; per tenant, its outcome (module_utils/mailops/wait/
    outcome.py). Check mode never waits (a plan only reads)."""
    tenants = given_or_registered(params, "tenants")
    lines: list[str] = []
    say = progress or lines.append
    started = time.time()
    waits = [] if check_mode else tenant_waits(tenants, params["api_keys"], started)
    if waits:
        SharedWait(waits, say, params["progress_interval"]).run()
    outcomes = {wait.host: wait.outcome() for wait in waits}
    return {"changed": False, "tenants": outcomes,
            "verified_tenants": sorted(host for host, outcome in outcomes.items() if outcome["ok"]),
            "failed_tenants": sorted(host for host, outcome in outcomes.items() if not outcome["ok"]),
            "elapsed": round(time.time() - started, 3),
            "progress": [] if progress else lines,
            "invocation": invocation_without(params, "tenants", "registered", "api_keys")}
