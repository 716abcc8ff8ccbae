"""RFC 2136 dynamic update with TSIG (dnspython): one UPDATE message per zone."""

from __future__ import annotations

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.tsigkeyring
import dns.update
from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.providers.base import (
    ApplyResult,
    BuildContext,
    DNSProvider,
    ProviderInfo,
    ProviderOption,
    ProviderPlugin,
)
from ansible.module_utils.mailops.dns.records import ExistingRecord, Record
from ansible.module_utils.mailops.dns.resolver import Nameserver, read_records, resolve_address
from ansible.module_utils.mailops.dns.txt import split_txt
from ansible.module_utils.mailops.dns.zone import find_zone_at
from ansible.module_utils.mailops.errors import (
    AuthError,
    MailopsError,
    TransientError,
    ValidationError,
)

RFC2136_INFO = ProviderInfo(
    name="rfc2136",
    default_ttl=600,
    min_ttl=0,
    min_ttl_rule="no floor (any TTL from 0)",
    txt_encoding="presentation",
    bulk_writes=True,
    atomic_writes=True,  # one UPDATE message: the server applies all of it or none (RFC 2136 §3.7)
    one_ttl_per_rrset=True,
)
ALGORITHMS = {
    "hmac-md5": dns.tsig.HMAC_MD5,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}
AUTH_RCODES = (dns.rcode.REFUSED, dns.rcode.NOTAUTH)
TIMEOUT = 10.0


def to_rdata(record: Record) -> object:
    """dnspython rdata for a record; TXT built from ≤255-byte character-strings."""
    if record.value is None:
        raise ValidationError(
            f"{record.describe()} has no value yet and cannot be written",
            hint="run without check mode so the value is known",
        )
    rdclass = dns.rdataclass.IN
    if record.type == "TXT":
        return dns.rdtypes.ANY.TXT.TXT(rdclass, dns.rdatatype.TXT, split_txt(record.value))
    target = dns.name.from_text(record.value)
    if record.type == "MX":
        return dns.rdtypes.ANY.MX.MX(rdclass, dns.rdatatype.MX, record.priority or 0, target)
    return dns.rdtypes.ANY.CNAME.CNAME(rdclass, dns.rdatatype.CNAME, target)


def served_rdata(record: Record, served: str | None) -> object:
    """The rdata to delete: as read from the server (``record_id``: its presentation text, e.g.
    TXT strings split where the owner split them) when known, else built from the record."""
    if served is None:
        return to_rdata(record)
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(record.type), served)


