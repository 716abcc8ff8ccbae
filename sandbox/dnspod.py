"""DNSPod through Tencent Cloud API 3.0 (service ``dnspod``, version ``2021-03-23``), emulated.

Follows the fidelity checklist of the DNS provider reference (section A.10): POST ``/`` only,
dispatch on ``X-TC-Action``, TC3-HMAC-SHA256 verified from the headers the client signed,
HTTP 200 with ``Content-Type: application/json`` and ``Response.RequestId`` on every answer,
errors as ``Response.Error``. Zones and records live in SQLite (tables ``dnspod_*``); the
authoritative DNS server (``sandbox/dns_server.py``) serves them from there.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
import uuid
import zlib
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox import tc3
from sandbox.core import Request, RequestName, Response, Store

API_VERSION = "2021-03-23"
SERVICE = "dnspod"
DEFAULT_LINE = "默认"
DEFAULT_LINE_ID = "0"
LINE_NAMES = {"默认", "Default", "default"}
SYSTEM_NS = ("ns1.dnspod.net.", "ns2.dnspod.net.")
SYSTEM_NS_TTL = 86400
DEFAULT_TTL = 600
MAX_TTL = 604800
DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 3000
MAX_VALUE_LENGTH = 4096
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "CAA", "SRV")
# Smallest TTL each plan allows (DescribePackageDetail's MinTtl). Free plans: 600 s.
GRADE_MIN_TTL = {
    "DP_Free": 600,
    "D_Free": 600,
    "DP_Personal": 600,
    "DP_Pro": 120,
    "D_Pro": 120,
    "DP_Plus": 120,
    "DP_Expert": 60,
    "D_Expert": 60,
    "DP_Business": 60,
    "DP_Ultra": 1,
    "D_Ultra": 1,
    "DP_Enterprise": 1,
}
GRADE_TITLES = {
    "DP_Free": "免费版",
    "D_Free": "免费版",
    "DP_Pro": "专业版",
    "DP_Expert": "企业版",
    "DP_Ultra": "尊享版",
}
CNAME_CONFLICT = "InvalidParameter.RecordConflict"  # emulator-chosen; the SDK lists no such code
SUBDOMAIN_PATTERN = re.compile(
    r"^(@|\*|(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*)$"
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS dnspod_accounts (
    secret_id  TEXT PRIMARY KEY,
    secret_key TEXT NOT NULL,
    label      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dnspod_zones (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL UNIQUE,
    secret_id         TEXT NOT NULL,
    grade             TEXT NOT NULL DEFAULT 'DP_Free',
    soa_serial        INTEGER NOT NULL,
    propagation_delay REAL NOT NULL DEFAULT 0,
    created_on        TEXT NOT NULL,
    updated_on        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dnspod_records (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    zone_id    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    value      TEXT NOT NULL,
    mx         INTEGER NOT NULL DEFAULT 0,
    ttl        INTEGER NOT NULL DEFAULT 600,
    line       TEXT NOT NULL DEFAULT '默认',
    line_id    TEXT NOT NULL DEFAULT '0',
    status     TEXT NOT NULL DEFAULT 'ENABLE',
    weight     INTEGER,
    remark     TEXT NOT NULL DEFAULT '',
    default_ns INTEGER NOT NULL DEFAULT 0,
    updated_on TEXT NOT NULL,
    visible_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS dnspod_records_zone ON dnspod_records (zone_id, name);
"""


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Zone:
    id: int
    name: str
    secret_id: str
    grade: str
    soa_serial: int
    propagation_delay: float
    created_on: str
    updated_on: str


@dataclass(frozen=True)
class Record:
    id: int
    zone_id: int
    name: str
    type: str
    value: str
    mx: int
    ttl: int
    line: str
    line_id: str
    status: str
    weight: int | None
    remark: str
    default_ns: bool
    updated_on: str
    visible_at: float


@dataclass(frozen=True)
class RecordInput:
    """The validated fields of a CreateRecord / ModifyRecord request."""

    name: str
    type: str
    value: str
    mx: int
    ttl: int
    line: str
    line_id: str
    status: str
    weight: int | None
    remark: str


def now_text() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def zone_from_row(row: Any) -> Zone:
    return Zone(
        row["id"],
        row["name"],
        row["secret_id"],
        row["grade"],
        row["soa_serial"],
        row["propagation_delay"],
        row["created_on"],
        row["updated_on"],
    )


