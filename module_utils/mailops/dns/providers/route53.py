"""Amazon Route 53 through boto3 (API 2013-04-01).

Route 53 stores RRsets: ``apply_changes`` reads the touched names and types again and sends one
ChangeBatch per zone, applied all or none: CREATE for an RRset that is not there yet (Route 53
refuses it if someone made it meanwhile), UPSERT of the whole RRset (the records the zone holds
minus those the plan removes plus those it adds), DELETE repeating the current TTL and values.
It then asks ``GetChange`` until the change is ``INSYNC``.

The batch is checked here against what Route 53 enforces and moto's server (the tests' Route 53)
does not: TXT values as quoted character-strings of at most 255 bytes, CREATE of an existing
RRset, DELETE that does not repeat the current TTL and values, CNAME with one value, the
per-request limits. Requests are spaced to 5 per second (Route 53's historic account limit) by a
token bucket, and ``Throttling`` / ``PriorRequestNotComplete`` are retried with the shared
capped, jittered backoff (``retries.py``), botocore's own retries being off.
"""

from __future__ import annotations

import re
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
from ansible.module_utils.mailops.dns.records import ExistingRecord
from ansible.module_utils.mailops.dns.rrsets import after_changes, from_presentation
from ansible.module_utils.mailops.dns.txt import parse_quoted_strings
from ansible.module_utils.mailops.errors import (
    AuthError,
    ConflictError,
    MailopsError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    ValidationError,
    WaitTimeoutError,
)
from ansible.module_utils.mailops.retries import backoff_delay

ROUTE53_INFO = ProviderInfo(
    name="route53",
    default_ttl=600,
    min_ttl=0,
    min_ttl_rule="no floor (any TTL from 0)",
    txt_encoding="presentation",  # quoted character-strings of at most 255 bytes each
    bulk_writes=True,
    atomic_writes=True,  # one ChangeBatch: all of it or none
    one_ttl_per_rrset=True,
    requests_per_second=5.0,
)
MANAGED_TYPES = ("TXT", "MX", "CNAME")
RETRYABLE_CODES = ("Throttling", "ThrottlingException", "PriorRequestNotComplete",
                   "RequestLimitExceeded", "ServiceUnavailable", "InternalFailure")
AUTH_CODES = ("InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied",
              "AccessDeniedException", "UnrecognizedClientException", "ExpiredToken",
              "InvalidSignatureException", "MissingAuthenticationToken")
MAX_RECORDS_PER_BATCH = 1000
MAX_VALUE_CHARACTERS_PER_BATCH = 32000
PAGE_SIZE = "300"
OCTAL_ESCAPE = re.compile(r"\\(\d{3})")
IAM_HINT = ("give the credentials route53:ListHostedZonesByName, "
            "route53:ListResourceRecordSets, route53:ChangeResourceRecordSets and "
            "route53:GetChange on the hosted zone (docs/dns.md, Route 53)")


class Route53ApiError(Exception):
    """A botocore failure reduced to code and message (internal; turned into MailopsError)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def plain_name(name: str) -> str:
    """A name as Route 53 returns it (trailing dot, ``*`` as ``\\052``), as the plan names it."""
    return OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), name).rstrip(".").lower()


# -- what Route 53 enforces ------------------------------------------------------------------
def check_batch(changes: list[dict[str, Any]], served: dict[tuple[str, str], dict]) -> None:
    """Refuse, with Route 53's own words, a batch Route 53 would refuse (InvalidChangeBatch)."""
    problems = []
    records = characters = 0
    for change in changes:
        rrset = change["ResourceRecordSet"]
        key = (plain_name(rrset["Name"]), rrset["Type"])
        where = f"[name='{rrset['Name']}', type='{rrset['Type']}']"
        values = [item["Value"] for item in rrset.get("ResourceRecords", [])]
        weight = 2 if change["Action"] == "UPSERT" else 1
        records += weight * len(values)
        characters += weight * sum(len(value) for value in values)
        current = served.get(key)
        if change["Action"] == "CREATE" and current is not None:
            problems.append(f"Tried to create resource record set {where} but it already exists")
        if change["Action"] == "DELETE":
            if current is None:
                problems.append(f"Tried to delete resource record set {where} but it was not found")
            elif (current.get("TTL") != rrset.get("TTL")
                  or sorted(v["Value"] for v in current.get("ResourceRecords", [])) != sorted(values)):
                problems.append(f"Tried to delete resource record set {where} but the values "
                                "provided do not match the current values")
        if rrset["Type"] == "CNAME" and len(values) > 1:
            problems.append(f"RRSet of type CNAME with DNS name {rrset['Name']} is not "
                            "permitted because a CNAME can have only one value")
        if rrset["Type"] == "TXT":
            problems += [problem for value in values for problem in txt_problems(value)]
    if records > MAX_RECORDS_PER_BATCH or characters > MAX_VALUE_CHARACTERS_PER_BATCH:
        problems.append(f"the batch holds {records} records and {characters} value characters; "
                        f"Route 53 takes at most {MAX_RECORDS_PER_BATCH} and "
                        f"{MAX_VALUE_CHARACTERS_PER_BATCH} (an UPSERT counts twice)")
    if problems:
        raise ValidationError(
            "Route 53 would refuse the change batch: " + "; ".join(problems),
            code="InvalidChangeBatch",
            hint="nothing was sent; correct the record set named at Route 53, or run again if "
            "it changed since it was read",
        )