class Rfc2136Provider(DNSProvider):
    info = RFC2136_INFO

    def __init__(
        self,
        server: str,
        key_name: str,
        key_secret: str,
        port: int = 53,
        key_algorithm: str = "hmac-sha256",
        timeout: float = TIMEOUT,
    ) -> None:
        given_algorithm = key_algorithm
        key_algorithm = key_algorithm.strip().rstrip(".").lower()   # HMAC-SHA256 as BIND takes it
        if key_algorithm not in ALGORITHMS:
            raise ValidationError(
                f"TSIG algorithm {given_algorithm!r} (rfc2136_key_algorithm) is not supported",
                hint=f"use one of {', '.join(ALGORITHMS)}",
            )
        self.server = Nameserver(host=server, port=int(port), address=resolve_address(server))
        self.key_name = key_name
        self.key_algorithm = key_algorithm
        self.timeout = timeout
        try:
            self.keyring = dns.tsigkeyring.from_text(
                {key_name: (ALGORITHMS[key_algorithm], key_secret)}
            )
        except (ValueError, dns.exception.DNSException) as exc:
            raise AuthError(
                f"the TSIG secret of key {key_name} is not valid base64",
                hint="copy the secret from the key file (tsig-keygen output)",
            ) from exc

    def find_zone(self, fqdn: str) -> str | None:
        return find_zone_at(fqdn, [self.server])

    def list_records(self, zone: str, names: set[str]) -> list[ExistingRecord]:
        return read_records(self.server, names)

    def build_update(self, zone: str, changes: list[Change]) -> dns.update.UpdateMessage:
        """One UPDATE for the zone: exact-rdata deletes first, then adds."""
        update = dns.update.UpdateMessage(
            zone + ".",
            keyring=self.keyring,
            keyname=dns.name.from_text(self.key_name),
            keyalgorithm=ALGORITHMS[self.key_algorithm],
        )
        for change in changes:
            if change.before is not None and change.action in ("delete", "update"):
                update.delete(
                    dns.name.from_text(change.before.name),
                    served_rdata(change.before, change.record_id),
                )
        for change in changes:
            if change.after is not None and change.action in ("create", "update"):
                # the plan gave a record joining an RRset that stays the RRset's TTL
                ttl = change.after.ttl if change.after.ttl is not None else self.info.default_ttl
                update.add(dns.name.from_text(change.after.name), ttl, to_rdata(change.after))
        return update

    def apply_changes(self, zone: str, changes: list[Change]) -> ApplyResult:
        if not changes:
            return ApplyResult(writes=0)
        self.send(zone, self.build_update(zone, changes), "the update")
        return ApplyResult(writes=1)

    def check_credentials(self, zone: str) -> None:
        """A prerequisite-only UPDATE, signed: "the zone's SOA exists", nothing to change. The
        server verifies the signature and its authority for the zone (BADKEY, BADSIG, NOTAUTH,
        REFUSED fail it) and writes nothing (RFC 2136 §3.2, §3.4: an empty update section)."""
        probe = dns.update.UpdateMessage(zone + ".", keyring=self.keyring,
                                         keyname=dns.name.from_text(self.key_name),
                                         keyalgorithm=ALGORITHMS[self.key_algorithm])
        probe.present(zone + ".", "SOA")
        self.send(zone, probe, "a prerequisite-only update (the credential check)")

    def send(self, zone: str, update: dns.update.UpdateMessage, what: str) -> None:
        """Send a signed UPDATE over TCP; a refusal becomes the error of its class."""
        where = f"{self.server.label}"
        try:
            response = dns.query.tcp(
                update, self.server.address, timeout=self.timeout, port=self.server.port
            )
        except dns.tsig.PeerError as exc:
            raise AuthError(
                f"{where} rejected the TSIG signature of key {self.key_name} for zone {zone} "
                f"({type(exc).__name__})",
                hint="check rfc2136_key_name, rfc2136_key_secret and rfc2136_key_algorithm "
                "against the server's key",
            ) from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise TransientError(
                f"dynamic update of zone {zone} at {where} failed: {exc or type(exc).__name__}",
            ) from exc
        rcode = response.rcode()
        if rcode in AUTH_RCODES:
            raise AuthError(
                f"{where} answered {dns.rcode.to_text(rcode)} to {what} of zone {zone} "
                f"signed with key {self.key_name}",
                code=dns.rcode.to_text(rcode),
                hint="allow this key to update the zone (update-policy/allow-update) and check "
                "that the server is primary for the zone",
            )
        if rcode != dns.rcode.NOERROR:
            raise MailopsError(
                f"{where} answered {dns.rcode.to_text(rcode)} to {what} of zone {zone}",
                code=dns.rcode.to_text(rcode),
                hint="check the server log; a MX/CNAME target inside the zone needs address "
                "records (check-integrity)",
            )


def build(arguments: dict, context: BuildContext) -> Rfc2136Provider:
    return Rfc2136Provider(**arguments)


PLUGIN = ProviderPlugin(
    info=RFC2136_INFO,
    options=(
        ProviderOption("rfc2136_server", "server",
                       "Primary server (IP or host name) accepting dynamic updates.", required=True),
        ProviderOption("rfc2136_port", "port", "Its port.", type="int", default=53),
        ProviderOption("rfc2136_key_name", "key_name", "TSIG key name.", required=True),
        ProviderOption("rfc2136_key_secret", "key_secret", "TSIG key secret (base64).",
                       required=True, secret=True),
        ProviderOption("rfc2136_key_algorithm", "key_algorithm", "TSIG algorithm.",
                       default="hmac-sha256"),
    ),
    build=build,
)
