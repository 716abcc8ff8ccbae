"""PowerDNS Authoritative through its HTTP API (``/api/v1``, header ``X-API-Key``).

PowerDNS stores RRsets: a write replaces a whole name and type (``changetype: REPLACE``) with
every record it keeps. So ``apply_changes`` reads the zone again, works out each touched RRset's
new record list from what the server holds (foreign records at the same name and type stay,
byte for byte), and sends every RRset of the zone in one PATCH, which the server applies all or
nothing. A REPLACE is idempotent, so a PATCH whose answer was lost is simply sent again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.providers.base import (
    ApplyResult,
    BuildContext,
    DNSProvider,
    ProviderInfo,
    ProviderOption,
    ProviderPlugin,
)
from ansible.module_utils.mailops.dns.records import ExistingRecord
from ansible.module_utils.mailops.dns.rrsets import (
    after_changes,
    from_presentation,
    presentation,
)
from ansible.module_utils.mailops.errors import (
    AuthError,
    MailopsError,
    NotFoundError,
    ValidationError,
)
from ansible.module_utils.mailops.http import HttpClient, HttpResult

POWERDNS_INFO = ProviderInfo(
    name="powerdns",
    default_ttl=600,
    min_ttl=0,
    min_ttl_rule="no floor (any TTL from 0)",
    txt_encoding="presentation",  # quoted strings; a single string over 255 bytes is refused here
    bulk_writes=True,
    atomic_writes=True,  # one PATCH: every RRset of it or none (HTTP 422 names the bad one)
    one_ttl_per_rrset=True,
)
MANAGED_TYPES = ("TXT", "MX", "CNAME")


def zone_id(zone: str) -> str:
    return zone.rstrip(".") + "."


class PowerdnsProvider(DNSProvider):
    info = POWERDNS_INFO

    def __init__(
        self,
        api_url: str,
        api_key: str,
        server_id: str = "localhost",
        timeout: float = 15.0,
        http: HttpClient | None = None,
    ) -> None:
        self.base = f"{api_url.rstrip('/')}/api/v1/servers/{server_id}"
        self.headers = {"X-API-Key": api_key, "Accept": "application/json"}
        self.http = http or HttpClient("PowerDNS", timeout=timeout, plain_text_errors=True)

    # -- transport -------------------------------------------------------------------------
    def _call(self, method: str, path: str, action: str, json_body: Any = None) -> Any:
        # every call is idempotent (GET, or a PATCH of whole RRsets): retried as it is
        result = self.http.request(method, self.base + path, action=action, idempotent=True,
                                   json_body=json_body, headers=self.headers)
        if result.status >= 400:
            raise to_mailops_error(action, result)
        return result.body

    # -- reads -----------------------------------------------------------------------------
    def find_zone(self, fqdn: str) -> str | None:
        """Longest suffix of ``fqdn`` among the server's zones."""
        zones = self._call("GET", "/zones", "list zones") or []
        names = [str(zone.get("name", "")).rstrip(".").lower() for zone in zones]
        matches = [name for name in names if fqdn == name or fqdn.endswith("." + name)]
        return max(matches, key=len) if matches else None

    def rrsets(self, zone: str) -> list[dict[str, Any]]:
        # the whole zone: ?rrset_name= answered wrong RRsets for some names on 4.7.3
        body = self._call("GET", f"/zones/{zone_id(zone)}", f"read zone {zone}")
        return list((body or {}).get("rrsets") or [])

    def list_records(self, zone: str, names: set[str]) -> list[ExistingRecord]:
        found = []
        for rrset in managed(self.rrsets(zone), names):
            name = rrset["name"].rstrip(".").lower()
            for item in rrset.get("records") or []:
                record = from_presentation(name, rrset["type"], item["content"], rrset.get("ttl"))
                # record_id: the content as stored, so a change replaces exactly that record
                found.append(ExistingRecord(record, record_id=item["content"],
                                            disabled=bool(item.get("disabled"))))
        return found

    # -- writes ----------------------------------------------------------------------------
    def apply_changes(self, zone: str, changes: list[Change]) -> ApplyResult:
        if not changes:
            return ApplyResult(writes=0)
        touched = {(change.record.name, change.record.type) for change in changes}
        served = {(rrset["name"].rstrip(".").lower(), rrset["type"]): rrset
                  for rrset in managed(self.rrsets(zone), {name for name, _ in touched})}
        patch = [replacement(name, rtype, served.get((name, rtype)),
                             [c for c in changes if (c.record.name, c.record.type) == (name, rtype)])
                 for name, rtype in sorted(touched)]
        self._call("PATCH", f"/zones/{zone_id(zone)}", f"PATCH zone {zone}", {"rrsets": patch})
        return ApplyResult(writes=1)


