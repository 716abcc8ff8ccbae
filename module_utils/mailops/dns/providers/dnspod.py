"""DNSPod through Tencent Cloud API 3.0, using the official SDK (it owns TC3 signing)."""

from __future__ import annotations

import time
from collections.abc import Callable

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
from ansible.module_utils.mailops.dns.records import (
    ExistingRecord,
    Record,
    make_record,
    relative_name,
)
from ansible.module_utils.mailops.errors import (
    AuthError,
    MailopsError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from ansible.module_utils.mailops.retries import backoff_delay, call_with_retries

try:
    from tencentcloud.common import credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
        TencentCloudSDKException,
    )
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.dnspod.v20210323.dnspod_client import DnspodClient

    HAS_SDK = True
except ImportError:  # pragma: no cover - reported by the module
    HAS_SDK = False
    TencentCloudSDKException = Exception  # type: ignore[assignment,misc]

DNSPOD_INFO = ProviderInfo(
    name="dnspod",
    default_ttl=600,
    min_ttl=600,
    min_ttl_rule="by plan (DescribeDomain Grade): free plans 600 s, paid plans lower",
    txt_encoding="raw",
    bulk_writes=False,
    requests_per_hour=3600,
)
# TTL floor per DNSPod plan code (DomainInfo.Grade); unknown grades fall back to 600.
MIN_TTL_BY_GRADE = {
    "DP_Free": 600,
    "D_Free": 600,
    "DP_Pro": 120,
    "DP_Plus": 120,
    "D_Plus": 120,
    "DP_Extra": 60,
    "D_Extra": 60,
    "DP_Expert": 1,
    "D_Expert": 1,
    "DP_Ultra": 1,
    "D_Ultra": 1,
}
DEFAULT_LINE = "默认"
DEFAULT_LINE_ID = "0"
PAGE_LIMIT = 100
MANAGED_TYPES = ("TXT", "MX", "CNAME")
RETRYABLE_PREFIXES = ("RequestLimitExceeded", "FailedOperation.FrequencyLimit", "InternalError")
RATE_LIMIT_PREFIXES = ("RequestLimitExceeded", "FailedOperation.FrequencyLimit")
NETWORK_CODES = ("ClientNetworkError", "ServerNetworkError", "FailedOperation.UnknowError")
AUTH_PREFIXES = ("AuthFailure", "UnauthorizedOperation", "OperationDenied", "InvalidCredential")
NOT_FOUND_CODES = (
    "InvalidParameterValue.DomainNotExists",
    "FailedOperation.NotDomainOwner",
    "InvalidParameter.DomainIdInvalid",
    "ResourceNotFound.NoDataOfDomain",
)


