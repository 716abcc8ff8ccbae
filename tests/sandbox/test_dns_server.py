"""The authoritative DNS server: what the DNSPod API wrote is what DNS serves."""

from __future__ import annotations

import uuid
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

ACME = "acme.example"


def ask(
    sandbox: Any, name: str, rdtype: str, tcp: bool = False, edns: bool = True
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else None)
    if tcp:
        return dns.query.tcp(query, sandbox.dns_host, port=sandbox.dns_port, timeout=3)
    return dns.query.udp(
        query, sandbox.dns_host, port=sandbox.dns_port, timeout=3, ignore_trailing=True
    )


def create_txt(sandbox: Any, zone: str, name: str, value: str) -> int:
    return sandbox.dnspod_call(
        zone,
        "CreateRecord",
        {
            "Domain": zone,
            "SubDomain": name,
            "RecordType": "TXT",
            "RecordLine": "默认",
            "Value": value,
            "TTL": 600,
        },
    )["RecordId"]


def label(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_long_txt_is_split_into_character_strings(sandbox: Any) -> None:
    name = label("dkim") + "._domainkey"
    value = "v=DKIM1; k=rsa; p=" + "A" * 600
    create_txt(sandbox, ACME, name, value)
    for tcp in (False, True):
        answer = ask(sandbox, f"{name}.{ACME}", "TXT", tcp=tcp)
        assert answer.rcode() == dns.rcode.NOERROR and answer.flags & dns.flags.AA
        (rdata,) = answer.answer[0]
        assert [len(s) for s in rdata.strings] == [255, 255, len(value) - 510]
        assert b"".join(rdata.strings).decode() == value


def test_presplit_value_stays_split(sandbox: Any) -> None:
    name = label("split")
    create_txt(sandbox, ACME, name, '"v=spf1 include:a.example" " ~all"')
    (rdata,) = ask(sandbox, f"{name}.{ACME}", "TXT").answer[0]
    assert rdata.strings == (b"v=spf1 include:a.example", b" ~all")


def test_truncation_without_edns(sandbox: Any) -> None:
    name = label("big")
    create_txt(sandbox, ACME, name, "x" * 700)
    small = ask(sandbox, f"{name}.{ACME}", "TXT", edns=False)
    assert small.flags & dns.flags.TC
    assert not (ask(sandbox, f"{name}.{ACME}", "TXT", edns=True).flags & dns.flags.TC)


def test_nodata_nxdomain_refused(sandbox: Any) -> None:
    nodata = ask(sandbox, f"www.{ACME}", "TXT")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA
    nxdomain = ask(sandbox, f"{label('nope')}.{ACME}", "A")
    assert (
        nxdomain.rcode() == dns.rcode.NXDOMAIN and nxdomain.authority[0].rdtype == dns.rdatatype.SOA
    )
    name = label("sel") + "._domainkey"
    create_txt(sandbox, ACME, name, "v=DKIM1; p=abc")
    empty_non_terminal = ask(sandbox, f"{name.split('.', 1)[1]}.{ACME}", "TXT")
    assert empty_non_terminal.rcode() == dns.rcode.NOERROR
    refused = ask(sandbox, "www.not-hosted.test", "A")
    assert refused.rcode() == dns.rcode.REFUSED and not refused.flags & dns.flags.AA


def test_apex_soa_ns_mx_and_cname(sandbox: Any) -> None:
    soa = ask(sandbox, ACME, "SOA", tcp=True)
    assert soa.answer[0][0].mname.to_text() == "ns1.dnspod.net."
    ns = ask(sandbox, ACME, "NS")
    assert sorted(r.target.to_text() for r in ns.answer[0]) == [
        "ns1.dnspod.net.",
        "ns2.dnspod.net.",
    ]
    mx = ask(sandbox, ACME, "MX")
    assert [(r.preference, r.exchange.to_text()) for r in mx.answer[0]] == [
        (10, "mail.acme.example.")
    ]
    alias = label("alias")
    sandbox.dnspod_call(
        ACME,
        "CreateRecord",
        {
            "Domain": ACME,
            "SubDomain": alias,
            "RecordType": "CNAME",
            "RecordLine": "默认",
            "Value": "www.acme.example.",
            "TTL": 600,
        },
    )
    answer = ask(sandbox, f"{alias}.{ACME}", "A")
    assert answer.answer[0].rdtype == dns.rdatatype.CNAME
    assert answer.answer[1][0].address == "192.0.2.11"  # chased inside the zone


def test_serial_bumps_and_delete_disappears(sandbox: Any) -> None:
    serial_before = ask(sandbox, ACME, "SOA").answer[0][0].serial
    name = label("gone")
    record_id = create_txt(sandbox, ACME, name, "soon gone")
    assert ask(sandbox, f"{name}.{ACME}", "TXT").answer[0][0].strings == (b"soon gone",)
    sandbox.dnspod_call(ACME, "DeleteRecord", {"Domain": ACME, "RecordId": record_id})
    assert ask(sandbox, f"{name}.{ACME}", "TXT").rcode() == dns.rcode.NXDOMAIN
    assert ask(sandbox, ACME, "SOA").answer[0][0].serial > serial_before


@pytest.mark.parametrize("tcp", [False, True])
def test_seeded_records_served(sandbox: Any, tcp: bool) -> None:
    answer = ask(sandbox, f"www.{ACME}", "A", tcp=tcp)
    assert answer.answer[0][0].address == "192.0.2.11"