def managed(rrsets: Iterable[dict[str, Any]], names: set[str]) -> list[dict[str, Any]]:
    return [rrset for rrset in rrsets if rrset.get("type") in MANAGED_TYPES
            and str(rrset.get("name", "")).rstrip(".").lower() in names]


def replacement(name: str, rtype: str, served: dict[str, Any] | None,
                changes: list[Change]) -> dict[str, Any]:
    """The RRset change for one name and type: the served records minus those the changes
    remove, plus those they add (REPLACE), or DELETE when none is left."""
    stored = {item["content"]: item for item in (served or {}).get("records") or []}
    values, ttl = after_changes(list(stored), (served or {}).get("ttl"), changes,
                                POWERDNS_INFO.default_ttl)
    # a record kept is sent as stored (its disabled flag too), one the plan writes enabled
    written = {presentation(c.after) for c in changes
               if c.after is not None and c.action in ("create", "update")}
    records = [{"content": value, "disabled": False} if value in written else stored[value]
               for value in values]
    fqdn = zone_id(name)
    if not records:
        return {"name": fqdn, "type": rtype, "changetype": "DELETE"}
    return {"name": fqdn, "type": rtype, "ttl": ttl, "changetype": "REPLACE", "records": records}


def to_mailops_error(action: str, result: HttpResult) -> MailopsError:
    body = result.body
    message = str(body.get("error", body) if isinstance(body, dict) else body)
    code = f"HTTP {result.status}"
    if result.status in (401, 403):
        return AuthError(f"PowerDNS refused {action}: the API key was not accepted", code=code,
                         provider_message=message,
                         hint="check powerdns_api_key against the server's api-key setting")
    if result.status == 404:
        return NotFoundError(f"PowerDNS {action}: no such zone on this server", code=code,
                             provider_message=message,
                             hint="create the zone in PowerDNS, or set dns_zone to one it holds")
    if result.status == 422:
        return ValidationError(f"PowerDNS rejected {action}", code=code, provider_message=message)
    return MailopsError(f"PowerDNS {action} failed", code=code, provider_message=message)


def build(arguments: dict, context: BuildContext) -> PowerdnsProvider:
    return PowerdnsProvider(**arguments)


PLUGIN = ProviderPlugin(
    info=POWERDNS_INFO,
    options=(
        ProviderOption("powerdns_api_url", "api_url",
                       "PowerDNS API base URL, the webserver's address (e.g. "
                       "C(http://127.0.0.1:8081)); the environment variable C(PDNS_SERVER_URL) "
                       "when not set.", required=True, env=("PDNS_SERVER_URL",)),
        ProviderOption("powerdns_api_key", "api_key",
                       "PowerDNS API key (the server's C(api-key)); the environment variable "
                       "C(PDNS_API_KEY) when not set.", required=True, secret=True,
                       env=("PDNS_API_KEY",)),
        ProviderOption("powerdns_server_id", "server_id", "PowerDNS server id in the API path.",
                       default="localhost"),
    ),
    build=build,
)
