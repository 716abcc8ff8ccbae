"""The provider interface and provider quirks as data."""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.records import ExistingRecord


@dataclass(frozen=True)
class ProviderInfo:
    """What differs between providers, as data rather than ``if provider == ...``."""

    name: str
    default_ttl: int
    # The highest TTL floor a zone at this provider can have (a zone's own, ``min_ttl(zone)``,
    # may be lower): a record at or above it is never clamped, so the zone is not asked.
    min_ttl: int
    min_ttl_rule: str
    supported_types: tuple[str, ...] = ("TXT", "MX", "CNAME")
    txt_encoding: str = "raw"  # raw: unquoted logical value; presentation: quoted, split strings
    bulk_writes: bool = False  # True: all changes of a zone in one request
    one_ttl_per_rrset: bool = False  # True: records of one name and type share their TTL
    # False: the TTL read back is not the one stored (a DNS answer: a resolver counts it down,
    # the human's DNS host may round it), so a TTL difference alone is never a change
    compares_ttl: bool = True
    requests_per_hour: int | None = None


@dataclass
class ApplyResult:
    """What ``apply_changes`` did: ``applied`` (written) or ``pending_human`` (manual)."""

    status: str = "applied"
    writes: int = 0
    change_file: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"status": self.status, "writes": self.writes, "change_file": self.change_file}


class DNSProvider:
    """Interface every provider implements (one file per provider)."""

    info: ProviderInfo

    def find_zone(self, fqdn: str) -> str | None:
        """The zone holding ``fqdn`` when the provider can tell (else None: SOA lookup)."""
        return None

    def min_ttl(self, zone: str) -> int:
        return self.info.min_ttl

    def list_records(self, zone: str, names: set[str]) -> list[ExistingRecord]:
        raise NotImplementedError

    def apply_changes(self, zone: str, changes: list[Change]) -> ApplyResult:
        raise NotImplementedError
