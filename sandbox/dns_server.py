"""An authoritative DNS server (UDP and TCP) for the zones the DNSPod emulator holds.

Answers are built live from SQLite on every query, so ``dig @127.0.0.1 -p PORT`` shows exactly
what the API wrote (once a record's ``visible_at`` has passed: the zone's propagation delay).
"""

from __future__ import annotations

import logging
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rdtypes.ANY.TXT
import dns.rrset

from sandbox.dnspod import SYSTEM_NS, DnspodEmulator, Record, Zone

log = logging.getLogger("sandbox.dns")
SOA_RNAME = "freednsadmin.dnspod.com."
SOA_TTL = 600
SOA_TIMERS = {"refresh": 3600, "retry": 180, "expire": 1209600, "minimum": 180}
UDP_DEFAULT_SIZE = 512
UDP_MAX_SIZE = 1232
MAX_STRING = 255


@dataclass
class ZoneSnapshot:
    """One hosted zone and the records the DNS server may serve right now."""

    zone: Zone
    origin: dns.name.Name
    records: list[Record]

    def owner(self, record: Record) -> dns.name.Name:
        if record.name == "@":
            return self.origin
        return dns.name.from_text(record.name, origin=self.origin)


def txt_strings(value: str) -> list[bytes]:
    """A stored TXT value as character-strings: ``a" "b`` stays split; every piece <= 255 bytes."""
    pieces = value.split('" "') if '" "' in value else [value]
    strings: list[bytes] = []
    for piece in pieces:
        data = piece.encode("utf-8")
        if not data:
            strings.append(b"")
        for start in range(0, len(data), MAX_STRING):
            strings.append(data[start : start + MAX_STRING])
    return strings


def to_rdata(record: Record, origin: dns.name.Name) -> dns.rdata.Rdata:
    rdclass = dns.rdataclass.IN
    if record.type == "TXT":
        return dns.rdtypes.ANY.TXT.TXT(rdclass, dns.rdatatype.TXT, txt_strings(record.value))
    text = f"{record.mx} {record.value}" if record.type == "MX" else record.value
    return dns.rdata.from_text(
        rdclass, dns.rdatatype.from_text(record.type), text, origin=origin, relativize=False
    )


def soa_rrset(zone: Zone, origin: dns.name.Name) -> dns.rrset.RRset:
    soa = dns.rdtypes.ANY.SOA.SOA(
        dns.rdataclass.IN,
        dns.rdatatype.SOA,
        dns.name.from_text(SYSTEM_NS[0]),
        dns.name.from_text(SOA_RNAME),
        zone.soa_serial,
        SOA_TIMERS["refresh"],
        SOA_TIMERS["retry"],
        SOA_TIMERS["expire"],
        SOA_TIMERS["minimum"],
    )
    rrset = dns.rrset.RRset(origin, dns.rdataclass.IN, dns.rdatatype.SOA)
    rrset.add(soa, SOA_TTL)
    return rrset


class ZoneSource(Protocol):
    """Where zones come from: the DNSPod emulator, moto's Route 53 (sandbox/route53.py)."""

    def hosted_zone(self, name: str) -> Zone | None: ...

    def zone_records(self, zone_id: int) -> list[Record]: ...


