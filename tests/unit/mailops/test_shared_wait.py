"""The shared wait (module_utils/mailops/wait/): many tenants waited for in one loop, on a clock
the test moves. DNS is a table of what each nameserver serves from when; SendCloud a fake domain
service that verifies from a given time."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from ansible.module_utils.mailops.dns.nameserver import Nameserver
from ansible.module_utils.mailops.sendcloud.domain import DomainState
from ansible.module_utils.mailops.wait import together
from ansible.module_utils.mailops.wait.tenant_wait import TenantWait

NS = {"host": "127.0.0.1", "port": 5353, "address": "127.0.0.1"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def records(tenant: str) -> list[dict[str, Any]]:
    domain = f"news.{tenant}.example"
    return [
        {"purpose": "spf", "type": "TXT", "name": domain, "value": "v=spf1 include:spf.sendcloud.org ~all",
         "priority": None},
        {"purpose": "dkim", "type": "TXT", "name": f"s._domainkey.{domain}", "value": "k=rsa; p=KEY",
         "priority": None},
        {"purpose": "mx", "type": "MX", "name": domain, "value": "mx.sendcloud.org", "priority": 10},
    ]


class Dns:
    """What the nameserver serves: each tenant's records from its time on."""

    def __init__(self, clock: Clock, served_from: dict[str, float]) -> None:
        self.clock = clock
        self.served_from = served_from
        self.asked: Counter[tuple[str, str]] = Counter()

    def __call__(self, server: Nameserver, record: Any, timeout: float) -> list[str]:
        self.asked[(record.name, record.type)] += 1
        tenant = record.name.split(".")[-2]
        if self.clock() < self.served_from[tenant]:
            return []
        return [f"{record.priority} {record.value}" if record.type == "MX" else record.value]


class Domains:
    """SendCloud: the tenant's domain verified from its time on."""

    def __init__(self, clock: Clock, tenant: str, verified_from: float) -> None:
        self.clock, self.tenant, self.verified_from = clock, tenant, verified_from
        self.reads = 0

    def read(self, name: str) -> DomainState:
        self.reads += 1
        ok = self.clock() >= self.verified_from
        items = {"spf": ok, "dkim": ok, "mx": ok}
        return DomainState(name, True, False, "domestic", 7 if ok else 0, records(self.tenant), items)


def spec(tenant: str, started: float, **changes: Any) -> dict[str, Any]:
    return {"domain": f"news.{tenant}.example", "records": records(tenant), "zone": f"{tenant}.example",
            "nameservers": [NS], "not_awaited": [], "change_file": None, "started_at": started, "propagated": False,
            "propagation_timeout": 600, "verify": True, "verify_timeout": 900,
            "verify_interval": 10, "verify_layout": "domestic", "click_tracking": False,
            "nameserver_labels": ["127.0.0.1:5353"],
            "sendcloud": {"edition": "domestic", "api_base": None, "api_user": "u", "timeout": 15},
            **changes}


def run(clock: Clock, waits: list[TenantWait], progress_interval: float = 30) -> list[str]:
    lines: list[str] = []
    together.SharedWait(waits, lines.append, progress_interval, clock, clock.sleep).run()
    return lines


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_tenants_wait_together_about_one_delay(monkeypatch, clock):
    """30 tenants whose records are served 30 s after the start and verified 60 s after that
    are all done within about 90 s, the time of one."""
    tenants = [f"t{i:02d}" for i in range(30)]
    dns = Dns(clock, {t: clock.now + 30 for t in tenants})
    monkeypatch.setattr(together, "query_served", dns)
    waits = [TenantWait.start(t, spec(t, clock.now), Domains(clock, t, clock.now + 90), clock.now)
             for t in tenants]
    run(clock, waits)
    assert all(wait.phase == "done" for wait in waits)
    assert clock.now - 1000 <= 90 + 15         # found within one read interval of the lag
    outcome = waits[0].outcome()
    assert outcome["ok"] and outcome["propagation"]["complete"]
    assert outcome["verification"]["polls"] >= 2