def record_from_row(row: Any) -> Record:
    return Record(
        row["id"],
        row["zone_id"],
        row["name"],
        row["type"],
        row["value"],
        row["mx"],
        row["ttl"],
        row["line"],
        row["line_id"],
        row["status"],
        row["weight"],
        row["remark"],
        bool(row["default_ns"]),
        row["updated_on"],
        row["visible_at"],
    )


def min_ttl(grade: str) -> int:
    return GRADE_MIN_TTL.get(grade, 600)


def normalise_value(record_type: str, value: str) -> str:
    """The value as DNSPod stores it: TXT raw (outer quotes dropped), host names with a final dot."""
    value = value.strip()
    if record_type == "TXT" and len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    if record_type in ("CNAME", "MX", "NS") and not value.endswith("."):
        return value + "."
    return value


class RateLimiter:
    """At most ``per_second`` requests per account in any one-second window (0 = off)."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self.lock = threading.Lock()
        self.recent: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, account: str, now: float) -> bool:
        if self.per_second <= 0:
            return True
        with self.lock:
            window = self.recent[account]
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.per_second:
                return False
            window.append(now)
            return True


class DnspodEmulator:
    name = "dnspod"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.store: Store | None = None
        self.rate_limiter = RateLimiter(0)
        self.actions: dict[str, Callable[[Zone | None, dict[str, Any], str], dict[str, Any]]] = {
            "DescribeDomain": self.describe_domain,
            "DescribeDomainList": self.describe_domain_list,
            "DescribeRecordList": self.describe_record_list,
            "DescribeRecord": self.describe_record,
            "CreateRecord": self.create_record,
            "CreateTXTRecord": self.create_txt_record,
            "ModifyRecord": self.modify_record,
            "ModifyTXTRecord": self.modify_txt_record,
            "DeleteRecord": self.delete_record,
        }
        self.write_actions = {
            "CreateRecord",
            "CreateTXTRecord",
            "ModifyRecord",
            "ModifyTXTRecord",
            "DeleteRecord",
        }

    # ----------------------------------------------------------------------------- component
    def init_schema(self, store: Store) -> None:
        self.store = store
        with store.lock:
            store.conn.executescript(SCHEMA)

    def configure(self, seed: dict[str, Any]) -> None:
        """Settings read from the seed on every start: the rate limit and propagation delays."""
        dnspod = seed.get("dnspod") or {}
        self.rate_limiter = RateLimiter(int(dnspod.get("rate_limit_per_second") or 0))
        delays = (seed.get("dns") or {}).get("propagation_delay") or {}
        with self._store().transaction() as conn:
            conn.execute("UPDATE dnspod_zones SET propagation_delay = 0")
            for zone_name, seconds in delays.items():
                conn.execute(
                    "UPDATE dnspod_zones SET propagation_delay = ? WHERE name = ?",
                    (float(seconds), str(zone_name).lower().rstrip(".")),
                )

    def load_seed(self, store: Store, seed: dict[str, Any]) -> None:
        dnspod = seed.get("dnspod") or {}
        delays = (seed.get("dns") or {}).get("propagation_delay") or {}
        stamp = now_text()
        with store.transaction() as conn:
            for account in dnspod.get("accounts") or []:
                zones = account.get("zones") or []
                label = account.get("label") or (
                    zones[0]["name"] if zones else account["secret_id"]
                )
                conn.execute(
                    "INSERT OR REPLACE INTO dnspod_accounts (secret_id, secret_key, label) VALUES (?, ?, ?)",
                    (account["secret_id"], account["secret_key"], label),
                )
                for zone in zones:
                    self._seed_zone(
                        conn, account["secret_id"], zone, float(delays.get(zone["name"], 0)), stamp
                    )

    def _seed_zone(
        self, conn: Any, secret_id: str, zone: dict[str, Any], delay: float, stamp: str
    ) -> None:
        name = str(zone["name"]).lower().rstrip(".")
        cursor = conn.execute(
            "INSERT INTO dnspod_zones (name, secret_id, grade, soa_serial, propagation_delay,"
            " created_on, updated_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, secret_id, zone.get("grade", "DP_Free"), int(time.time()), delay, stamp, stamp),
        )
        zone_id = cursor.lastrowid
        for ns in SYSTEM_NS:
            conn.execute(
                "INSERT INTO dnspod_records (zone_id, name, type, value, ttl, default_ns, updated_on)"
                " VALUES (?, '@', 'NS', ?, ?, 1, ?)",
                (zone_id, ns, SYSTEM_NS_TTL, stamp),
            )
        for record in zone.get("records") or []:
            record_type = str(record["type"]).upper()
            conn.execute(
                "INSERT INTO dnspod_records (zone_id, name, type, value, mx, ttl, updated_on)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    zone_id,
                    str(record.get("name", "@")),
                    record_type,
                    normalise_value(record_type, str(record["value"])),
                    int(record.get("mx", 0)),
                    int(record.get("ttl", DEFAULT_TTL)),
                    stamp,
                ),
            )

    def name_request(self, request: Request) -> RequestName:
        action = request.headers.get("x-tc-action", "")
        return RequestName(action, "write" if action in self.write_actions else "read")

    def handle(self, request: Request) -> Response:
        name = self.name_request(request)
        action = name.action
        request_id = str(uuid.uuid4())
        params: dict[str, Any] = {}
        account = ""
        try:
            if request.method != "POST" or request.path != "/":
                raise ApiError("UnsupportedOperation", "the emulator accepts POST / only")
            params = self._parse_body(request.body)
            secret_id, account = self._authenticate(request)
            if not action:
                raise ApiError("MissingParameter", "X-TC-Action header is missing")
            if action not in self.actions:
                raise ApiError("InvalidAction", f"The action {action!r} is not supported")
            if request.headers.get("x-tc-version") != API_VERSION:
                raise ApiError("NoSuchVersion", f"X-TC-Version must be {API_VERSION}")
            if not self.rate_limiter.allow(account, self.clock()):
                raise ApiError(
                    "RequestLimitExceeded", "Your current request times equals to the limit"
                )
            body = self._run_action(action, params, secret_id)
            committed = action in self.write_actions
        except (ApiError, tc3.AuthError) as error:
            body = {"Error": {"Code": error.code, "Message": error.message}}
            committed = False
        body["RequestId"] = request_id
        payload = json.dumps({"Response": body}, ensure_ascii=False).encode("utf-8")
        return Response(
            status=200,
            body=payload,
            headers={"Content-Type": "application/json"},
            action=action,
            kind=name.kind,
            account=account,
            params=params,
            committed_write=committed,
        )

    # ------------------------------------------------------------------------------ plumbing
    def _parse_body(self, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError("InvalidParameter", "the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError("InvalidParameter", "the request body must be a JSON object")
        return data

    def _authenticate(self, request: Request) -> tuple[str, str]:
        """Verify TC3-HMAC-SHA256; return the SecretId and its account label (for the log)."""
        header = request.headers.get("authorization")
        if not header:
            raise tc3.AuthError(
                "AuthFailure.InvalidAuthorization", "Authorization header is missing"
            )
        auth = tc3.parse_authorization(header)
        timestamp = tc3.check_timestamp(request.headers.get("x-tc-timestamp"), self.clock())
        rows = self._store().query(
            "SELECT secret_key, label FROM dnspod_accounts WHERE secret_id = ?", (auth.secret_id,)
        )
        if not rows:
            raise tc3.AuthError("AuthFailure.SecretIdNotFound", "The SecretId is not found")
        if auth.service != SERVICE:
            raise tc3.AuthError(
                "AuthFailure.SignatureFailure", f"credential scope service must be {SERVICE}"
            )
        tc3.verify(
            auth,
            rows[0]["secret_key"],
            request.method,
            "/",
            "",
            request.headers,
            request.body,
            timestamp,
        )
        return auth.secret_id, rows[0]["label"]

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("init_schema() was not called")
        return self.store

    def _run_action(self, action: str, params: dict[str, Any], secret_id: str) -> dict[str, Any]:
        zone = None
        if action != "DescribeDomainList":
            zone = self._zone_for(params, secret_id)
        return self.actions[action](zone, params, secret_id)

    def _zone_for(self, params: dict[str, Any], secret_id: str) -> Zone:
        domain_id = params.get("DomainId")
        if domain_id not in (None, "", 0):
            rows = self._store().query(
                "SELECT * FROM dnspod_zones WHERE id = ?", (_int(domain_id, "DomainId"),)
            )
            if not rows or rows[0]["secret_id"] != secret_id:
                raise ApiError(
                    "InvalidParameter.DomainIdInvalid", "域名编号不正确 (DomainId is invalid)"
                )
            return zone_from_row(rows[0])
        domain = params.get("Domain")
        if not isinstance(domain, str) or not domain:
            raise ApiError(
                "MissingParameter", "The request is missing a required parameter `Domain`."
            )
        name = domain.lower().rstrip(".")
        rows = self._store().query("SELECT * FROM dnspod_zones WHERE name = ?", (name,))
        if not rows or rows[0]["secret_id"] != secret_id:
            raise ApiError(
                "InvalidParameterValue.DomainNotExists",
                "当前域名有误，请返回重新操作。 (domain not in this account)",
            )
        return zone_from_row(rows[0])

    def zone_records(self, zone_id: int) -> list[Record]:
        rows = self._store().query(
            "SELECT * FROM dnspod_records WHERE zone_id = ? ORDER BY id", (zone_id,)
        )
        return [record_from_row(row) for row in rows]

    def hosted_zone(self, name: str) -> Zone | None:
        """The zone called ``name`` (lower case, no trailing dot), if the emulator holds it."""
        rows = self._store().query("SELECT * FROM dnspod_zones WHERE name = ?", (name,))
        return zone_from_row(rows[0]) if rows else None

    # ----------------------------------------------------------------------------- read actions
    def describe_domain(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        assert zone is not None
        info = self._domain_list_item(zone)
        info.update(
            {
                "Domain": zone.name,
                "DnspodNsList": [ns.rstrip(".") for ns in SYSTEM_NS],
                "ActualNsList": [ns.rstrip(".") for ns in SYSTEM_NS],
                "UserId": 1000000 + zlib.crc32(secret_id.encode()) % 1000000,
                "IsSubDomain": False,
            }
        )
        info.pop("Name")
        info.pop("EffectiveDNS")
        return {"DomainInfo": info}

    def describe_domain_list(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        rows = self._store().query(
            "SELECT * FROM dnspod_zones WHERE secret_id = ? ORDER BY id", (secret_id,)
        )
        zones = [zone_from_row(row) for row in rows]
        keyword = str(params.get("Keyword") or "").lower()
        if keyword:
            zones = [z for z in zones if keyword in z.name]
        if not zones:
            raise ApiError("ResourceNotFound.NoDataOfDomain", "列表为空 (no domains)")
        offset = _int(params.get("Offset", 0), "Offset")
        limit = _int(params.get("Limit", 3000), "Limit")
        page = zones[offset : offset + limit]
        total = len(zones)
        counts = {
            "DomainTotal": total,
            "AllTotal": total,
            "MineTotal": total,
            "ShareTotal": 0,
            "VipTotal": 0,
            "PauseTotal": 0,
            "ErrorTotal": 0,
            "LockTotal": 0,
            "SpamTotal": 0,
            "VipExpire": 0,
            "ShareOutTotal": 0,
            "GroupTotal": 1,
        }
        return {"DomainCountInfo": counts, "DomainList": [self._domain_list_item(z) for z in page]}

    def _domain_list_item(self, zone: Zone) -> dict[str, Any]:
        count = self._store().query(
            "SELECT COUNT(*) AS n FROM dnspod_records WHERE zone_id = ?", (zone.id,)
        )[0]["n"]
        return {
            "DomainId": zone.id,
            "Name": zone.name,
            "Punycode": zone.name,
            "Status": "ENABLE",
            "TTL": DEFAULT_TTL,
            "Grade": zone.grade,
            "GradeLevel": 2 if zone.grade.endswith("Free") else 3,
            "GradeTitle": GRADE_TITLES.get(zone.grade, zone.grade),
            "IsVip": "NO" if zone.grade.endswith("Free") else "YES",
            "EffectiveDNS": [ns.rstrip(".") for ns in SYSTEM_NS],
            "DNSStatus": "",
            "RecordCount": count,
            "CreatedOn": zone.created_on,
            "UpdatedOn": zone.updated_on,
            "Owner": zone.secret_id,
            "SearchEnginePush": "NO",
            "Remark": "",
            "GroupId": 1,
            "TagList": [],
        }

    def describe_record_list(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        assert zone is not None
        records = self.zone_records(zone.id)
        subdomain_count = len({r.name.lower() for r in records})
        matching = [r for r in records if _list_filter_matches(r, params)]
        matching = _sorted_records(matching, params)
        offset = _int(params.get("Offset", 0), "Offset")
        limit = _int(params.get("Limit", DEFAULT_LIST_LIMIT), "Limit")
        if offset < 0:
            raise ApiError("InvalidParameter.OffsetInvalid", "分页起始数量错误 (Offset is invalid)")
        if limit < 1 or limit > MAX_LIST_LIMIT:
            raise ApiError(
                "InvalidParameterValue.LimitInvalid",
                f"Limit must be between 1 and {MAX_LIST_LIMIT}",
            )
        page = matching[offset : offset + limit]
        if not matching and str(params.get("ErrorOnEmpty", "yes")).lower() != "no":
            raise ApiError("ResourceNotFound.NoDataOfRecord", "记录列表为空。")
        return {
            "RecordCountInfo": {
                "SubdomainCount": subdomain_count,
                "ListCount": len(page),
                "TotalCount": len(matching),
            },
            "RecordList": [_list_item(r) for r in page],
        }

    def describe_record(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        assert zone is not None
        record = self._record_in_zone(zone, params)
        return {
            "RecordInfo": {
                "Id": record.id,
                "SubDomain": record.name,
                "RecordType": record.type,
                "RecordLine": record.line,
                "RecordLineId": record.line_id,
                "Value": record.value,
                "Weight": record.weight,
                "MX": record.mx,
                "TTL": record.ttl,
                "Enabled": 1 if record.status == "ENABLE" else 0,
                "MonitorStatus": "",
                "Remark": record.remark,
                "UpdatedOn": record.updated_on,
                "DomainId": zone.id,
            }
        }

    # ---------------------------------------------------------------------------- write actions
    def create_record(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        assert zone is not None
        fields = self._record_input(zone, params, modify=False)
        with self._store().transaction() as conn:
            others = self._records_at(conn, zone.id, fields.name)
            if any(_same_record(r, fields) for r in others):
                raise ApiError("InvalidParameter.DomainRecordExist", "记录已经存在，无需再次添加。")
            _check_cname_conflict(fields, others)
            stamp = now_text()
            cursor = conn.execute(
                "INSERT INTO dnspod_records (zone_id, name, type, value, mx, ttl, line, line_id, status,"
                " weight, remark, updated_on, visible_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    zone.id,
                    fields.name,
                    fields.type,
                    fields.value,
                    fields.mx,
                    fields.ttl,
                    fields.line,
                    fields.line_id,
                    fields.status,
                    fields.weight,
                    fields.remark,
                    stamp,
                    self.clock() + zone.propagation_delay,
                ),
            )
            self._bump_serial(conn, zone, stamp)
        return {"RecordId": cursor.lastrowid}

    def create_txt_record(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        return self.create_record(zone, {**params, "RecordType": "TXT"}, secret_id)

    def modify_record(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        assert zone is not None
        record = self._record_in_zone(zone, params)
        if record.default_ns:
            raise ApiError(
                "InvalidParameter.RecordIdInvalid",
                "系统 NS 记录不可修改 (system NS records are read-only)",
            )
        fields = self._record_input(zone, params, modify=True)
        with self._store().transaction() as conn:
            others = [r for r in self._records_at(conn, zone.id, fields.name) if r.id != record.id]
            if any(_same_record(r, fields) for r in others):
                raise ApiError("InvalidParameter.DomainRecordExist", "记录已经存在，无需再次添加。")
            _check_cname_conflict(fields, others)
            stamp = now_text()
            conn.execute(
                "UPDATE dnspod_records SET name = ?, type = ?, value = ?, mx = ?, ttl = ?, line = ?,"
                " line_id = ?, status = ?, weight = ?, remark = ?, updated_on = ?, visible_at = ?"
                " WHERE id = ?",
                (
                    fields.name,
                    fields.type,
                    fields.value,
                    fields.mx,
                    fields.ttl,
                    fields.line,
                    fields.line_id,
                    fields.status,
                    fields.weight,
                    fields.remark,
                    stamp,
                    self.clock() + zone.propagation_delay,
                    record.id,
                ),
            )
            self._bump_serial(conn, zone, stamp)
        return {"RecordId": record.id}

    def modify_txt_record(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        return self.modify_record(zone, {**params, "RecordType": "TXT"}, secret_id)

    def delete_record(
        self, zone: Zone | None, params: dict[str, Any], secret_id: str
    ) -> dict[str, Any]:
        assert zone is not None
        record = self._record_in_zone(zone, params)
        if record.default_ns:
            raise ApiError(
                "InvalidParameter.RecordIdInvalid",
                "系统 NS 记录不可删除 (system NS records are read-only)",
            )
        with self._store().transaction() as conn:
            conn.execute("DELETE FROM dnspod_records WHERE id = ?", (record.id,))
            self._bump_serial(conn, zone, now_text())
        return {}

    # ------------------------------------------------------------------------------- helpers
    def _record_in_zone(self, zone: Zone, params: dict[str, Any]) -> Record:
        if params.get("RecordId") in (None, ""):
            raise ApiError(
                "MissingParameter", "The request is missing a required parameter `RecordId`."
            )
        record_id = _int(params["RecordId"], "RecordId")
        rows = self._store().query(
            "SELECT * FROM dnspod_records WHERE id = ? AND zone_id = ?", (record_id, zone.id)
        )
        if not rows:
            raise ApiError("InvalidParameter.RecordIdInvalid", "记录编号错误。")
        return record_from_row(rows[0])

    def _records_at(self, conn: Any, zone_id: int, name: str) -> list[Record]:
        rows = conn.execute(
            "SELECT * FROM dnspod_records WHERE zone_id = ? AND lower(name) = lower(?)",
            (zone_id, name),
        ).fetchall()
        return [record_from_row(row) for row in rows]

    def _bump_serial(self, conn: Any, zone: Zone, stamp: str) -> None:
        current = conn.execute(
            "SELECT soa_serial FROM dnspod_zones WHERE id = ?", (zone.id,)
        ).fetchone()[0]
        serial = max(current + 1, int(self.clock()))
        conn.execute(
            "UPDATE dnspod_zones SET soa_serial = ?, updated_on = ? WHERE id = ?",
            (serial, stamp, zone.id),
        )

    def _record_input(self, zone: Zone, params: dict[str, Any], modify: bool) -> RecordInput:
        record_type = str(params.get("RecordType") or "").upper()
        if not record_type:
            raise ApiError(
                "MissingParameter", "The request is missing a required parameter `RecordType`."
            )
        if record_type not in RECORD_TYPES:
            raise ApiError("InvalidParameter.RecordTypeInvalid", "记录类型不正确。")
        line, line_id = _record_line(params)
        raw_value = params.get("Value")
        if not isinstance(raw_value, str) or not raw_value.strip():
            raise ApiError(
                "MissingParameter", "The request is missing a required parameter `Value`."
            )
        name = str(params.get("SubDomain") or "@").strip()
        if not SUBDOMAIN_PATTERN.match(name):
            raise ApiError("InvalidParameter.SubdomainInvalid", "子域名不正确。")
        value = normalise_value(record_type, raw_value)
        _validate_value(record_type, value)
        mx = _mx(record_type, params.get("MX"))
        ttl = _int(params.get("TTL", DEFAULT_TTL), "TTL")
        if ttl > MAX_TTL or ttl < 1:
            raise ApiError(
                "InvalidParameter.TTLInvalid" if ttl < 1 else "LimitExceeded.RecordTtlLimit",
                f"TTL must be between 1 and {MAX_TTL}",
            )
        if ttl < min_ttl(zone.grade):
            raise ApiError(
                "LimitExceeded.RecordTtlLimit",
                f"记录的TTL值超出了限制。 (the {zone.grade} plan allows TTL >= {min_ttl(zone.grade)})",
            )
        status = str(params.get("Status") or "ENABLE").upper()
        if status not in ("ENABLE", "DISABLE"):
            raise ApiError("InvalidParameterValue", "Status must be ENABLE or DISABLE")
        weight = params.get("Weight")
        return RecordInput(
            name=name,
            type=record_type,
            value=value,
            mx=mx,
            ttl=ttl,
            line=line,
            line_id=line_id,
            status=status,
            weight=None if weight is None else _int(weight, "Weight"),
            remark=str(params.get("Remark") or ""),
        )


# --------------------------------------------------------------------------- module helpers
def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ApiError("InvalidParameter", f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError("InvalidParameter", f"{name} must be an integer") from None


def _record_line(params: dict[str, Any]) -> tuple[str, str]:
    line_id = params.get("RecordLineId")
    if line_id not in (None, ""):
        if str(line_id) != DEFAULT_LINE_ID:
            raise ApiError(
                "InvalidParameter.RecordLineInvalid",
                "记录线路不正确。 (only the default line is emulated)",
            )
        return DEFAULT_LINE, DEFAULT_LINE_ID
    line = params.get("RecordLine")
    if line in (None, ""):
        raise ApiError(
            "MissingParameter", "The request is missing a required parameter `RecordLine`."
        )
    if line not in LINE_NAMES:
        raise ApiError("InvalidParameter.RecordLineInvalid", "记录线路不正确。")
    return DEFAULT_LINE, DEFAULT_LINE_ID


def _mx(record_type: str, raw: Any) -> int:
    if record_type != "MX":
        return 0
    if raw in (None, ""):
        raise ApiError(
            "InvalidParameter.MxInvalid", "MX优先级不正确。 (MX is required for MX records)"
        )
    mx = _int(raw, "MX")
    if not 1 <= mx <= 65535:
        raise ApiError("InvalidParameter.MxInvalid", "MX优先级不正确。")
    return mx


def _validate_value(record_type: str, value: str) -> None:
    if len(value) > MAX_VALUE_LENGTH:
        raise ApiError("InvalidParameter.RecordValueLengthInvalid", "记录值过长。 (value too long)")
    try:
        if record_type == "A":
            ipaddress.IPv4Address(value)
        elif record_type == "AAAA":
            ipaddress.IPv6Address(value)
    except ValueError:
        raise ApiError("InvalidParameter.RecordValueInvalid", "记录值不正确。") from None
    if record_type in ("CNAME", "MX", "NS"):
        labels = value.rstrip(".").split(".")
        if len(labels) < 2 or not all(
            re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})", x) for x in labels
        ):
            raise ApiError(
                "InvalidParameter.RecordValueInvalid", "记录值不正确。 (expected a host name)"
            )


def _same_record(record: Record, fields: RecordInput) -> bool:
    if record.type != fields.type or record.line_id != fields.line_id:
        return False
    if fields.type in ("CNAME", "MX", "NS"):
        return record.value.lower() == fields.value.lower()
    return record.value == fields.value


def _check_cname_conflict(fields: RecordInput, others: list[Record]) -> None:
    if fields.type == "CNAME" and others:
        raise ApiError(
            CNAME_CONFLICT,
            "CNAME记录与该主机记录下的其他记录冲突 (a CNAME cannot coexist with other records)",
        )
    if fields.type != "CNAME" and any(r.type == "CNAME" for r in others):
        raise ApiError(
            CNAME_CONFLICT,
            "该主机记录已有CNAME记录，不能添加其他记录 (the name already has a CNAME)",
        )


def _list_filter_matches(record: Record, params: dict[str, Any]) -> bool:
    subdomain = params.get("SubDomain") or params.get("Subdomain")
    if subdomain and record.name.lower() != str(subdomain).lower():
        return False
    record_type = params.get("RecordType")
    if record_type and record.type != str(record_type).upper():
        return False
    line_id = params.get("RecordLineId")
    line = params.get("RecordLine")
    if line_id not in (None, "") and record.line_id != str(line_id):
        return False
    if line_id in (None, "") and line and line not in LINE_NAMES:
        return False
    keyword = str(params.get("Keyword") or "").lower()
    return not keyword or keyword in record.name.lower() or keyword in record.value.lower()


SORT_KEYS: dict[str, Callable[[Record], Any]] = {
    "name": lambda r: r.name,
    "line": lambda r: r.line,
    "type": lambda r: r.type,
    "value": lambda r: r.value,
    "weight": lambda r: r.weight or 0,
    "mx": lambda r: r.mx,
    "ttl": lambda r: r.ttl,
    "updated_on": lambda r: r.updated_on,
}


def _sorted_records(records: list[Record], params: dict[str, Any]) -> list[Record]:
    field_name = params.get("SortField")
    if not field_name:
        return records
    key = SORT_KEYS.get(str(field_name))
    if key is None:
        raise ApiError("InvalidParameterValue", f"unknown SortField {field_name!r}")
    return sorted(records, key=key, reverse=str(params.get("SortType", "ASC")).upper() == "DESC")


def _list_item(record: Record) -> dict[str, Any]:
    return {
        "RecordId": record.id,
        "Value": record.value,
        "Status": record.status,
        "UpdatedOn": record.updated_on,
        "Name": record.name,
        "Line": record.line,
        "LineId": record.line_id,
        "Type": record.type,
        "Weight": record.weight,
        "MonitorStatus": "",
        "Remark": record.remark,
        "TTL": record.ttl,
        "MX": record.mx,
        "DefaultNS": record.default_ns,
    }
