"""The provider interface: a provider's quirks as data, its options, and its client.

A provider is one file in this package that defines ``PLUGIN``, a ``ProviderPlugin``: what
differs between providers (``ProviderInfo``), the options it takes (``ProviderOption``: the
module option, the inventory variable, the environment variables it falls back to) and how its
client is built from them. ``providers/__init__.py`` finds the files; the module argument specs,
the inventory validator and the tenant's arguments are built from these declarations.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.records import ExistingRecord
from ansible.module_utils.mailops.errors import ValidationError


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
    atomic_writes: bool = False  # True: a zone's changes apply all or none
    one_ttl_per_rrset: bool = False  # True: records of one name and type share their TTL
    # False: the TTL read back is not the one stored (a DNS answer: a resolver counts it down,
    # the human's DNS host may round it), so a TTL difference alone is never a change
    compares_ttl: bool = True
    requests_per_hour: int | None = None  # the account's request cap, kept by a token bucket
    requests_per_second: float | None = None  # a per-second cap, kept the same way


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

    def check_credentials(self, zone: str) -> None:
        """Prove, without writing, that the credentials may write ``zone`` (AuthError if not):
        for a run that writes nothing. Default: nothing more to prove, for a provider whose
        every plan reads the zone through its API with the same credentials (DNSPod's
        DescribeRecordList, PowerDNS's zone read: a rotated key fails that read) or that has
        none (manual). A provider whose reads are unsigned DNS queries (RFC 2136) overrides it."""


@dataclass(frozen=True)
class ProviderOption:
    """One option of a provider: ``option`` is its name in the modules (``dns_record_set``, the
    ``dns`` option of the stage modules), ``variable`` its inventory variable (default: the
    same name), ``argument`` the keyword of the provider's client it is given as."""

    option: str
    argument: str
    description: str
    type: str = "str"
    required: bool = False
    secret: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # environment variables read when the option is not set
    variable: str = ""

    @property
    def inventory_variable(self) -> str:
        return self.variable or self.option

    def argument_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.type}
        if self.secret:
            spec["no_log"] = True
        if self.default is not None:
            spec["default"] = self.default
        if self.choices:
            spec["choices"] = list(self.choices)
        return spec

    def value(self, params: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
        """The option's value: given, else the first of its environment variables set."""
        given = params.get(self.option)
        if given not in (None, ""):
            return given
        for name in self.env:
            if environ.get(name):
                return environ[name]
        return self.default


@dataclass(frozen=True)
class BuildContext:
    """What every provider may use besides its own options."""

    tenant: str
    nameservers: list[Any]  # Nameserver: the ``nameservers`` option, parsed


@dataclass(frozen=True)
class ProviderPlugin:
    """A provider's declaration: ``build`` makes its client from the options' values
    (keyed by ``ProviderOption.argument``; an option without value is left out)."""

    info: ProviderInfo
    options: tuple[ProviderOption, ...]
    build: Callable[[dict[str, Any], BuildContext], DNSProvider]

    @property
    def name(self) -> str:
        return self.info.name

    def create(
        self, params: Mapping[str, Any], context: BuildContext,
        environ: Mapping[str, str] | None = None,
    ) -> DNSProvider:
        """The client, from the module's ``params``; a required option without value is a
        ValidationError naming its inventory variable (and its environment variables)."""
        environ = os.environ if environ is None else environ
        values = {option: option.value(params, environ) for option in self.options}
        missing = [option for option in self.options
                   if option.required and values[option] in (None, "")]
        if missing:
            raise ValidationError(
                f"provider {self.name} needs {', '.join(o.option for o in missing)}",
                hint=f"set {', '.join(describe_source(o) for o in missing)} in the inventory "
                "(vaulted for secrets)",
            )
        arguments = {option.argument: value for option, value in values.items()
                     if value is not None}
        return self.build(arguments, context)


def describe_source(option: ProviderOption) -> str:
    if not option.env:
        return option.inventory_variable
    return f"{option.inventory_variable} (or the environment variable {' / '.join(option.env)})"
