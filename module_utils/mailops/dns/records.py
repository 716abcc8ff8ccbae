"""The record model: one normalised DNS record, and the helpers that normalise names and values."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ansible.module_utils.mailops.dns.txt import parse_txt
from ansible.module_utils.mailops.errors import ValidationError

PURPOSES = ("spf", "dkim", "dmarc", "mx", "verify", "tracking", "")
MANAGED_TYPES = ("TXT", "MX", "CNAME")
UNKNOWN_VALUE_TEXT = "(known after apply)"


@dataclass(frozen=True)
class Record:
    """One DNS record in logical form.

    ``name`` is a lower-case FQDN without trailing dot; TXT ``value`` is the joined, unquoted
    character-strings; MX/CNAME targets are lower-case without trailing dot. ``value=None``
    means "known after apply"; so does ``name=None`` (a DKIM selector SendCloud has not
    generated yet; such a record always has an unknown value too).
    """

    name: str | None
    type: str
    value: str | None
    ttl: int | None = None
    priority: int | None = None
    purpose: str = ""

    @property
    def shown_name(self) -> str:
        return UNKNOWN_VALUE_TEXT if self.name is None else self.name

    def describe(self) -> str:
        """Short human form for messages: ``TXT _dmarc.example.com "v=DMARC1; p=none"``."""
        value = UNKNOWN_VALUE_TEXT if self.value is None else self.value
        if self.type == "MX":
            return f"MX {self.shown_name} {self.priority} {value}"
        if self.type == "TXT" and self.value is not None:
            return f'TXT {self.shown_name} "{value}"'
        return f"{self.type} {self.shown_name} {value}"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.shown_name,
            "type": self.type,
            "value": UNKNOWN_VALUE_TEXT if self.value is None else self.value,
            "ttl": self.ttl,
            "priority": self.priority,
            "purpose": self.purpose,
        }

    def same_data(self, other: Record) -> bool:
        """True when both records carry the same DNS data (TTL and purpose ignored)."""
        return (
            self.name == other.name
            and self.type == other.type
            and self.value == other.value
            and (self.type != "MX" or self.priority == other.priority)
        )


@dataclass(frozen=True)
class ExistingRecord:
    """A record as read from the provider, with the provider's id (DNSPod: RecordId; read by DNS
    query, RFC 2136/manual: the rdata in presentation format as served)."""

    record: Record
    record_id: str | None = None
    disabled: bool = False


def to_idna(name: str) -> str:
    """Lower-case a DNS name and convert unicode labels to punycode (A-labels)."""
    labels = []
    for label in name.split("."):
        if label.isascii():
            labels.append(label.lower())
            continue
        try:
            labels.append(a_label(label))
        except UnicodeError as exc:
            raise ValidationError(
                f"DNS name {name!r} has an invalid label {label!r}",
                hint="use a valid (IDNA 2008) domain name",
            ) from exc
    return ".".join(labels)


def a_label(label: str) -> str:
    """IDNA 2008 with UTS 46 mapping, non-transitional (``straße`` → ``xn--strae-oqa``, as
    dnspython and registries write it); Python's IDNA 2003 codec (``strasse``) only when the
    ``idna`` package dnspython needs for it is missing."""
    import dns.exception  # only for names with unicode labels: most runs never need dnspython
    import dns.name

    try:
        return dns.name.IDNA_2008_Practical.encode(label).decode("ascii")
    except dns.name.NoIDNA2008:
        return label.lower().encode("idna").decode("ascii")
    except dns.exception.DNSException as exc:  # IDNAException, LabelTooLong
        raise UnicodeError(str(exc)) from exc


def normalize_name(name: str, zone: str | None = None) -> str:
    """Return the FQDN (lower-case, IDNA, no trailing dot) for ``name``.

    ``@`` and the empty name mean the zone apex. A name ending in ``.`` is absolute; a name that
    already ends with the zone is taken as absolute; anything else is relative to ``zone``.
    """
    text = name.strip()
    zone_fqdn = to_idna(zone.strip().rstrip(".")) if zone else ""
    if text in ("", "@"):
        if not zone_fqdn:
            raise ValidationError(f"record name {name!r} needs a zone", hint="set the zone option (inventory: dns_zone)")
        return zone_fqdn
    if text.endswith("."):
        return to_idna(text.rstrip("."))
    fqdn = to_idna(text)
    if not zone_fqdn or fqdn == zone_fqdn or fqdn.endswith("." + zone_fqdn):
        return fqdn
    return f"{fqdn}.{zone_fqdn}"


def relative_name(fqdn: str, zone: str) -> str:
    """Host label relative to the zone, ``@`` for the apex (DNSPod's SubDomain)."""
    if fqdn == zone:
        return "@"
    suffix = "." + zone
    if not fqdn.endswith(suffix):
        raise ValidationError(
            f"record {fqdn} is not inside zone {zone}",
            hint="set the zone option (inventory: dns_zone) to the zone that holds the sending domain",
        )
    return fqdn[: -len(suffix)]


def normalize_target(target: str) -> str:
    """MX/CNAME target: lower-case, IDNA, one trailing dot removed."""
    return to_idna(target.strip().rstrip("."))


def normalize_value(record_type: str, value: str | None) -> str | None:
    if value is None:
        return None
    if record_type in ("MX", "CNAME"):
        return normalize_target(value)
    if record_type == "TXT":
        return parse_txt(value)
    return value.strip()


def make_record(
    name: str,
    record_type: str,
    value: str | None,
    *,
    zone: str | None = None,
    ttl: int | None = None,
    priority: int | None = None,
    purpose: str = "",
) -> Record:
    """Build a normalised :class:`Record` from user or provider input."""
    rtype = record_type.strip().upper()
    if rtype not in MANAGED_TYPES:
        raise ValidationError(
            f"record type {record_type!r} for {name} is not supported",
            hint=f"use one of {', '.join(MANAGED_TYPES)}",
        )
    if purpose not in PURPOSES:
        raise ValidationError(
            f"record purpose {purpose!r} for {name} is unknown",
            hint=f"use one of {', '.join(p for p in PURPOSES if p)}",
        )
    if rtype == "MX" and priority is None:
        priority = 10
    return Record(
        name=normalize_name(name, zone),
        type=rtype,
        value=normalize_value(rtype, value),
        ttl=int(ttl) if ttl is not None else None,
        priority=int(priority) if rtype == "MX" and priority is not None else None,
        purpose=purpose or infer_purpose(rtype, value),
    )


def infer_purpose(record_type: str, value: str | None) -> str:
    """Guess the purpose of a record given without one."""
    if record_type == "MX":
        return "mx"
    if record_type == "CNAME":
        return "tracking"
    text = (value or "").lower()
    if text.startswith("v=spf1"):
        return "spf"
    if text.startswith("v=dmarc1"):
        return "dmarc"
    if "p=" in text and text.startswith(("k=", "v=dkim1")):
        return "dkim"
    return "verify"


def record_from_dict(entry: dict, zone: str | None, default_ttl: int) -> Record:
    """Build a desired record from a module's ``records`` list item.

    ``name: null`` is accepted only with ``value: null`` (both known after apply).
    """
    if not entry.get("type"):
        raise ValidationError(f"record {entry!r} lacks a type", hint="give every record a type")
    ttl = entry.get("ttl")
    if not entry.get("name"):
        if entry.get("value") is not None:
            raise ValidationError(
                f"record {entry!r} has a value but no name",
                hint="give the record a name (null only while both are known after apply)",
            )
        template = make_record(
            "unknown.invalid.",
            entry["type"],
            None,
            ttl=ttl or default_ttl,
            priority=entry.get("priority"),
            purpose=entry.get("purpose") or "",
        )
        return replace(template, name=None)
    return make_record(
        entry["name"],
        entry["type"],
        entry.get("value"),
        zone=zone,
        ttl=int(ttl) if ttl is not None else default_ttl,
        priority=entry.get("priority"),
        purpose=entry.get("purpose") or "",
    )


def clamp_ttls(records: list[Record], min_ttl: int) -> tuple[list[Record], list[Record]]:
    """Raise TTLs below ``min_ttl`` to it: every record, and the raised ones as they were."""
    clamped: list[Record] = []
    raised: list[Record] = []
    for record in records:
        if record.ttl is not None and record.ttl < min_ttl:
            raised.append(record)
            record = replace(record, ttl=min_ttl)
        clamped.append(record)
    return clamped, raised


def clamp_warnings(raised: list[Record], min_ttl: int, where: str) -> list[str]:
    """One warning naming the records whose TTL was raised to ``min_ttl``, if any."""
    if not raised:
        return []
    named = ", ".join(f"{record.type} {record.name} (TTL {record.ttl})" for record in raised)
    return [f"TTL below the minimum {min_ttl} of {where}, using {min_ttl} for: {named}"]