def txt_problems(value: str) -> list[str]:
    strings = parse_quoted_strings(value)
    if strings is None:
        return ["Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should "
                f"be enclosed in quotation marks) encountered with '{value[:60]}'"]
    return ["Invalid Resource Record: FATAL problem: CharacterStringTooLong (Value is too "
            f"long) encountered with '\"{string[:60]}…\"'"
            for string in strings if len(string.encode("utf-8")) > 255]


class Route53Provider(DNSProvider):
    info = ROUTE53_INFO

    def __init__(
        self,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        hosted_zone_id: str | None = None,
        change_timeout: float = 300.0,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 20.0,
        client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client or make_client(access_key_id, secret_access_key, session_token,
                                            profile, endpoint_url)
        per_second = ROUTE53_INFO.requests_per_second or 5.0
        self.bucket = TokenBucket(int(per_second * 3600), capacity=int(per_second),
                                  clock=clock, sleep=sleep)
        self.hosted_zone_id = hosted_zone_id
        self.change_timeout = change_timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.clock = clock
        self.zone_ids: dict[str, str] = {}
        self.calls = 0

    # -- transport -------------------------------------------------------------------------
    def call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        """One API call, spaced by the token bucket; Throttling and the like are retried with
        the shared backoff. Every call made here is a read or a whole-batch change that Route
        53 refuses as a whole when its CREATE/DELETE no longer match, so a retry is safe."""
        from botocore.exceptions import BotoCoreError, ClientError

        last: Route53ApiError | None = None
        for attempt in range(self.max_attempts):
            self.bucket.acquire()
            self.calls += 1
            try:
                return getattr(self.client, operation)(**arguments)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                last = Route53ApiError(str(error.get("Code", "")), str(error.get("Message", "")))
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if last.code not in RETRYABLE_CODES and status < 500:
                    raise to_mailops_error(operation, last) from None
            except BotoCoreError as exc:
                if "credential" in type(exc).__name__.lower():
                    raise AuthError(
                        "Route 53: no AWS credentials were found",
                        hint="set route53_access_key_id and route53_secret_access_key (vaulted), "
                        "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or route53_profile",
                    ) from None
                last = Route53ApiError(type(exc).__name__, str(exc))
            if attempt + 1 < self.max_attempts:
                self.sleep(backoff_delay(attempt, self.backoff_base, self.backoff_cap,
                                         floor=self.backoff_base / 2))
        if last is None:
            raise AssertionError("the loop ends on an error or returns")
        raise to_mailops_error(operation, last, self.max_attempts) from None

    # -- reads -----------------------------------------------------------------------------
    def find_zone(self, fqdn: str) -> str | None:
        if self.hosted_zone_id:
            zone = self.call("get_hosted_zone", Id=self.hosted_zone_id)["HostedZone"]
            return plain_name(zone["Name"])
        labels = fqdn.split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            if self.zone_id(candidate, missing_ok=True):
                return candidate
        return None

    def zone_id(self, zone: str, missing_ok: bool = False) -> str | None:
        """The public hosted zone named ``zone`` (``route53_hosted_zone_id`` when given)."""
        if self.hosted_zone_id:
            return self.hosted_zone_id
        if zone not in self.zone_ids:
            response = self.call("list_hosted_zones_by_name", DNSName=zone, MaxItems="10")
            # the list starts at the name and goes on to later ones; a private zone may share it
            found = [z["Id"].split("/")[-1] for z in response.get("HostedZones", [])
                     if plain_name(z["Name"]) == zone
                     and not (z.get("Config") or {}).get("PrivateZone")]
            if not found:
                if missing_ok:
                    return None
                raise NotFoundError(
                    f"Route 53 has no public hosted zone {zone} for these credentials",
                    hint="set dns_zone to a hosted zone of this account (or "
                    "route53_hosted_zone_id), or use that account's credentials",
                )
            self.zone_ids[zone] = found[0]
        return self.zone_ids[zone]

    def rrsets(self, zone: str) -> list[dict[str, Any]]:
        """Every RRset of the zone (paged)."""
        arguments: dict[str, Any] = {"HostedZoneId": self.zone_id(zone), "MaxItems": PAGE_SIZE}
        found: list[dict[str, Any]] = []
        while True:
            response = self.call("list_resource_record_sets", **arguments)
            found += response.get("ResourceRecordSets", [])
            if not response.get("IsTruncated"):
                return found
            arguments["StartRecordName"] = response["NextRecordName"]
            arguments["StartRecordType"] = response["NextRecordType"]
            if response.get("NextRecordIdentifier"):
                arguments["StartRecordIdentifier"] = response["NextRecordIdentifier"]

    def managed(self, zone: str, names: set[str]) -> dict[tuple[str, str], dict[str, Any]]:
        found = {}
        for rrset in self.rrsets(zone):
            key = (plain_name(rrset["Name"]), rrset["Type"])
            if key[0] not in names or key[1] not in MANAGED_TYPES:
                continue
            if "AliasTarget" in rrset or "SetIdentifier" in rrset:
                raise ValidationError(
                    f"Route 53 holds an alias or routing-policy record set at {key[0]} "
                    f"{key[1]}, which this project does not manage",
                    hint="remove it or move the sending domain to a name without one",
                )
            found[key] = rrset
        return found

    def list_records(self, zone: str, names: set[str]) -> list[ExistingRecord]:
        records = []
        for (name, rtype), rrset in sorted(self.managed(zone, names).items()):
            for item in rrset.get("ResourceRecords", []):
                record = from_presentation(name, rtype, item["Value"], rrset.get("TTL"))
                # record_id: the value as stored, so a change replaces exactly that record
                records.append(ExistingRecord(record, record_id=item["Value"]))
        return records

    # -- writes ----------------------------------------------------------------------------
    def apply_changes(self, zone: str, changes: list[Change]) -> ApplyResult:
        if not changes:
            return ApplyResult(writes=0)
        touched = sorted({(change.record.name, change.record.type) for change in changes})
        served = self.managed(zone, {name for name, _ in touched})
        batch = [change_for(name, rtype, served.get((name, rtype)),
                            [c for c in changes if (c.record.name, c.record.type) == (name, rtype)])
                 for name, rtype in touched]
        check_batch(batch, served)
        response = self.call("change_resource_record_sets", HostedZoneId=self.zone_id(zone),
                             ChangeBatch={"Comment": "mailops", "Changes": batch})
        self.wait_insync(response["ChangeInfo"])
        return ApplyResult(writes=1)

    def wait_insync(self, change_info: dict[str, Any]) -> None:
        """GetChange until the change is INSYNC on every Route 53 nameserver."""
        change_id = change_info["Id"].split("/")[-1]
        status = change_info.get("Status")
        deadline = self.clock() + self.change_timeout
        attempt = 0
        while status != "INSYNC":
            if self.clock() >= deadline:
                raise WaitTimeoutError(
                    f"Route 53 change {change_id} is still {status} after "
                    f"{self.change_timeout:.0f} s",
                    hint="it is applied and will reach every Route 53 nameserver; run again later",
                )
            self.sleep(min(2.0 + attempt, 10.0))
            attempt += 1
            status = self.call("get_change", Id=change_id)["ChangeInfo"]["Status"]


def change_for(name: str, rtype: str, served: dict[str, Any] | None,
               changes: list[Change]) -> dict[str, Any]:
    """One RRset's change: CREATE when none is there, DELETE (the current TTL and values) when
    none is left, else UPSERT of the whole RRset as it is to be."""
    values, ttl = after_changes([item["Value"] for item in (served or {}).get("ResourceRecords", [])],
                                (served or {}).get("TTL"), changes, ROUTE53_INFO.default_ttl)
    fqdn = name + "."
    if not values:
        return {"Action": "DELETE", "ResourceRecordSet": {
            "Name": fqdn, "Type": rtype, "TTL": served["TTL"] if served else 0,
            "ResourceRecords": (served or {}).get("ResourceRecords", [])}}
    return {"Action": "CREATE" if served is None else "UPSERT", "ResourceRecordSet": {
        "Name": fqdn, "Type": rtype, "TTL": ttl,
        "ResourceRecords": [{"Value": value} for value in values]}}


def to_mailops_error(operation: str, error: Route53ApiError, attempts: int = 1) -> MailopsError:
    code, message = error.code, error.message
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    if code in AUTH_CODES:
        return AuthError(f"Route 53 refused {operation}: the AWS credentials were not accepted",
                         code=code, provider_message=message, hint=IAM_HINT)
    if code in ("Throttling", "ThrottlingException", "PriorRequestNotComplete",
                "RequestLimitExceeded"):
        return RateLimitedError(f"Route 53 {operation} was throttled{tried}", code=code,
                                provider_message=message)
    if code in ("NoSuchHostedZone", "NoSuchChange"):
        return NotFoundError(f"Route 53 {operation}: {message}", code=code,
                             provider_message=message,
                             hint="set dns_zone or route53_hosted_zone_id to a zone of this account")
    if code in ("InvalidChangeBatch", "InvalidInput"):
        if "already exists" in message or "do not match" in message:
            return ConflictError(f"Route 53 refused {operation}", code=code,
                                 provider_message=message,
                                 hint="a record changed at Route 53 since it was read: run again")
        return ValidationError(f"Route 53 rejected {operation}", code=code,
                               provider_message=message)
    if code in RETRYABLE_CODES or code.endswith(("Error", "Timeout")):
        return TransientError(f"Route 53 {operation} failed{tried}", code=code,
                              provider_message=message)
    return MailopsError(f"Route 53 {operation} failed", code=code, provider_message=message)


SESSIONS: dict[str | None, Any] = {}  # per profile: a session loads the API models once


def make_client(access_key_id: str | None, secret_access_key: str | None,
                session_token: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    """A boto3 Route 53 client; without keys, boto3's own chain (environment, profile, role).
    botocore's retries are off: ``Route53Provider.call`` retries with the shared backoff."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ValidationError("boto3 is not installed", hint="pip install boto3") from None
    if profile not in SESSIONS:
        SESSIONS[profile] = boto3.session.Session(profile_name=profile)
    return SESSIONS[profile].client(
        "route53",
        region_name="us-east-1",
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
        endpoint_url=endpoint_url,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=30),
    )


def build(arguments: dict, context: BuildContext) -> Route53Provider:
    return Route53Provider(**arguments)


PLUGIN = ProviderPlugin(
    info=ROUTE53_INFO,
    options=(
        ProviderOption("route53_access_key_id", "access_key_id",
                       "AWS access key id; else C(AWS_ACCESS_KEY_ID), a profile, or an "
                       "instance role (boto3's chain).", env=("AWS_ACCESS_KEY_ID",)),
        ProviderOption("route53_secret_access_key", "secret_access_key",
                       "AWS secret access key; else C(AWS_SECRET_ACCESS_KEY).", secret=True,
                       env=("AWS_SECRET_ACCESS_KEY",)),
        ProviderOption("route53_session_token", "session_token",
                       "AWS session token of temporary credentials; else C(AWS_SESSION_TOKEN).",
                       secret=True, env=("AWS_SESSION_TOKEN",)),
        ProviderOption("route53_profile", "profile",
                       "AWS profile (C(~/.aws/config)); else C(AWS_PROFILE).",
                       env=("AWS_PROFILE",)),
        ProviderOption("route53_endpoint_url", "endpoint_url",
                       "Route 53 API endpoint (only for a local emulator, the sandbox's moto); "
                       "else C(AWS_ENDPOINT_URL_ROUTE_53).", env=("AWS_ENDPOINT_URL_ROUTE_53",)),
        ProviderOption("route53_hosted_zone_id", "hosted_zone_id",
                       "Hosted zone id, when the zone's name is not enough (a public and a "
                       "private zone of one name)."),
    ),
    build=build,
)