class DnspodApiError(Exception):
    """An SDK failure reduced to code and message (internal; turned into MailopsError)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _is_retryable(code: str) -> bool:
    return code.startswith(RETRYABLE_PREFIXES) or code in NETWORK_CODES


def to_mailops_error(action: str, error: DnspodApiError, attempts: int = 1) -> MailopsError:
    """Map a DNSPod error code to the mailops error class carrying code and message."""
    code, message = error.code, error.message
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    if code.startswith(AUTH_PREFIXES):
        return AuthError(
            f"DNSPod refused {action}: the API credentials were not accepted",
            code=code,
            provider_message=message,
            hint="check dnspod_secret_id/dnspod_secret_key and that the key may manage DNS "
            "records (CAM policy QcloudDNSPodFullAccess)",
        )
    if code.startswith(RATE_LIMIT_PREFIXES):
        return RateLimitedError(
            f"DNSPod {action} was rate limited{tried}", code=code, provider_message=message
        )
    if _is_retryable(code):
        return TransientError(f"DNSPod {action} failed{tried}", code=code, provider_message=message)
    if code in NOT_FOUND_CODES:
        return NotFoundError(
            f"DNSPod {action}: the zone is not in this DNSPod account",
            code=code,
            provider_message=message,
            hint="set zone to a domain of this account, or use that account's credentials",
        )
    if code.startswith(("InvalidParameter", "LimitExceeded", "MissingParameter")):
        return ValidationError(f"DNSPod rejected {action}", code=code, provider_message=message)
    return MailopsError(f"DNSPod {action} failed", code=code, provider_message=message)


def record_from_item(item: dict, zone: str) -> ExistingRecord:
    """An ExistingRecord from a DescribeRecordList ``RecordList`` item."""
    host = item.get("Name") or "@"
    fqdn = zone if host == "@" else f"{host}.{zone}"
    rtype = str(item.get("Type", "")).upper()
    record = make_record(
        fqdn + ".",
        rtype,
        str(item.get("Value", "")),
        ttl=item.get("TTL"),
        priority=item.get("MX") if rtype == "MX" else None,
    )
    return ExistingRecord(
        record=record,
        record_id=str(item.get("RecordId")),
        disabled=str(item.get("Status", "ENABLE")).upper() == "DISABLE",
    )


class DnspodProvider(DNSProvider):
    info = DNSPOD_INFO

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        endpoint: str = "dnspod.tencentcloudapi.com",
        scheme: str = "https",
        requests_per_hour: int = 3600,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 20.0,
        timeout: int = 30,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not HAS_SDK:
            raise ValidationError(
                "the Tencent Cloud SDK is not installed",
                hint="pip install tencentcloud-sdk-python-common tencentcloud-sdk-python-dnspod",
            )
        if not secret_id or not secret_key:
            raise AuthError(
                "DNSPod credentials are missing",
                hint="set dnspod_secret_id and dnspod_secret_key (vaulted)",
            )
        http_profile = HttpProfile(endpoint=endpoint, protocol=scheme, reqTimeout=timeout)
        http_profile.scheme = scheme
        profile = ClientProfile(httpProfile=http_profile)
        self.client = DnspodClient(credential.Credential(secret_id, secret_key), "", profile)
        self.bucket = TokenBucket(requests_per_hour, clock=clock, sleep=sleep)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.min_ttl_by_zone: dict[str, int] = {}
        self.warnings: list[str] = []
        self.calls = 0

    # -- transport -------------------------------------------------------------------------
    def _call_once(self, action: str, params: dict) -> dict:
        self.bucket.acquire()
        self.calls += 1
        try:
            body = self.client.call_json(action, params)
        except TencentCloudSDKException as exc:
            raise DnspodApiError(str(exc.get_code()), str(exc.get_message())) from exc
        return body.get("Response", {})

    def call(
        self,
        action: str,
        params: dict,
        already_done: Callable[[], bool] | None = None,
    ) -> dict:
        """Call an action with bounded, jittered retries on throttling and transient errors.

        For writes, ``already_done`` re-reads after a broken connection: when the write turns
        out to have happened, the call is done and is not repeated (no duplicates).
        """
        return call_with_retries(
            lambda: self._call_once(action, params), attempts=self.max_attempts,
            retryable=lambda error: isinstance(error, DnspodApiError) and _is_retryable(error.code),
            unsure=lambda error: error.code in NETWORK_CODES,
            landed=already_done, landed_result={},
            pause=lambda attempt: self.sleep(backoff_delay(
                attempt, self.backoff_base, self.backoff_cap, floor=self.backoff_base / 2)))

    def _request(
        self, action: str, params: dict, already_done: Callable[[], bool] | None = None
    ) -> dict:
        try:
            return self.call(action, params, already_done)
        except DnspodApiError as exc:
            raise to_mailops_error(
                action, exc, self.max_attempts if _is_retryable(exc.code) else 1
            ) from None

    # -- reads -----------------------------------------------------------------------------
    def find_zone(self, fqdn: str) -> str | None:
        """Longest-suffix match of ``fqdn`` over the account's domains (DescribeDomainList)."""
        domains: list[str] = []
        offset = 0
        while True:
            try:
                response = self.call(
                    "DescribeDomainList", {"Type": "ALL", "Offset": offset, "Limit": 3000}
                )
            except DnspodApiError as exc:
                if exc.code == "ResourceNotFound.NoDataOfDomain":
                    break
                raise to_mailops_error("DescribeDomainList", exc) from None
            page = response.get("DomainList") or []
            domains += [str(item.get("Punycode") or item.get("Name", "")).lower() for item in page]
            total = (response.get("DomainCountInfo") or {}).get("AllTotal", len(domains))
            if len(page) < 3000 or len(domains) >= total:
                break
            offset += len(page)
        matches = [d for d in domains if fqdn == d or fqdn.endswith("." + d)]
        return max(matches, key=len) if matches else None

    def min_ttl(self, zone: str) -> int:
        if zone not in self.min_ttl_by_zone:
            response = self._request("DescribeDomain", {"Domain": zone})
            grade = str((response.get("DomainInfo") or {}).get("Grade", ""))
            self.min_ttl_by_zone[zone] = MIN_TTL_BY_GRADE.get(grade, DNSPOD_INFO.min_ttl)
        return self.min_ttl_by_zone[zone]

    def list_at(self, zone: str, fqdn: str) -> list[ExistingRecord]:
        return self._list(zone, {fqdn}, relative_name(fqdn, zone))

    def list_records(self, zone: str, names: set[str]) -> list[ExistingRecord]:
        """One paged DescribeRecordList over the whole zone (a mail zone fits in one page of
        3000), filtered here: fewer calls against the account's hourly cap than one per name."""
        if len(names) == 1:
            return self.list_at(zone, next(iter(names)))
        return self._list(zone, names, None)

    def _list(self, zone: str, names: set[str], host: str | None) -> list[ExistingRecord]:
        hosts = {relative_name(fqdn, zone).lower() for fqdn in names}
        items: list[dict] = []
        offset = 0
        while True:
            params: dict[str, object] = {"Domain": zone, "Offset": offset, "Limit": PAGE_LIMIT}
            if host is not None:
                params.update({"Subdomain": host, "SubDomain": host})
            try:
                response = self.call("DescribeRecordList", params)
            except DnspodApiError as exc:
                if exc.code == "ResourceNotFound.NoDataOfRecord":
                    break
                raise to_mailops_error("DescribeRecordList", exc) from None
            page = response.get("RecordList") or []
            items += page
            total = (response.get("RecordCountInfo") or {}).get("TotalCount", len(items))
            if len(page) < PAGE_LIMIT or len(items) >= total:
                break
            offset += len(page)
        return [
            record_from_item(item, zone)
            for item in items
            if str(item.get("Name", "")).lower() in hosts
            and str(item.get("Type", "")).upper() in MANAGED_TYPES
        ]

    # -- writes ----------------------------------------------------------------------------
    def _write_params(self, zone: str, record: Record) -> dict:
        if record.value is None:
            raise ValidationError(
                f"{record.describe()} has no value yet and cannot be written",
                hint="run without check mode so the value is known",
            )
        params: dict[str, object] = {
            "Domain": zone,
            "SubDomain": relative_name(record.name, zone),
            "RecordType": record.type,
            "RecordLine": DEFAULT_LINE,
            "RecordLineId": DEFAULT_LINE_ID,
            "Value": record.value,
            "TTL": record.ttl if record.ttl is not None else self.min_ttl(zone),
        }
        if record.type == "MX":
            params["MX"] = record.priority or 0
        return params

    def _is_served(self, zone: str, record: Record) -> bool:
        return any(
            not entry.disabled and entry.record.same_data(record)
            and entry.record.ttl in (None, record.ttl)
            for entry in self.list_at(zone, record.name)
        )

    def create(self, zone: str, record: Record) -> None:
        params = self._write_params(zone, record)
        try:
            self.call("CreateRecord", params, already_done=lambda: self._is_served(zone, record))
        except DnspodApiError as exc:
            if exc.code != "InvalidParameter.DomainRecordExist":
                raise to_mailops_error(
                    f"CreateRecord {record.describe()}",
                    exc,
                    self.max_attempts if _is_retryable(exc.code) else 1,
                ) from None
            if not self._is_served(zone, record):
                raise to_mailops_error(
                    f"CreateRecord {record.describe()} (exists but not found on re-read)", exc
                ) from None

    def modify(self, zone: str, record_id: str, record: Record) -> None:
        params = self._write_params(zone, record)
        params["RecordId"] = int(record_id)
        params["Status"] = "ENABLE"
        try:
            self.call("ModifyRecord", params, already_done=lambda: self._is_served(zone, record))
        except DnspodApiError as exc:
            raise to_mailops_error(
                f"ModifyRecord {record.describe()}",
                exc,
                self.max_attempts if _is_retryable(exc.code) else 1,
            ) from None

    def delete(self, zone: str, record_id: str, record: Record) -> None:
        try:
            self.call("DeleteRecord", {"Domain": zone, "RecordId": int(record_id)})
        except DnspodApiError as exc:
            if exc.code != "InvalidParameter.RecordIdInvalid":
                raise to_mailops_error(
                    f"DeleteRecord {record.describe()}",
                    exc,
                    self.max_attempts if _is_retryable(exc.code) else 1,
                ) from None

    def apply_changes(self, zone: str, changes: list[Change]) -> ApplyResult:
        writes = 0
        for change in changes:
            if change.action == "create" and change.after is not None:
                self.create(zone, change.after)
            elif change.action == "update" and change.after is not None and change.record_id:
                self.modify(zone, change.record_id, change.after)
            elif change.action == "delete" and change.before is not None and change.record_id:
                self.delete(zone, change.record_id, change.before)
            writes += 1
        return ApplyResult(writes=writes)


def build(arguments: dict, context: BuildContext) -> DnspodProvider:
    return DnspodProvider(**arguments)


PLUGIN = ProviderPlugin(
    info=DNSPOD_INFO,
    options=(
        ProviderOption("dnspod_secret_id", "secret_id", "Tencent Cloud SecretId (provider dnspod).",
                       required=True),
        ProviderOption("dnspod_secret_key", "secret_key",
                       "Tencent Cloud SecretKey (provider dnspod).", required=True, secret=True),
        ProviderOption("dnspod_api_endpoint", "endpoint",
                       "DNSPod API endpoint host (C(dnspod.intl.tencentcloudapi.com) for the "
                       "international site).", default="dnspod.tencentcloudapi.com"),
        ProviderOption("dnspod_api_scheme", "scheme",
                       "URL scheme of the DNSPod API (C(http) only for the local sandbox).",
                       default="https", choices=("https", "http")),
    ),
    build=build,
)
