"""Cloudflare through API v4, using the official ``cloudflare`` SDK (``Cloudflare(api_token=)``).

Cloudflare stores one record per value, each with its id: a plan's create is a POST, its update
a PATCH of that record, its delete a DELETE, one request each, so a run that stops half way has
written some records and not others (``atomic_writes`` False; a rerun finishes the job). TXT
content is sent as quoted character-strings of at most 255 bytes joined by a space, as
Cloudflare documents it; content is compared as the text it encodes, whatever split or quoting
Cloudflare (or a person in the dashboard) stored. ``ttl`` 1 is Cloudflare's "automatic".

Requests are spaced by a token bucket to Cloudflare's 1200 per 5 minutes per token; a 429 is
retried with the shared capped, jittered backoff (``retries.py``), waiting at least what
``retry-after`` asks; the SDK's own retries are off. A write whose answer was lost is re-read
before it is sent again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
from ansible.module_utils.mailops.dns.ratelimit import TokenBucket
from ansible.module_utils.mailops.dns.records import ExistingRecord, Record, make_record
from ansible.module_utils.mailops.dns.txt import quote_txt
from ansible.module_utils.mailops.errors import (
    AuthError,
    ConflictError,
    MailopsError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from ansible.module_utils.mailops.retries import backoff_delay, call_with_retries

CLOUDFLARE_INFO = ProviderInfo(
    name="cloudflare",
    default_ttl=600,
    min_ttl=60,
    min_ttl_rule="60 s (enterprise zones 30 s); 1 means automatic",
    txt_encoding="presentation",  # quoted character-strings of at most 255 bytes each
    bulk_writes=False,
    atomic_writes=False,  # one request per record: a stopped run leaves some written
    requests_per_hour=1200 * 12,  # 1200 per 5 minutes per token, dashboard included
)
MIN_TTL_BY_PLAN = {"enterprise": 30}
MANAGED_TYPES = ("TXT", "MX", "CNAME")
PAGE_SIZE = 100
RETRY_AFTER_CAP_S = 60.0
EXISTS_CODES = (81057, 81058)  # "The record already exists." / "An identical record ..."
GONE_CODES = (81044,)  # "Record does not exist."
AUTH_CODES = (9106, 9109, 10000, 6003, 6111, 9103)
TOKEN_HINT = ("create an API token with the permission Zone > DNS > Edit on this zone only "
              "(docs/dns.md, Cloudflare) and set cloudflare_api_token (vaulted) or "
              "CLOUDFLARE_API_TOKEN")


class CloudflareApiError(Exception):
    """An SDK failure reduced to status, code and message (internal; turned into MailopsError).
    ``status`` 0: no answer (connection broken or timed out)."""

    def __init__(self, status: int, code: int, message: str, retry_after: float = 0.0) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def from_sdk_error(error: Exception) -> CloudflareApiError:
    import cloudflare

    if isinstance(error, cloudflare.APIStatusError):
        body = error.body if isinstance(error.body, dict) else {}
        items = body.get("errors") or [{}]
        first = items[0] if isinstance(items[0], dict) else {}
        chain = first.get("error_chain") or []
        detail = chain[0] if chain and isinstance(chain[0], dict) else first
        message = str(detail.get("message") or first.get("message") or error.message)
        code = int(detail.get("code") or first.get("code") or 0)
        retry_after = error.response.headers.get("retry-after", "") if error.response else ""
        return CloudflareApiError(error.status_code, code, message,
                                  float(retry_after) if retry_after.isdigit() else 0.0)
    return CloudflareApiError(0, 0, f"{type(error).__name__}: {error}")


def is_retryable(error: Exception) -> bool:
    return isinstance(error, CloudflareApiError) and (
        error.status in (0, 429) or error.status >= 500)


def to_mailops_error(action: str, error: CloudflareApiError, attempts: int = 1) -> MailopsError:
    code, message = str(error.code or error.status), error.message
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    if error.code in AUTH_CODES or error.status in (401, 403):
        return AuthError(f"Cloudflare refused {action}: the API token was not accepted for it",
                         code=code, provider_message=message, hint=TOKEN_HINT)
    if error.status == 429:
        return RateLimitedError(f"Cloudflare {action} was rate limited{tried}", code=code,
                                provider_message=message,
                                hint="the token's 1200 requests per 5 minutes are shared with "
                                "the dashboard and other tools: run again in 5 minutes")
    if error.status == 0 or error.status >= 500:
        return TransientError(f"Cloudflare {action} failed{tried}", code=code,
                              provider_message=message)
    if error.code in GONE_CODES or error.code == 7003 or error.status == 404:
        return NotFoundError(f"Cloudflare {action}: {message}", code=code,
                             provider_message=message,
                             hint="the zone or record is gone or not this token's: run again")
    if error.code in EXISTS_CODES or error.code in (81053, 81054):
        return ConflictError(f"Cloudflare refused {action}", code=code, provider_message=message,
                             hint="a record changed at Cloudflare since it was read: run again")
    if error.status == 400:
        return ValidationError(f"Cloudflare rejected {action}", code=code,
                               provider_message=message)
    return MailopsError(f"Cloudflare {action} failed", code=code, provider_message=message)


def record_from_item(item: Any) -> ExistingRecord:
    """An ExistingRecord from an SDK record (TXTRecord, MXRecord, CNAMERecord)."""
    rtype = str(item.type).upper()
    ttl = int(item.ttl) if item.ttl is not None else None
    priority = int(item.priority) if rtype == "MX" and item.priority is not None else None
    record = make_record(str(item.name) + ".", rtype, str(item.content), ttl=ttl,
                         priority=priority)
    return ExistingRecord(record, record_id=str(item.id))


def write_fields(record: Record) -> dict[str, Any]:
    """The body of a create or patch: content as Cloudflare documents it, proxied off."""
    if record.value is None or record.name is None:
        raise ValidationError(f"{record.describe()} has no value yet and cannot be written",
                              hint="run without check mode so the value is known")
    fields: dict[str, Any] = {
        "name": record.name, "type": record.type,
        "content": quote_txt(record.value) if record.type == "TXT" else record.value,
        "ttl": record.ttl if record.ttl is not None else CLOUDFLARE_INFO.default_ttl,
        "proxied": False,
    }
    if record.type == "MX":
        fields["priority"] = record.priority or 0
    return fields


class CloudflareProvider(DNSProvider):
    info = CLOUDFLARE_INFO

    def __init__(
        self,
        api_token: str,
        base_url: str | None = None,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 20.0,
        timeout: float = 30.0,
        client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client or make_client(api_token, base_url, timeout)
        per_hour = CLOUDFLARE_INFO.requests_per_hour or 14400
        self.bucket = TokenBucket(per_hour, capacity=per_hour // 12, clock=clock, sleep=sleep)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.zones: dict[str, dict[str, str]] = {}  # name -> {"id", "plan"}
        self.calls = 0

    # -- transport -------------------------------------------------------------------------
    def _call_once(self, call: Callable[[], Any]) -> Any:
        self.bucket.acquire()
        self.calls += 1
        try:
            return call()
        except Exception as error:
            if type(error).__module__.startswith("cloudflare"):
                raise from_sdk_error(error) from None
            raise

    def _pause(self, attempt: int, error: list[CloudflareApiError]) -> None:
        delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap,
                              floor=self.backoff_base / 2)
        if error and error[0].retry_after:
            delay = max(delay, min(error[0].retry_after, RETRY_AFTER_CAP_S))
        self.sleep(delay)

    def request(self, action: str, call: Callable[[], Any],
                landed: Callable[[], bool] | None = None) -> Any:
        """One SDK call with retries on 429, 5xx and a broken connection; a write whose answer
        was lost (``landed``) is re-read before it is sent again."""
        last: list[CloudflareApiError] = []

        def once() -> Any:
            try:
                return self._call_once(call)
            except CloudflareApiError as error:
                last[:] = [error]
                raise

        try:
            return call_with_retries(
                once, attempts=self.max_attempts, retryable=is_retryable,
                unsure=lambda error: getattr(error, "status", None) == 0,
                landed=landed, landed_result=None,
                pause=lambda attempt: self._pause(attempt, last))
        except CloudflareApiError as error:
            attempts = self.max_attempts if is_retryable(error) else 1
            raise to_mailops_error(action, error, attempts) from None

    # -- reads -----------------------------------------------------------------------------
    def account_zones(self) -> dict[str, dict[str, str]]:
        """Every zone the token may see (zones list, 50 a page)."""
        if not self.zones:
            page_number = 1
            while True:
                page = self.request("list zones", lambda n=page_number: self.client.zones.list(
                    page=n, per_page=50))
                for zone in page.result:
                    plan = getattr(getattr(zone, "plan", None), "legacy_id", None) or "free"
                    self.zones[str(zone.name).lower()] = {"id": str(zone.id), "plan": str(plan)}
                if len(page.result) < 50:
                    break
                page_number += 1
        return self.zones

    def find_zone(self, fqdn: str) -> str | None:
        matches = [name for name in self.account_zones()
                   if fqdn == name or fqdn.endswith("." + name)]
        return max(matches, key=len) if matches else None

    def zone_id(self, zone: str) -> str:
        found = self.account_zones().get(zone)
        if found is None:
            raise NotFoundError(
                f"Cloudflare has no zone {zone} that this API token may edit",
                hint="set dns_zone to a zone of the token, or give the token Zone > DNS > Edit "
                "on it (docs/dns.md, Cloudflare)")
        return found["id"]

    def min_ttl(self, zone: str) -> int:
        plan = (self.account_zones().get(zone) or {}).get("plan", "")
        return MIN_TTL_BY_PLAN.get(plan, CLOUDFLARE_INFO.min_ttl)

    def records(self, zone: str, fqdn: str | None) -> list[Any]:
        """The zone's records at ``fqdn`` (``name.exact``), or all of them when None; paged at
        100, ending at a short page (not at the empty page the SDK's iteration asks for)."""
        zone_id = self.zone_id(zone)
        where = {"name": {"exact": fqdn}} if fqdn else {}
        items: list[Any] = []
        page_number = 1
        while True:
            page = self.request(f"list records of {fqdn or zone}", lambda n=page_number: (
                self.client.dns.records.list(zone_id=zone_id, page=n, per_page=PAGE_SIZE,
                                             **where)))
            items += page.result
            if len(page.result) < PAGE_SIZE:
                return items
            page_number += 1

    def list_records(self, zone: str, names: set[str]) -> list[ExistingRecord]:
        """One name: its records; several: the whole zone, filtered here (a mail zone fits in
        a page or two, fewer requests against the token's limit than one list per name)."""
        items = self.records(zone, next(iter(names)) if len(names) == 1 else None)
        return [record_from_item(item) for item in items
                if str(item.name).lower() in names and str(item.type) in MANAGED_TYPES]

    def served(self, zone: str, record: Record) -> bool:
        """The record is at Cloudflare as the plan wants it (a lost write's re-read)."""
        return any(entry.record.same_data(record) and entry.record.ttl == record.ttl
                   for entry in self.list_records(zone, {record.name or ""}))

    # -- writes ----------------------------------------------------------------------------
    def create(self, zone: str, record: Record) -> None:
        fields, zone_id = write_fields(record), self.zone_id(zone)
        try:
            self.request(f"create {record.describe()}",
                         lambda: self.client.dns.records.create(zone_id=zone_id, **fields),
                         landed=lambda: self.served(zone, record))
        except ConflictError as error:
            # an identical record is there already (a create whose answer was lost): done
            if error.code not in {str(c) for c in EXISTS_CODES} or not self.served(zone, record):
                raise

    def update(self, zone: str, record_id: str, record: Record) -> None:
        fields, zone_id = write_fields(record), self.zone_id(zone)
        self.request(f"update {record.describe()}",
                     lambda: self.client.dns.records.edit(record_id, zone_id=zone_id, **fields),
                     landed=lambda: self.served(zone, record))

    def delete(self, zone: str, record_id: str, record: Record) -> None:
        zone_id = self.zone_id(zone)
        try:
            self.request(f"delete {record.describe()}",
                         lambda: self.client.dns.records.delete(record_id, zone_id=zone_id))
        except NotFoundError as error:
            if error.code not in {str(c) for c in GONE_CODES}:  # already gone: done
                raise

    def apply_changes(self, zone: str, changes: list[Change]) -> ApplyResult:
        writes = 0
        for change in changes:
            if change.action == "create" and change.after is not None:
                self.create(zone, change.after)
            elif change.action == "update" and change.after is not None and change.record_id:
                self.update(zone, change.record_id, change.after)
            elif change.action == "delete" and change.before is not None and change.record_id:
                self.delete(zone, change.record_id, change.before)
            else:
                continue
            writes += 1
        return ApplyResult(writes=writes)


CLIENTS: dict[tuple[str, str | None, float], Any] = {}  # one per token: each loads TLS anew


def make_client(api_token: str, base_url: str | None, timeout: float) -> Any:
    """The SDK's client, its own retries off (``request`` retries with the shared backoff)."""
    key = (api_token, base_url, timeout)
    if key not in CLIENTS:
        CLIENTS[key] = new_client(api_token, base_url, timeout)
    return CLIENTS[key]


def new_client(api_token: str, base_url: str | None, timeout: float) -> Any:
    try:
        from cloudflare import Cloudflare
    except ImportError:
        raise ValidationError("the cloudflare SDK is not installed",
                              hint="pip install cloudflare (requirements.txt)") from None
    client = Cloudflare(api_token=api_token, base_url=base_url or None, max_retries=0,
                        timeout=timeout)
    # the token only: the SDK would send a global key from CLOUDFLARE_API_KEY/CLOUDFLARE_EMAIL
    # (read from the environment) in its place
    client.api_key = client.api_email = client.user_service_key = None
    return client


def build(arguments: dict, context: BuildContext) -> CloudflareProvider:
    return CloudflareProvider(**arguments)


PLUGIN = ProviderPlugin(
    info=CLOUDFLARE_INFO,
    options=(
        ProviderOption("cloudflare_api_token", "api_token",
                       "Cloudflare API token with Zone > DNS > Edit on the zone (provider "
                       "cloudflare); the environment variable C(CLOUDFLARE_API_TOKEN) when not "
                       "set.", required=True, secret=True, env=("CLOUDFLARE_API_TOKEN",)),
        ProviderOption("cloudflare_api_base_url", "base_url",
                       "Cloudflare API base URL, C(/client/v4) included (only for a local "
                       "emulator, the sandbox's); else C(CLOUDFLARE_BASE_URL), else "
                       "Cloudflare's.", env=("CLOUDFLARE_BASE_URL",)),
    ),
    build=build,
)
