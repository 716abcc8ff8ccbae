"""Zone discovery by SOA lookup, walking up from the record name."""

from __future__ import annotations

import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
from ansible.module_utils.mailops.dns.resolver import Nameserver, query
from ansible.module_utils.mailops.errors import NotFoundError, TransientError


def _soa_owner(response: object) -> str | None:
    for section in (response.answer, response.authority):  # type: ignore[attr-defined]
        for rrset in section:
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset.name.to_text(omit_final_dot=True).lower()
    return None


def find_zone_at(fqdn: str, nameservers: list[Nameserver]) -> str:
    """Ask the given nameservers for the SOA of ``fqdn``, walking up until one answers.

    The zone is the owner of the SOA found in the answer (the name is an apex) or in the
    authority section (the name is below the apex). Works for delegated sub-zones because each
    authoritative server answers with its own zone's SOA.
    """
    name = dns.name.from_text(fqdn)
    errors: list[str] = []
    while len(name.labels) > 1:
        for server in nameservers:
            try:
                response = query(server, name.to_text(), "SOA")
            except TransientError as exc:
                errors.append(str(exc))
                continue
            if response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                owner = _soa_owner(response)
                if owner:
                    return owner
            errors.append(f"{server.label}: {dns.rcode.to_text(response.rcode())} for {name}")
        name = name.parent()
    raise NotFoundError(
        f"no zone found for {fqdn} at {', '.join(s.label for s in nameservers)}"
        + (f" ({errors[-1]})" if errors else ""),
        hint=_spelling_first(fqdn, "set the zone option (inventory: dns_zone), or give "
                             "nameservers authoritative for the zone (dns_nameservers)"),
    )


def find_zone_system(fqdn: str, resolver: dns.resolver.Resolver | None = None) -> str:
    """SOA lookup through the system resolver."""
    try:
        zone = dns.resolver.zone_for_name(fqdn, resolver=resolver)
    except dns.exception.DNSException as exc:
        raise NotFoundError(
            f"no zone found for {fqdn} through the system resolver: {exc}",
            hint=_spelling_first(fqdn, "set the zone option or the nameservers option "
                                 "(inventory: dns_zone, dns_nameservers)"),
        ) from exc
    return zone.to_text(omit_final_dot=True).lower()


def _spelling_first(fqdn: str, then: str) -> str:
    """A name in no zone is most often a mistyped sending domain."""
    return f"check the spelling of {fqdn} (sending_domain); if it is right, {then}"


def find_zone(fqdn: str, nameservers: list[Nameserver] | None = None) -> str:
    if nameservers:
        return find_zone_at(fqdn, nameservers)
    return find_zone_system(fqdn)
