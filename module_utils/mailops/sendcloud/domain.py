"""The sending domain at SendCloud: ensure it exists, read the DNS records it asks for, decode
its ``verify`` bitmask, and wait until every required item verifies.

The ``verify`` bit layout differs per edition generation (reference §2.2):

=============  ====  ====  ===  =====  ======  =====
layout         dkim  spf   mx   cname  verify  dmarc
=============  ====  ====  ===  =====  ======  =====
domestic_v1    1     2     4    8      16      -
domestic       1     2     4    -      -       32
overseas       1     2     4    -      -       16
=============  ====  ====  ===  =====  ======  =====

The API does not name its layout. ``detect_layout`` infers it from the keys a domain object
carries (``verifyKey.*`` only exists on the old domestic layout) and the account's edition.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.mailops.errors import (
    ConflictError,
    MailopsError,
    ValidationError,
    WaitTimeoutError,
)
from ansible.module_utils.mailops.http import write_then_reread
from ansible.module_utils.mailops.names import domain_key
from ansible.module_utils.mailops.sendcloud.client import SendCloudClient

LAYOUT_BITS = {
    "domestic_v1": {"dkim": 1, "spf": 2, "mx": 4, "tracking": 8, "verify": 16},
    "domestic": {"dkim": 1, "spf": 2, "mx": 4, "dmarc": 32},
    "overseas": {"dkim": 1, "spf": 2, "mx": 4, "dmarc": 16},
}
# API key prefix -> (purpose, DNS type)
RECORD_KEYS = {
    "spf": ("spf", "TXT"),
    "dkim": ("dkim", "TXT"),
    "mx": ("mx", "MX"),
    "dmarc": ("dmarc", "TXT"),
    "verifyKey": ("verify", "TXT"),
    "cname": ("tracking", "CNAME"),
}
MAX_DOMAINS = 5            # per account (code 41012)
DOMAIN_EXISTS = "41015"    # domain/add: the name is taken (by this account or another)
DEFAULT_MX_PRIORITY = 10  # SendCloud's DNS guides: mx.sendcloud.org, priority 10
UNKNOWN = None  # a value SendCloud only generates when the domain is created


def detect_layout(domain_object: dict[str, Any], edition: str) -> str:
    if "verifyKey.domain" in domain_object:
        return "domestic_v1"
    return "overseas" if edition == "overseas" else "domestic"


def required_purposes(layout: str, click_tracking: bool) -> list[str]:
    purposes = [p for p in LAYOUT_BITS[layout] if p != "tracking"]
    if click_tracking and "tracking" in LAYOUT_BITS[layout]:
        purposes.append("tracking")
    return purposes


def records_from_domain(domain_object: dict[str, Any], purposes: list[str]) -> list[dict[str, Any]]:
    """The DNS records SendCloud asks for, as the normalised list ``dns_record_set`` takes."""
    records = []
    for key, (purpose, rtype) in RECORD_KEYS.items():
        if purpose not in purposes or f"{key}.domain" not in domain_object:
            continue
        name = domain_key(str(domain_object[f"{key}.domain"]))
        value = str(domain_object[f"{key}.value"]).strip()
        priority = None
        if rtype == "MX":
            priority, value = _split_mx(value)
        if rtype in ("MX", "CNAME"):
            value = value.rstrip(".").lower()
        records.append(
            {"purpose": purpose, "type": rtype, "name": name, "value": value, "priority": priority}
        )
    return records


def planned_records(domain: str, purposes: list[str]) -> list[dict[str, Any]]:
    """What ``records_from_domain`` will return once the domain exists: names and values that
    SendCloud generates on creation (the DKIM selector and key, the verify key) are unknown."""
    known_names = {
        "spf": domain,
        "mx": domain,
        "dmarc": f"_dmarc.{domain}",
        "verify": domain,
        "tracking": f"sctrack.{domain}",
    }
    types = {purpose: rtype for purpose, rtype in RECORD_KEYS.values()}
    return [
        {
            "purpose": purpose,
            "type": types[purpose],
            "name": known_names.get(purpose, UNKNOWN),
            "value": UNKNOWN,
            "priority": DEFAULT_MX_PRIORITY if purpose == "mx" else None,
        }
        for purpose in purposes
    ]


def decode_verify(verify: int, layout: str, purposes: list[str]) -> dict[str, bool]:
    bits = LAYOUT_BITS[layout]
    return {purpose: bool(verify & bits[purpose]) for purpose in purposes}


def _split_mx(value: str) -> tuple[int, str]:
    parts = value.split()
    if len(parts) == 2 and parts[0].isdigit():
        return int(parts[0]), parts[1]
    return DEFAULT_MX_PRIORITY, value


@dataclass
class DomainState:
    name: str
    exists: bool
    created: bool
    layout: str
    verify: int
    records: list[dict[str, Any]]
    items: dict[str, bool]
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.exists and all(self.items.values())

    def verified_except(self, purposes: list[str]) -> bool:
        """Verified in every item but ``purposes`` (items whose record a foreign one replaces:
        SendCloud's word on them is reported, not waited for)."""
        return self.exists and all(ok for item, ok in self.items.items() if item not in purposes)

    def to_result(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "exists": self.exists,
            "layout": self.layout,
            "verify": self.verify,
            "verified": self.verified,
            "items": self.items,
            "records": self.records,
        }


class DomainService:
    def __init__(
        self, client: SendCloudClient, click_tracking: bool = False, layout: str = "auto"
    ) -> None:
        self.client = client
        self.click_tracking = click_tracking
        self.layout_override = layout

    def read(self, name: str) -> DomainState | None:
        found = [
            d for d in self.client.list_domains([name]) if str(d.get("name", "")).lower() == name
        ]
        return self._state(found[0], created=False) if found else None

    def ensure(self, name: str, check_mode: bool) -> DomainState:
        """One unfiltered list call tells both whether the domain exists and how many the
        account holds, so the 5-domain limit is checked before anything is created."""
        account_domains = self.client.list_domains()
        found = [d for d in account_domains if str(d.get("name", "")).lower() == name]
        if found:
            return self._state(found[0], created=False)
        if len(account_domains) >= MAX_DOMAINS:
            held = ", ".join(sorted(str(d.get("name")) for d in account_domains))
            raise ConflictError(
                f"adding {name} would exceed SendCloud's limit of {MAX_DOMAINS} domains per "
                f"account {self.client.account.api_user} (it holds: {held})",
                hint="delete an unused domain in the SendCloud console before onboarding this "
                "one (the domestic API cannot delete domains; on the overseas edition rebind.yml "
                "with -e rebind_retire_old=domain deletes the domain it leaves)",
            )
        if check_mode:
            layout = self._layout({})
            purposes = required_purposes(layout, self.click_tracking)
            return DomainState(
                name,
                False,
                True,
                layout,
                0,
                planned_records(name, purposes),
                {p: False for p in purposes},
            )
        reread: list[DomainState] = []

        def landed() -> bool:
            state = self.read(name)
            reread.extend([state] if state else [])
            return state is not None

        added = write_then_reread(lambda: self._add(name), landed, self.client.http.retry)
        if added is None:   # the add committed but its reply was lost
            added = reread[-1]
            added.created = True
        return added

    def _add(self, name: str) -> DomainState:
        try:
            created = self.client.add_domain(name)
        except MailopsError as error:
            if error.code != DOMAIN_EXISTS:
                raise
            # another run added it meanwhile (or it is another account's): read, don't fail
            current = self.read(name)
            if current is None:
                raise
            return current
        return self._state(created, created=True)

    def wait_verified(
        self,
        name: str,
        timeout: float,
        interval: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        not_awaited: list[str] = (),
    ) -> tuple[DomainState, int]:
        """Poll until every item but ``not_awaited`` verifies."""
        deadline = clock() + timeout
        polls = 0
        while True:
            polls += 1
            state = self.read(name)
            if state is None:
                raise ValidationError(
                    f"sending domain {name} does not exist at SendCloud",
                    hint="run the sendcloud_domain step without check mode first",
                )
            if state.verified_except(not_awaited):
                return state, polls
            remaining = deadline - clock()
            if remaining <= 0:
                failing = [p for p, ok in state.items.items() if not ok and p not in not_awaited]
                raise WaitTimeoutError(
                    f"SendCloud has not verified {name} after {timeout:.0f}s ({polls} checks): "
                    f"failing items: {', '.join(failing)}"
                )
            sleep(min(interval * (1.5 ** min(polls - 1, 6)), 30.0, remaining))

    def _layout(self, domain_object: dict[str, Any]) -> str:
        if self.layout_override != "auto":
            return self.layout_override
        return detect_layout(domain_object, self.client.account.edition)

    def _state(self, domain_object: dict[str, Any], created: bool) -> DomainState:
        layout = self._layout(domain_object)
        purposes = required_purposes(layout, self.click_tracking)
        verify = int(domain_object.get("verify") or 0)
        return DomainState(
            str(domain_object["name"]).lower(),
            True,
            created,
            layout,
            verify,
            records_from_domain(domain_object, purposes),
            decode_verify(verify, layout, purposes),
            domain_object,
        )
