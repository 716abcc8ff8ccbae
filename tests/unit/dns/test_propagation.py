"""The propagation wait: per-nameserver report, finite timeout, backoff, injectable clock."""

from __future__ import annotations

import dns.name
import dns.resolver
import pytest
from ansible.module_utils.mailops.dns.propagation import (
    check_round,
    discover_nameservers,
    is_served,
    sleep_before_round,
    wait_for_records,
)
from ansible.module_utils.mailops.dns.records import make_record
from ansible.module_utils.mailops.dns.resolver import Nameserver
from ansible.module_utils.mailops.errors import NotFoundError, ValidationError, WaitTimeoutError

NS1 = Nameserver("ns1.example.net", 53, "192.0.2.1")
NS2 = Nameserver("127.0.0.1", 5354, "127.0.0.1")
DKIM = make_record("s1._domainkey.news.example.com", "TXT", "k=rsa;p=" + "A" * 300, purpose="dkim")
SPF = make_record("news.example.com", "TXT", "v=spf1 include:spf.sendcloud.org ~all", purpose="spf")
MX = make_record("news.example.com", "MX", "mx.sendcloud.net", priority=10, purpose="mx")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def serving(table: dict[tuple[str, str], list[str]]):
    """An ``ask`` function answering from {(nameserver label, record name): served values}."""

    def ask(server: Nameserver, record, timeout: float) -> list[str]:
        return table.get((server.label, record.name + "/" + record.type), [])

    return ask


def test_spf_is_served_when_the_served_record_contains_the_include():
    assert is_served(SPF, ["v=spf1 mx include:spf.sendcloud.org -all", "other"])


def test_mx_is_compared_by_priority_and_target():
    assert is_served(MX, ["10 mx.sendcloud.net"]) and not is_served(MX, ["20 mx.sendcloud.net"])


def test_long_txt_is_compared_after_joining():
    assert is_served(DKIM, [DKIM.value])


def test_wait_completes_when_every_nameserver_serves_every_record():
    clock = FakeClock()
    table = {(ns.label, f"{DKIM.name}/TXT"): [DKIM.value] for ns in (NS1, NS2)}

    result = wait_for_records(
        [DKIM], [NS1, NS2], ask=serving(table), clock=clock, sleep=clock.sleep
    )

    assert result.complete and result.rounds == 1
    assert [entry["nameserver"] for entry in result.to_dict()["nameservers"]] == [
        "ns1.example.net",
        "127.0.0.1:5354",
    ]


def test_wait_keeps_polling_until_the_record_appears():
    clock = FakeClock()
    table: dict = {}

    def ask(server, record, timeout):
        if clock.now >= 5:
            table[(server.label, f"{MX.name}/MX")] = ["10 mx.sendcloud.net"]
        return serving(table)(server, record, timeout)

    result = wait_for_records([MX], [NS1], ask=ask, clock=clock, sleep=clock.sleep)

    assert result.complete and result.rounds == 3
    assert [entry["missing"] for entry in result.history] == [1, 1, 0]


def test_sleep_grows_by_half_a_second_per_round_up_to_the_interval():
    assert [sleep_before_round(n, 10, 999) for n in (1, 2, 16, 40)] == [2.5, 3.0, 10, 10]


def test_sleep_is_shortened_not_to_overshoot_the_deadline():
    assert sleep_before_round(1, 10, 0.7) == 0.7


def test_timeout_names_each_nameserver_and_record_not_yet_right():
    clock = FakeClock()
    table = {
        (NS1.label, f"{MX.name}/MX"): ["10 mx.sendcloud.net"],
        (NS2.label, f"{MX.name}/MX"): ["5 old.example"],
    }

    with pytest.raises(WaitTimeoutError) as caught:
        wait_for_records(
            [MX], [NS1, NS2], timeout=30, ask=serving(table), clock=clock, sleep=clock.sleep
        )

    message = str(caught.value)
    assert "127.0.0.1:5354" in message and "5 old.example" in message
    assert "ns1.example.net:" not in message
    assert clock.now <= 30


def test_check_mode_round_reports_without_failing():
    clock = FakeClock()

    result = wait_for_records(
        [MX],
        [NS1],
        max_rounds=1,
        raise_on_timeout=False,
        ask=serving({}),
        clock=clock,
        sleep=clock.sleep,
    )

    assert result.complete is False and result.rounds == 1 and clock.sleeps == []


def test_a_nameserver_error_is_reported_as_not_served():
    from ansible.module_utils.mailops.errors import TransientError

    def ask(server, record, timeout):
        raise TransientError("DNS query timed out")

    result = wait_for_records([MX], [NS1], max_rounds=1, raise_on_timeout=False, ask=ask)

    assert result.to_dict()["nameservers"][0]["records"][0]["error"] == "DNS query timed out"


def test_unknown_values_cannot_be_waited_for():
    with pytest.raises(ValidationError):
        wait_for_records([make_record(DKIM.name, "TXT", None)], [NS1], ask=serving({}))


class FakeResolver:
    """NS and A answers from a table; a name missing from it has no such record."""

    def __init__(self, ns: list[str], addresses: dict[str, list[str]]) -> None:
        self.ns = ns
        self.addresses = addresses

    def resolve(self, name: str, rdtype: str):
        if rdtype == "NS":
            return [type("NS", (), {"target": dns.name.from_text(host)})() for host in self.ns]
        if name not in self.addresses:
            raise dns.resolver.NoAnswer()
        return [type("A", (), {"to_text": lambda self, a=a: a})() for a in self.addresses[name]]


def test_every_a_address_of_every_ns_host_is_asked():
    resolver = FakeResolver(["ns2.example.net.", "ns1.example.net."],
                            {"ns1.example.net": ["192.0.2.2", "192.0.2.1"],
                             "ns2.example.net": ["198.51.100.1"]})

    servers, warnings = discover_nameservers("example.com", resolver)

    assert [(s.host, s.address) for s in servers] == [
        ("ns1.example.net", "192.0.2.1"), ("ns1.example.net", "192.0.2.2"),
        ("ns2.example.net", "198.51.100.1")]
    assert warnings == []


def test_each_address_of_one_host_is_reported_apart():
    servers = [Nameserver("ns1.example.net", 53, "192.0.2.1"),
               Nameserver("ns1.example.net", 53, "192.0.2.2"), NS2]

    checks = check_round([DKIM], servers, serving({}))

    assert list(checks) == ["ns1.example.net (192.0.2.1)", "ns1.example.net (192.0.2.2)",
                            "127.0.0.1:5354"]


def test_an_ns_host_without_address_is_skipped_with_a_warning_naming_it():
    resolver = FakeResolver(["ns1.example.net.", "ns-gone.example.net."],
                            {"ns1.example.net": ["192.0.2.1"]})

    servers, warnings = discover_nameservers("example.com", resolver)

    assert [s.address for s in servers] == ["192.0.2.1"]
    assert len(warnings) == 1 and "ns-gone.example.net" in warnings[0]
    assert "example.com" in warnings[0]


def test_no_ns_host_with_an_address_is_an_error_naming_them():
    resolver = FakeResolver(["ns1.example.net.", "ns2.example.net."], {})

    with pytest.raises(NotFoundError) as caught:
        discover_nameservers("example.com", resolver)

    assert "ns1.example.net" in str(caught.value) and "ns2.example.net" in str(caught.value)
    assert "dns_nameservers" in str(caught.value)