def test_a_tenant_asks_its_first_record_until_it_is_served_then_the_rest(monkeypatch, clock):
    dns = Dns(clock, {"acme": clock.now + 20})
    monkeypatch.setattr(together, "query_served", dns)
    wait = TenantWait.start("acme", spec("acme", clock.now), Domains(clock, "acme", 0), clock.now)
    run(clock, [wait])
    spf, dkim, mx = (("news.acme.example", "TXT"), ("s._domainkey.news.acme.example", "TXT"),
                     ("news.acme.example", "MX"))
    rounds = wait.propagation.rounds
    assert dns.asked[spf] == rounds          # the probe, every round
    assert dns.asked[dkim] == dns.asked[mx] == 1   # the rest once, in the round it was served
    assert wait.propagation.complete


def test_one_tenant_timing_out_does_not_hold_the_others(monkeypatch, clock):
    dns = Dns(clock, {"fast": clock.now + 5, "slow": clock.now + 10_000})
    monkeypatch.setattr(together, "query_served", dns)
    fast = TenantWait.start("fast", spec("fast", clock.now), Domains(clock, "fast", 0), clock.now)
    slow = TenantWait.start("slow", spec("slow", clock.now, propagation_timeout=60),
                            Domains(clock, "slow", 0), clock.now)
    run(clock, [fast, slow])
    assert fast.phase == "done" and fast.finished_at - 1000 < 15
    assert slow.phase == "failed"
    assert 60 <= slow.finished_at - 1000 <= 75
    message = slow.outcome()["error"]["message"]
    assert message.startswith("records not served by every nameserver after ")
    # the last round asked every record: each is named with what the nameserver serves
    for name in ("TXT news.slow.example", "TXT s._domainkey.news.slow.example", "MX news.slow.example"):
        assert f"127.0.0.1:5353: {name} expected" in message
    assert "serves nothing" in message


def test_verification_timeout_names_the_failing_items(monkeypatch, clock):
    dns = Dns(clock, {"acme": clock.now})
    monkeypatch.setattr(together, "query_served", dns)
    monkeypatch.setattr("ansible.module_utils.mailops.sendcloud.diagnose.query_served", dns)
    wait = TenantWait.start("acme", spec("acme", clock.now, verify_timeout=40),
                            Domains(clock, "acme", clock.now + 10_000), clock.now)
    run(clock, [wait])
    error = wait.outcome()["error"]
    assert error["type"] == "WaitTimeoutError"
    assert error["message"].startswith("SendCloud has not verified news.acme.example after 40s (")
    assert "failing items: spf, dkim, mx" in error["message"]
    assert "DNS serves 127.0.0.1:5353: ['v=spf1 include:spf.sendcloud.org ~all']" in error["message"]


def test_progress_lines_name_the_slowest_tenant_and_why(monkeypatch, clock):
    dns = Dns(clock, {"early": clock.now + 5, "late": clock.now + 50})
    monkeypatch.setattr(together, "query_served", dns)
    waits = [TenantWait.start(t, spec(t, clock.now - (5 if t == "late" else 0)),
                              Domains(clock, t, clock.now + 70), clock.now) for t in ("early", "late")]
    lines = run(clock, waits, progress_interval=20)
    assert lines[0] == "waiting: 0 verified, 2 waiting (slowest: late — SPF not served by 127.0.0.1:5353 yet, 5s)"
    assert any("slowest: late — SendCloud has not verified SPF, DKIM, MX yet" in line for line in lines)
    assert lines[-1] == "waiting: 2 verified, 0 waiting"
    assert len(lines) <= 2 + (clock.now - 1000) / 20


def test_a_manual_tenant_s_change_request_is_named_at_once(monkeypatch, clock):
    dns = Dns(clock, {"acme": clock.now + 5})
    monkeypatch.setattr(together, "query_served", dns)
    wait = TenantWait.start("acme", spec("acme", clock.now, change_file="/r/changes/acme.example.md"),
                            Domains(clock, "acme", 0), clock.now)
    lines = run(clock, [wait])
    assert lines[0] == ("waiting: acme needs a human to apply the DNS change request "
                        "/r/changes/acme.example.md at the zone's DNS provider")


def test_check_mode_never_waits():
    assert together.run_wait({"tenants": {"acme": spec("acme", 0)}, "registered": None,
                              "api_keys": {}, "progress_interval": 30}, True)["tenants"] == {}
