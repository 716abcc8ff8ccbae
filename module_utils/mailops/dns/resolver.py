"""Direct DNS queries to one nameserver ("host[:port]"), UDP with TCP fallback, no recursion."""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
from ansible.module_utils.mailops.dns.nameserver import (  # noqa: F401 (re-exported)
    DEFAULT_QUERY_TIMEOUT,
    Nameserver,
    parse_nameserver,
    resolve_address,
)
from ansible.module_utils.mailops.dns.records import ExistingRecord, Record, make_record
from ansible.module_utils.mailops.dns.txt import join_txt
from ansible.module_utils.mailops.errors import TransientError


def query(
    server: Nameserver,
    name: str,
    rdtype: str,
    timeout: float = DEFAULT_QUERY_TIMEOUT,
    tcp: bool = False,
) -> dns.message.Message:
    """Ask ``server`` directly (RD off). UDP, retried over TCP when truncated or when the UDP
    answer never came (a lost datagram is retransmitted, as resolvers do, over TCP)."""
    request = dns.message.make_query(dns.name.from_text(name), rdtype)
    request.flags &= ~dns.flags.RD
    address = server.address or resolve_address(server.host)
    try:
        if tcp:
            return dns.query.tcp(request, address, timeout=timeout, port=server.port)
        try:
            response, _ = dns.query.udp_with_fallback(
                request, address, timeout=timeout, port=server.port
            )
        except dns.exception.Timeout:
            response = dns.query.tcp(request, address, timeout=timeout, port=server.port)
        return response
    except (dns.exception.DNSException, OSError) as exc:
        raise TransientError(
            f"DNS query {name} {rdtype} to {server.label} failed: {exc or type(exc).__name__}",
            hint="check that the nameserver is reachable on that port",
        ) from exc


def answer_texts(response: dns.message.Message, name: str, rdtype: str) -> list[str]:
    """The records of type ``rdtype`` at exactly ``name`` in the answer, in logical form."""
    wanted_name = dns.name.from_text(name)
    wanted_type = dns.rdatatype.from_text(rdtype)
    values: list[str] = []
    for rrset in response.answer:
        if rrset.name != wanted_name or rrset.rdtype != wanted_type:
            continue
        for rdata in rrset:
            values.append(rdata_to_logical(rdtype, rdata))
    return values


def rdata_to_logical(rdtype: str, rdata: object) -> str:
    """TXT → joined strings; MX → ``"prio target"``; CNAME → target (no dot, lower-case)."""
    if rdtype == "TXT":
        return join_txt(rdata.strings)  # type: ignore[attr-defined]
    if rdtype == "MX":
        exchange = rdata.exchange.to_text(omit_final_dot=True).lower()  # type: ignore[attr-defined]
        return f"{rdata.preference} {exchange}"  # type: ignore[attr-defined]
    return rdata.target.to_text(omit_final_dot=True).lower()  # type: ignore[attr-defined]


def read_records(
    server: Nameserver, names: set[str], types: tuple[str, ...] = ("TXT", "MX", "CNAME")
) -> list[ExistingRecord]:
    """Existing records at ``names`` as served by ``server`` (one query per name and type)."""
    found: list[ExistingRecord] = []
    for name in sorted(names):
        for rdtype in types:
            response = query(server, name, rdtype, tcp=True)
            rcode = response.rcode()
            if rcode == dns.rcode.NXDOMAIN:
                break
            if rcode != dns.rcode.NOERROR:
                raise TransientError(
                    f"{server.label} answered {dns.rcode.to_text(rcode)} for {name} {rdtype}",
                    hint="check that the server is authoritative for the zone and allows queries",
                )
            ttl_by_value = sorted(_ttls(response, name, rdtype))  # servers rotate RRsets
            for value, ttl, served in ttl_by_value:
                # record_id: the rdata exactly as served (TXT split as its owner split it), so
                # an RFC 2136 delete names that rdata and not a re-split of the logical value
                record = _record_from_logical(name, rdtype, value, ttl)
                found.append(ExistingRecord(record, record_id=served))
    return found


def _ttls(
    response: dns.message.Message, name: str, rdtype: str
) -> list[tuple[str, int, str]]:
    wanted_name = dns.name.from_text(name)
    wanted_type = dns.rdatatype.from_text(rdtype)
    found: list[tuple[str, int, str]] = []
    for rrset in response.answer:
        if rrset.name == wanted_name and rrset.rdtype == wanted_type:
            found.extend(
                (rdata_to_logical(rdtype, rdata), rrset.ttl, rdata.to_text()) for rdata in rrset
            )
    return found


def _record_from_logical(name: str, rdtype: str, value: str, ttl: int) -> Record:
    if rdtype == "MX":
        priority, target = value.split(" ", 1)
        return make_record(name + ".", "MX", target, ttl=ttl, priority=int(priority))
    if rdtype == "TXT":
        return Record(name=name, type="TXT", value=value, ttl=ttl)
    return make_record(name + ".", rdtype, value, ttl=ttl)


def system_resolver() -> dns.resolver.Resolver:
    return dns.resolver.Resolver()