class Resolver:
    """Turns one query into one authoritative response, reading the zones of the DNSPod
    emulator and of the other ``sources`` (moto's Route 53)."""

    def __init__(self, dnspod: DnspodEmulator, clock: Callable[[], float] = time.time,
                 sources: tuple[ZoneSource, ...] = ()) -> None:
        self.dnspod = dnspod
        self.sources: tuple[ZoneSource, ...] = (dnspod, *sources)
        self.clock = clock

    def find_zone(self, qname: dns.name.Name) -> ZoneSnapshot | None:
        """The closest enclosing zone: the name itself, then each parent (one indexed lookup
        per label, so a query costs the same with 3 zones or 3000)."""
        best: Zone | None = None
        best_origin = qname
        source: ZoneSource = self.dnspod
        while best is None and best_origin != dns.name.root:
            name = best_origin.to_text(omit_final_dot=True).lower()
            for source in self.sources:
                best = source.hosted_zone(name)
                if best is not None:
                    break
            if best is None:
                best_origin = best_origin.parent()
        if best is None:
            return None
        now = self.clock()
        visible = [
            r
            for r in source.zone_records(best.id)
            if r.status == "ENABLE" and r.visible_at <= now
        ]
        return ZoneSnapshot(best, best_origin, visible)

    def respond(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query, our_payload=UDP_MAX_SIZE)
        response.flags &= ~dns.flags.RA
        if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
            response.set_rcode(
                dns.rcode.NOTIMP if query.opcode() != dns.opcode.QUERY else dns.rcode.FORMERR
            )
            return response
        question = query.question[0]
        snapshot = self.find_zone(question.name)
        if snapshot is None or question.rdclass not in (dns.rdataclass.IN, dns.rdataclass.ANY):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        self._answer(response, snapshot, question.name, question.rdtype)
        return response

    def _answer(
        self,
        response: dns.message.Message,
        snapshot: ZoneSnapshot,
        qname: dns.name.Name,
        qtype: dns.rdatatype.RdataType,
    ) -> None:
        if qname == snapshot.origin and qtype in (dns.rdatatype.SOA, dns.rdatatype.ANY):
            response.answer.append(soa_rrset(snapshot.zone, snapshot.origin))
        at_name = [r for r in snapshot.records if snapshot.owner(r) == qname]
        cname = [r for r in at_name if r.type == "CNAME"]
        if cname and qtype not in (dns.rdatatype.CNAME, dns.rdatatype.ANY):
            response.answer.append(self._rrset(snapshot, qname, cname))
            target = dns.name.from_text(cname[0].value)
            chased = [
                r
                for r in snapshot.records
                if snapshot.owner(r) == target and r.type == dns.rdatatype.to_text(qtype)
            ]
            if chased:
                response.answer.append(self._rrset(snapshot, target, chased))
            return
        wanted = (
            at_name
            if qtype == dns.rdatatype.ANY
            else [r for r in at_name if r.type == dns.rdatatype.to_text(qtype)]
        )
        for record_type in dict.fromkeys(r.type for r in wanted):
            response.answer.append(
                self._rrset(snapshot, qname, [r for r in wanted if r.type == record_type])
            )
        if response.answer:
            return
        if not at_name and qname != snapshot.origin and not self._has_descendants(snapshot, qname):
            response.set_rcode(dns.rcode.NXDOMAIN)
        response.authority.append(soa_rrset(snapshot.zone, snapshot.origin))

    def _has_descendants(self, snapshot: ZoneSnapshot, qname: dns.name.Name) -> bool:
        """An empty non-terminal (e.g. ``_domainkey``) exists: NODATA, not NXDOMAIN."""
        return any(snapshot.owner(r).is_subdomain(qname) for r in snapshot.records)

    def _rrset(
        self, snapshot: ZoneSnapshot, owner: dns.name.Name, records: list[Record]
    ) -> dns.rrset.RRset:
        rdtype = dns.rdatatype.from_text(records[0].type)
        rrset = dns.rrset.RRset(owner, dns.rdataclass.IN, rdtype)
        ttl = min(r.ttl for r in records)
        for record in records:
            rrset.add(to_rdata(record, snapshot.origin), ttl)
        return rrset

    def answer_wire(self, wire: bytes, max_size: int | None) -> bytes | None:
        """Parse a query and build the response wire; None when the packet is not a query at all."""
        try:
            query = dns.message.from_wire(wire)
        except dns.message.ShortHeader:
            return None
        except dns.exception.DNSException:
            return _formerr(wire)
        if query.flags & dns.flags.QR:
            return None
        try:
            response = self.respond(query)
        except Exception:  # a bug or bad stored data must not look like a lost packet
            log.exception("DNS query failed: %s", query.question)
            response = dns.message.make_response(query, our_payload=UDP_MAX_SIZE)
            response.set_rcode(dns.rcode.SERVFAIL)
        if max_size is None:
            return response.to_wire()
        limit = (
            max(UDP_DEFAULT_SIZE, min(query.payload, UDP_MAX_SIZE))
            if query.edns >= 0
            else UDP_DEFAULT_SIZE
        )
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer.clear()
            response.authority.clear()
            response.additional.clear()
            response.flags |= dns.flags.TC
            return response.to_wire(max_size=limit)


def _formerr(wire: bytes) -> bytes | None:
    if len(wire) < 12:
        return None
    query_id = struct.unpack("!H", wire[:2])[0]
    flags = dns.flags.QR | dns.rcode.FORMERR
    return struct.pack("!HHHHHH", query_id, flags, 0, 0, 0, 0)


class _UdpHandler(socketserver.BaseRequestHandler):
    server: _UdpServer

    def handle(self) -> None:
        data, sock = self.request
        reply = self.server.resolver.answer_wire(data, max_size=UDP_DEFAULT_SIZE)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TcpHandler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        self.request.settimeout(10)
        while True:
            header = _recv_exact(self.request, 2)
            if header is None:
                return
            length = struct.unpack("!H", header)[0]
            wire = _recv_exact(self.request, length)
            if wire is None:
                return
            reply = self.server.resolver.answer_wire(wire, max_size=None)
            if reply is None:
                return
            self.request.sendall(struct.pack("!H", len(reply)) + reply)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        try:
            chunk = sock.recv(size - len(data))
        except (TimeoutError, OSError):
            return None
        if not chunk:
            return None
        data += chunk
    return data


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], resolver: Resolver) -> None:
        self.resolver = resolver
        super().__init__(address, _UdpHandler)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], resolver: Resolver) -> None:
        self.resolver = resolver
        super().__init__(address, _TcpHandler)


class DnsServer:
    """UDP and TCP listeners on one port, each served from a daemon thread."""

    def __init__(self, host: str, port: int, dnspod: DnspodEmulator,
                 sources: tuple[ZoneSource, ...] = ()) -> None:
        resolver = Resolver(dnspod, sources=sources)
        self.udp = _UdpServer((host, port), resolver)
        self.tcp = _TcpServer((host, port), resolver)
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for server in (self.udp, self.tcp):
            thread = threading.Thread(
                target=server.serve_forever,
                args=(0.1,),
                name=f"dns-{type(server).__name__}",
                daemon=True,
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        stoppers = [threading.Thread(target=server.shutdown) for server in (self.udp, self.tcp)]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        for server in (self.udp, self.tcp):
            server.server_close()
