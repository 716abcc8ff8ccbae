"""The SendCloud e-mail API emulator (domestic ``/apiv2/...`` and overseas ``/api/...``).

It answers the provisioning calls of the project's SendCloud API reference (userinfo,
domain, apiuser) for the accounts of the seed, on one port, with the real service's envelope
``{"result", "statusCode", "message", "info"}`` and HTTP 200 for every API-level outcome.
A domain's ``verify`` bitmask is computed live from DNS on every call that reports it
(see ``sandbox/sendcloud_dns_check.py``); the records asked for are generated at
domain/add (``sandbox/sendcloud_records.py``).

Besides the API it serves two admin routes. ``/_sandbox/sendcloud/dns-routes``: ``PUT`` JSON
``{"zone", "host", "port"}`` sends DNS lookups for that zone (and below) to that
nameserver, ``GET`` lists the routes, ``DELETE ?zone=...`` (or a JSON ``{"zone"}``) drops one.
``/_sandbox/sendcloud/verify-lag``: ``PUT`` JSON ``{"seconds", "account"?}`` sets the verification
lag (``sandbox/sendcloud_verify_lag.py``) for one account or every account, ``GET`` shows it,
``DELETE`` clears it (the seed's ``verify_lag_s`` is back at the next start).

Choices where the docs are silent
---------------------------------
- Unknown path, or an action the edition does not have (``domain/delete`` and
  ``domain/checkConfig`` on ``/apiv2``, ``domain/get``): HTTP 404 with the envelope and
  statusCode 49901 ("URL format error"). No authentication is attempted first.
- A method other than GET/POST, or GET on ``apiuser/update`` (POST only, on both
  editions): HTTP 405 with the envelope and statusCode 405.
- Auth: ``apiUser``/``apiKey`` may be the account's admin pair or any API user of the
  account with its key; an account only authenticates on its own edition's prefix.
  Anything else, including missing parameters, is 40005.
- A query parameter and a form field of the same name: the form field wins. A parameter
  given as an empty string is "empty" (41001, 41101, ...); an absent optional one is not.
- ``domain/add``: the name is lower-cased; a trailing dot, a single label, a label over 63
  characters or starting/ending with ``-`` is 41003; a name containing ``sendcloud`` or
  ``ifaxin`` is 41003 too; a name already taken in any account is 41015. Test domains
  (type 0, seed only) do not count toward the limit of 5, nor test API users toward 10.
- ``domain/list`` ``verify`` filter: empty is 41009; not ``[<>]?<integer>`` is 41011; an
  integer outside 0..63 is 41010. ``type`` empty is 41007, not 0/1 is 41008.
- ``domain/update``: ``newName`` validated like add with 41004-41006 (several names too is
  41006); any verify bit set (live), or ``newName`` already taken (even by the same
  domain), is 41016. A rename regenerates every record (new DKIM key) and rebinds the
  domain's API users to the new name.
- ``domain/delete`` (overseas): unknown name 41014; refused with 41016 while any API user is
  bound to the domain; success is the bare envelope with ``info: {}``.
- ``domain/checkConfig`` (overseas): ``info.data`` = ``{name, verify, <check>Status...}`` with
  ``"pass"``/``"fail"`` per check of the account's layout (``spfStatus``, ``dkimStatus``,
  ``mxStatus``, ``dmarcStatus`` on the overseas layout).
- ``apiuser/add``: a name already used by an API user or an admin login of any account is
  41119; so is ``click=1`` while the bound domain's cname check fails (domestic_v1 layout
  only; other layouts accept it). The overseas rule "no open/click tracking on the default
  tracking domain" is not enforced. Items use ``domainName`` (never ``domain``).
  ``nameKey`` is the new API key in clear (32 hex chars), returned only there; only its
  sha256 is stored.
- ``apiuser/update``: unknown ``name`` 41109; ``newName`` taken is 41119; the key is kept.
  ``cType``/``emailType`` stay localized strings as in list (not ints as in AU-ref).
- Errors in several parameters: the first in the documented parameter order is reported.
- ``gmtCreated``/``gmtUpdated`` and ``regTime`` are in UTC+8 (both services run in UTC+8).
- ``load_seed`` replaces the accounts, domains and API users (not the DNS routes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

from sandbox import core
from sandbox.sendcloud_dns_check import DnsRoute, DnsRoutes, check_domains, verify_bits
from sandbox.sendcloud_records import (
    DOMESTIC,
    EDITIONS,
    LAYOUT_BITS,
    OVERSEAS,
    ExpectedRecord,
    generate_records,
    records_from_json,
    records_to_json,
)
from sandbox.sendcloud_verify_lag import VerifyLag

PREFIX_EDITION = {"apiv2": DOMESTIC, "api": OVERSEAS}
ADMIN_ROUTES_PATH = "/_sandbox/sendcloud/dns-routes"
API_PATH = re.compile(r"/(apiv2|api)/(\w+)/(\w+)/?")
ADMIN_VERIFY_LAG_PATH = "/_sandbox/sendcloud/verify-lag"
MAX_DOMAINS = 5
MAX_API_USERS = 10
DEFAULT_TRACK_DOMAIN = "track2.sendcloud.net"
SECRET_PARAMS = ("apiKey", "nameKey", "api_key", "key")
SERVICE_TZ = timezone(timedelta(hours=8))

# code -> (domestic message, overseas message)
MESSAGES: dict[int, tuple[str, str]] = {
    200: ("请求成功", "request was successful"),
    405: ("请求方法不支持", "request method not supported"),
    40005: ("认证失败", "authentication failed"),
    41001: ("name不能为空串", "name cannot be empty"),
    41002: ("name长度必须在1-250之间", "name length must be between 1 and 250"),
    41003: ("name不是合法的域名", "name is not a valid domain name"),
    41004: ("newName不能为空串", "newName cannot be empty"),
    41005: ("newName长度必须在1-250之间", "newName length must be between 1 and 250"),
    41006: ("newName不是合法的域名", "newName is not a valid domain name"),
    41007: ("type不能为空串", "type cannot be empty"),
    41008: ("type不合法", "type is invalid"),
    41009: ("verify不能为空串", "verify cannot be empty"),
    41010: ("verify不合法", "verify is invalid"),
    41011: ("verify解析失败", "verify could not be parsed"),
    41012: ("一个用户不能创建超过5个域名", "a user cannot create more than 5 domains"),
    41013: ("name不合法, 不能传多个域名", "name is invalid: only one domain allowed"),
    41014: ("域名不存在", "domain does not exist"),
    41015: ("域名创建失败", "domain creation failed"),
    41016: ("域名修改失败", "domain modification failed"),
    41101: ("emailType不能为空串", "emailType cannot be empty"),
    41102: ("emailType不合法", "emailType is invalid"),
    41103: ("cType不能为空串", "cType cannot be empty"),
    41104: ("cType不合法", "cType is invalid"),
    41105: ("domainName不能为空串", "domainName cannot be empty"),
    41106: ("domainName不合法", "domainName is invalid"),
    41107: ("domainName长度必须在1-250之间", "domainName length must be between 1 and 250"),
    41108: ("domainName对应的域名不存在", "the domain of domainName does not exist"),
    41109: ("用户信息不存在", "user information does not exist"),
    41110: ("name不能为空串", "name cannot be empty"),
    41111: (
        "name不合法, 长度6-32, 只能包含A-Z, a-z, 0-9, _",
        "name is invalid: 6-32 characters of A-Z, a-z, 0-9, _",
    ),
    41112: ("apiUser不能超过10个", "no more than 10 apiUsers"),
    41113: ("open不能为空串", "open cannot be empty"),
    41114: ("open不合法", "open is invalid"),
    41115: ("click不能为空串", "click cannot be empty"),
    41116: ("click不合法", "click is invalid"),
    41117: ("unsubscribe不能为空串", "unsubscribe cannot be empty"),
    41118: ("unsubscribe不合法", "unsubscribe is invalid"),
    41119: ("apiUser创建失败", "apiUser creation failed"),
    49901: ("URL格式错误", "URL format error"),
}

DOMAIN_TYPE_LABEL = {DOMESTIC: {0: "测试", 1: "普通"}, OVERSEAS: {0: "test", 1: "ordinary"}}
C_TYPE_LABEL = {DOMESTIC: {0: "测试", 1: "非测试"}, OVERSEAS: {0: "test", 1: "non-test"}}
EMAIL_TYPE_LABEL = {DOMESTIC: {0: "触发", 1: "批量"}, OVERSEAS: {0: "Trigger", 1: "Batch"}}

_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_API_USER_NAME_RE = re.compile(r"^[A-Za-z0-9_]{6,32}$")
_VERIFY_FILTER_RE = re.compile(r"^([<>]?)(-?\d+)$")

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sc_accounts ("
    " api_user TEXT PRIMARY KEY, api_key TEXT NOT NULL, edition TEXT NOT NULL,"
    " verify_layout TEXT NOT NULL, profile TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sc_domains ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, name TEXT NOT NULL UNIQUE,"
    " type INTEGER NOT NULL, ip_type INTEGER NOT NULL, records TEXT NOT NULL,"
    " gmt_created TEXT NOT NULL, gmt_updated TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sc_api_users ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, name TEXT NOT NULL UNIQUE,"
    " key_sha256 TEXT NOT NULL, c_type INTEGER NOT NULL, email_type INTEGER NOT NULL,"
    " domain_name TEXT NOT NULL, open INTEGER NOT NULL, click INTEGER NOT NULL,"
    " unsubscribe INTEGER NOT NULL, track_domain_name TEXT NOT NULL)",
)


class ApiError(Exception):
    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Account:
    api_user: str
    api_key: str
    edition: str
    verify_layout: str
    profile: dict[str, Any]

    @property
    def layout_bits(self) -> dict[str, int]:
        return LAYOUT_BITS[self.verify_layout]


@dataclass(frozen=True)
class Domain:
    account: str
    name: str
    type: int
    ip_type: int
    records: list[ExpectedRecord]
    gmt_created: str
    gmt_updated: str


@dataclass(frozen=True)
class ApiUser:
    account: str
    name: str
    c_type: int
    email_type: int
    domain_name: str
    open: int
    click: int
    unsubscribe: int
    track_domain_name: str


@dataclass
class Call:
    """One authenticated API call, as handed to an action handler."""

    account: Account
    params: dict[str, str]
    committed_write: bool = False

    @property
    def edition(self) -> str:
        return self.account.edition


@dataclass(frozen=True)
class Endpoint:
    handler: Callable[[SendCloudEmulator, Call], dict[str, Any]]
    kind: str
    editions: tuple[str, ...] = EDITIONS
    methods: tuple[str, ...] = ("GET", "POST")


@dataclass
class _Outcome:
    status: int
    body: dict[str, Any]
    account: str = ""
    committed_write: bool = False


def now_text() -> str:
    return datetime.now(SERVICE_TZ).strftime("%Y-%m-%d %H:%M:%S")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def redact(params: dict[str, Any]) -> dict[str, Any]:
    return {key: ("***" if key in SECRET_PARAMS else value) for key, value in params.items()}


def envelope(code: int, edition: str, info: dict[str, Any] | None = None, detail: str = "") -> dict:
    domestic_text, overseas_text = MESSAGES[code]
    message = domestic_text if edition == DOMESTIC else overseas_text
    if detail:
        message = f"{message}: {detail}"
    return {"result": code == 200, "statusCode": code, "message": message, "info": info or {}}


class SendCloudEmulator:
    name = "sendcloud"

    def __init__(self, default_dns_server: tuple[str, int] = ("127.0.0.1", 53)) -> None:
        self.default_dns_server = default_dns_server
        self.store: core.Store | None = None
        self.verify_lag = VerifyLag()

    # ------------------------------------------------------------------ component contract

    def init_schema(self, store: core.Store) -> None:
        self.store = store
        for statement in SCHEMA:
            store.execute(statement)
        DnsRoutes.init_schema(store)
        VerifyLag.init_schema(store)

    def configure(self, seed: dict[str, Any]) -> None:
        """Settings read from the seed on every start: the verification lag."""
        self.verify_lag.configure_from_seed(seed)

    def load_seed(self, store: core.Store, seed: dict[str, Any]) -> None:
        self.store = store
        accounts = (seed.get("sendcloud") or {}).get("accounts") or []
        with store.transaction() as conn:
            for table in ("sc_accounts", "sc_domains", "sc_api_users"):
                conn.execute(f"DELETE FROM {table}")
            for entry in accounts:
                self._seed_account(conn, entry)

    def handle(self, request: core.Request) -> core.Response:
        if request.path.rstrip("/") == ADMIN_ROUTES_PATH:
            return self._handle_dns_routes(request)
        if request.path.rstrip("/") == ADMIN_VERIFY_LAG_PATH:
            return self._handle_verify_lag(request)
        params = merged_params(request)
        match = API_PATH.fullmatch(request.path)
        prefix_edition = PREFIX_EDITION[match.group(1)] if match else _guess_edition(request.path)
        name = self.name_request(request)
        action = name.action
        endpoint = ENDPOINTS.get(action) if match else None
        if endpoint is None or prefix_edition not in endpoint.editions:
            outcome = _Outcome(404, envelope(49901, prefix_edition))
        elif request.method.upper() not in endpoint.methods:
            outcome = _Outcome(405, envelope(405, prefix_edition))
        else:
            outcome = self._call(endpoint, prefix_edition, params)
        return core.Response(
            status=outcome.status,
            body=json.dumps(outcome.body, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json;charset=UTF-8"},
            action=action,
            kind=name.kind,
            account=outcome.account,
            params=redact(params),
            committed_write=outcome.committed_write,
        )

    def name_request(self, request: core.Request) -> core.RequestName:
        match = API_PATH.fullmatch(request.path)
        action = f"{match.group(2)}/{match.group(3)}" if match else request.path
        endpoint = ENDPOINTS.get(action) if match else None
        return core.RequestName(action, endpoint.kind if endpoint else "read")

    def check_credentials(self, api_user: str, api_key: str) -> bool:
        """True for an account's admin pair or an API user's key, on any edition."""
        return self._authenticate(api_user, api_key) is not None

    # ------------------------------------------------------------------ dispatch and auth

    def _call(self, endpoint: Endpoint, prefix_edition: str, params: dict[str, str]) -> _Outcome:
        account = self._authenticate(params.get("apiUser", ""), params.get("apiKey", ""))
        if account is None or account.edition != prefix_edition:
            return _Outcome(200, envelope(40005, prefix_edition))
        call = Call(account, params)
        try:
            info = endpoint.handler(self, call)
            body = envelope(200, account.edition, info)
        except ApiError as error:
            body = envelope(error.code, account.edition, detail=error.detail)
        return _Outcome(200, body, account.api_user, call.committed_write)

    def _authenticate(self, api_user: str, api_key: str) -> Account | None:
        if not api_user or not api_key:
            return None
        account = self._account(api_user)
        if account is not None:
            return account if hmac.compare_digest(account.api_key, api_key) else None
        rows = self._store.query(
            "SELECT account, key_sha256 FROM sc_api_users WHERE name = ?", (api_user,)
        )
        if rows and hmac.compare_digest(rows[0]["key_sha256"], sha256_hex(api_key)):
            return self._account(rows[0]["account"])
        return None

    @property
    def _store(self) -> core.Store:
        if self.store is None:
            raise RuntimeError("init_schema() was not called")
        return self.store

    # ------------------------------------------------------------------ storage helpers

    def _account(self, api_user: str) -> Account | None:
        rows = self._store.query("SELECT * FROM sc_accounts WHERE api_user = ?", (api_user,))
        if not rows:
            return None
        row = rows[0]
        return Account(
            row["api_user"], row["api_key"], row["edition"], row["verify_layout"],
            json.loads(row["profile"]),
        )

    def _domains(self, account: Account) -> list[Domain]:
        rows = self._store.query(
            "SELECT * FROM sc_domains WHERE account = ? ORDER BY id", (account.api_user,)
        )
        return [_domain_from_row(row) for row in rows]

    def _domain(self, account: Account, name: str) -> Domain | None:
        rows = self._store.query(
            "SELECT * FROM sc_domains WHERE account = ? AND name = ?",
            (account.api_user, name.strip().lower()),
        )
        return _domain_from_row(rows[0]) if rows else None

    def _api_users(self, account: Account) -> list[ApiUser]:
        rows = self._store.query(
            "SELECT * FROM sc_api_users WHERE account = ? ORDER BY id", (account.api_user,)
        )
        return [_api_user_from_row(row) for row in rows]

    def _api_user(self, account: Account, name: str) -> ApiUser | None:
        rows = self._store.query(
            "SELECT * FROM sc_api_users WHERE account = ? AND name = ?", (account.api_user, name)
        )
        return _api_user_from_row(rows[0]) if rows else None

    def _login_name_taken(self, name: str) -> bool:
        rows = self._store.query(
            "SELECT 1 FROM sc_api_users WHERE name = ? UNION SELECT 1 FROM sc_accounts"
            " WHERE api_user = ?",
            (name, name),
        )
        return bool(rows)

    def _verify_results(self, domains: list[Domain]) -> list[dict[str, bool]]:
        """Per domain, check -> verified: served right now, and for the account's lag."""
        routes = DnsRoutes(self._store, self.default_dns_server).resolver_map()
        served = check_domains([domain.records for domain in domains], routes)
        return [self.verify_lag.apply(self._store, domain.account, domain.name, result)
                for domain, result in zip(domains, served, strict=True)]

    def _domain_items(self, account: Account, domains: list[Domain]) -> list[dict[str, Any]]:
        results = self._verify_results(domains)
        return [
            domain_item(domain, account, verify_bits(result, account.layout_bits))
            for domain, result in zip(domains, results, strict=True)
        ]

    # ------------------------------------------------------------------ seed

    def _seed_account(self, conn, entry: dict[str, Any]) -> None:
        edition = entry.get("edition", DOMESTIC)
        layout = entry.get("verify_layout", edition)
        if edition not in EDITIONS or layout not in LAYOUT_BITS:
            raise ValueError(f"sendcloud account {entry.get('api_user')!r}: bad edition/layout")
        structural = {"api_user", "api_key", "edition", "verify_layout", "domains", "api_users",
                      "verify_lag_s"}
        profile = {key: value for key, value in entry.items() if key not in structural}
        profile.setdefault("reg_time", datetime.now(SERVICE_TZ).strftime("%Y-%m-%d"))
        conn.execute(
            "INSERT INTO sc_accounts (api_user, api_key, edition, verify_layout, profile)"
            " VALUES (?, ?, ?, ?, ?)",
            (entry["api_user"], entry["api_key"], edition, layout, json.dumps(profile)),
        )
        for domain in entry.get("domains") or []:
            name = str(domain["name"]).lower()
            insert_domain(conn, entry["api_user"], name, int(domain.get("type", 1)),
                          generate_records(name, edition, layout))
        for user in entry.get("api_users") or []:
            insert_api_user(conn, ApiUser(
                account=entry["api_user"],
                name=user["name"],
                c_type=int(user.get("c_type", 1)),
                email_type=int(user.get("email_type", 0)),
                domain_name=str(user["domain"]).lower(),
                open=int(user.get("open", 1 if edition == DOMESTIC else 0)),
                click=int(user.get("click", 0)),
                unsubscribe=int(user.get("unsubscribe", 1)),
                track_domain_name=user.get("track_domain", DEFAULT_TRACK_DOMAIN),
            ), sha256_hex(str(user["key"])))

    # ------------------------------------------------------------------ admin: DNS routes

    def _handle_dns_routes(self, request: core.Request) -> core.Response:
        routes = DnsRoutes(self._store, self.default_dns_server)
        method = request.method.upper()
        payload: dict[str, Any] = {}
        if request.body:
            try:
                payload = json.loads(request.body)
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                return _admin_response(400, {"error": "body is not a JSON object"}, method)
        if method == "GET":
            listing = [route.__dict__ for route in routes.all()]
            return _admin_response(200, {"routes": listing}, method)
        if method == "PUT":
            try:
                route = DnsRoute(str(payload["zone"]), str(payload["host"]), int(payload["port"]))
            except (KeyError, TypeError, ValueError):
                route = None
            if route is None or not route.zone.strip(".") or not 0 < route.port < 65536:
                return _admin_response(400, {"error": "need zone, host, port"}, method, payload)
            routes.put(route)
            return _admin_response(200, route.__dict__, method, payload, committed=True)
        if method == "DELETE":
            zone = request.query.get("zone") or str(payload.get("zone", ""))
            if not zone:
                return _admin_response(400, {"error": "need zone"}, method, payload)
            deleted = routes.delete(zone)
            return _admin_response(200, {"deleted": deleted}, method, {"zone": zone}, deleted)
        return _admin_response(405, {"error": "method not allowed"}, method)

    # ------------------------------------------------------------------ admin: verification lag

    def _handle_verify_lag(self, request: core.Request) -> core.Response:
        method = request.method.upper()
        action = f"{method} verify-lag"
        if method == "GET":
            return _admin_response(200, {"verify_lag_s": self.verify_lag.describe()}, method,
                                   action=action)
        if method == "PUT":
            try:
                payload = json.loads(request.body or b"{}")
                account = payload.get("account")
                self.verify_lag.set(float(payload["seconds"]), str(account) if account else None)
            except (ValueError, TypeError, KeyError, AttributeError):
                return _admin_response(400, {"error": "need seconds (>= 0), optional account"},
                                       method, action=action)
            return _admin_response(200, {"verify_lag_s": self.verify_lag.describe()}, method,
                                   payload, committed=True, action=action)
        if method == "DELETE":
            self.verify_lag.clear()
            return _admin_response(200, {"verify_lag_s": {}}, method, committed=True, action=action)
        return _admin_response(405, {"error": "method not allowed"}, method, action=action)

    # ------------------------------------------------------------------ actions: userinfo

    def userinfo_get(self, call: Call) -> dict[str, Any]:
        profile = call.account.profile
        reputation = float(profile.get("reputation", 0))
        quota = 0 if reputation < 0 else int(profile.get("quota", 0))
        common = {
            "email": profile.get("email", ""),
            "quota": quota,
            "todayUsedQuota": int(profile.get("today_used_quota", 0)),
            "regTime": str(profile.get("reg_time", "")),
            "reputation": reputation,
            "userName": profile.get("user_name", call.account.api_user),
            "accountType": profile.get("account_type", ""),
        }
        if call.edition == OVERSEAS:
            return {
                "restNum": int(profile.get("rest_num", 0)),
                "restFlowSize": profile.get("rest_flow_size", 0),
                **common,
            }
        return {
            "avaliableBalance": float(profile.get("available_balance", 0)),
            "balance": float(profile.get("balance", 0)),
            "phone": str(profile.get("phone", "")),
            **common,
            "websiteAuthStatus": bool(profile.get("website_auth", False)),
            "businessAuthStatus": bool(profile.get("business_auth", False)),
        }

    # ------------------------------------------------------------------ actions: domain

    def domain_list(self, call: Call) -> dict[str, Any]:
        domains = self._domains(call.account)
        names = call.params.get("name")
        if names:
            wanted = {n.strip().lower() for n in names.split(";") if n.strip()}
            domains = [d for d in domains if d.name in wanted]
        if "type" in call.params:
            wanted_type = parse_flag(call.params["type"], empty_code=41007, invalid_code=41008)
            domains = [d for d in domains if d.type == wanted_type]
        verify_filter = parse_verify_filter(call.params["verify"]) if "verify" in call.params else None
        items = self._domain_items(call.account, domains)
        if verify_filter is not None:
            items = [item for item in items if verify_filter(item["verify"])]
        return {"dataList": items, "count": len(items)}

    def domain_add(self, call: Call) -> dict[str, Any]:
        name = validate_domain_name(call.params.get("name", ""), empty=41001, length=41002,
                                    invalid=41003, several=41013)
        account = call.account
        self._check_domain_can_be_added(account, name)  # before the slow key generation
        records = generate_records(name, account.edition, account.verify_layout)
        with self._store.transaction() as conn:
            self._check_domain_can_be_added(account, name)
            insert_domain(conn, account.api_user, name, 1, records)
        call.committed_write = True
        domain = self._domain(account, name)
        assert domain is not None
        return {"data": self._domain_items(account, [domain])[0]}

    def _check_domain_can_be_added(self, account: Account, name: str) -> None:
        counted = self._store.query(
            "SELECT COUNT(*) FROM sc_domains WHERE account = ? AND type = 1", (account.api_user,)
        )[0][0]
        if counted >= MAX_DOMAINS:
            raise ApiError(41012)
        if self._domain_name_taken(name):
            raise ApiError(41015, "domain already exists")

    def _domain_name_taken(self, name: str) -> bool:
        return bool(self._store.query("SELECT 1 FROM sc_domains WHERE name = ?", (name,)))

    def domain_update(self, call: Call) -> dict[str, Any]:
        account = call.account
        name = call.params.get("name", "").strip()
        if not name:
            raise ApiError(41001)
        domain = self._domain(account, name)
        if domain is None:
            raise ApiError(41014)
        new_name = validate_domain_name(call.params.get("newName", ""), empty=41004,
                                        length=41005, invalid=41006, several=41006)
        if self._domain_items(account, [domain])[0]["verify"] != 0:
            raise ApiError(41016, "domain has verified records")
        if self._domain_name_taken(new_name):
            raise ApiError(41016, "newName already exists")
        records = generate_records(new_name, account.edition, account.verify_layout)
        with self._store.transaction() as conn:
            if self._domain_name_taken(new_name):
                raise ApiError(41016, "newName already exists")
            conn.execute(
                "UPDATE sc_domains SET name = ?, records = ?, gmt_updated = ? WHERE name = ?",
                (new_name, json.dumps(records_to_json(records)), now_text(), domain.name),
            )
            conn.execute(
                "UPDATE sc_api_users SET domain_name = ? WHERE account = ? AND domain_name = ?",
                (new_name, account.api_user, domain.name),
            )
            VerifyLag.forget(conn, domain.name)
        call.committed_write = True
        renamed = self._domain(account, new_name)
        assert renamed is not None
        return {"data": self._domain_items(account, [renamed])[0]}

    def domain_delete(self, call: Call) -> dict[str, Any]:
        domain = self._existing_domain(call)
        with self._store.transaction() as conn:
            bound = conn.execute(
                "SELECT COUNT(*) FROM sc_api_users WHERE account = ? AND domain_name = ?",
                (call.account.api_user, domain.name),
            ).fetchone()[0]
            if bound:
                raise ApiError(41016, "API users are bound to this domain")
            conn.execute("DELETE FROM sc_domains WHERE name = ?", (domain.name,))
            VerifyLag.forget(conn, domain.name)
        call.committed_write = True
        return {}

    def domain_check_config(self, call: Call) -> dict[str, Any]:
        domain = self._existing_domain(call)
        result = self._verify_results([domain])[0]
        data: dict[str, Any] = {
            "name": domain.name, "verify": verify_bits(result, call.account.layout_bits)
        }
        for check in call.account.layout_bits:
            data[f"{check}Status"] = "pass" if result.get(check) else "fail"
        return {"data": data}

    def _existing_domain(self, call: Call) -> Domain:
        name = call.params.get("name", "").strip()
        if not name:
            raise ApiError(41001)
        domain = self._domain(call.account, name)
        if domain is None:
            raise ApiError(41014)
        return domain

    # ------------------------------------------------------------------ actions: apiuser

    def apiuser_list(self, call: Call) -> dict[str, Any]:
        users = self._api_users(call.account)
        params = call.params
        if "emailType" in params:
            email_type = parse_flag(params["emailType"], empty_code=41101, invalid_code=41102)
            users = [u for u in users if u.email_type == email_type]
        if "cType" in params:
            c_type = parse_flag(params["cType"], empty_code=41103, invalid_code=41104)
            users = [u for u in users if u.c_type == c_type]
        if "domainName" in params:
            domain_name = params["domainName"].strip().lower()
            if not domain_name:
                raise ApiError(41105)
            users = [u for u in users if u.domain_name == domain_name]
        items = [api_user_item(user, call.edition) for user in users]
        return {"dataList": items, "count": len(items)}

    def apiuser_add(self, call: Call) -> dict[str, Any]:
        account, params = call.account, call.params
        name = validate_api_user_name(params.get("name", ""))
        email_type = parse_flag(params.get("emailType", ""), empty_code=41101, invalid_code=41102)
        domain = self._bound_domain(call, params.get("domainName"), required=True)
        assert domain is not None
        switches = parse_switches(params, defaults={
            "open": 1 if account.edition == DOMESTIC else 0, "click": 0, "unsubscribe": 1,
        })
        track_domain = params.get("trackDomainName", "").strip() or DEFAULT_TRACK_DOMAIN
        if switches["click"] == 1:
            self._require_click_tracking(account, domain)
        user = ApiUser(account.api_user, name, 1, email_type, domain.name, switches["open"],
                       switches["click"], switches["unsubscribe"], track_domain)
        key = secrets.token_hex(16)
        with self._store.transaction() as conn:
            if self._login_name_taken(name):
                raise ApiError(41119, "name already exists")
            counted = conn.execute(
                "SELECT COUNT(*) FROM sc_api_users WHERE account = ? AND c_type = 1",
                (account.api_user,),
            ).fetchone()[0]
            if counted >= MAX_API_USERS:
                raise ApiError(41112)
            insert_api_user(conn, user, sha256_hex(key))
        call.committed_write = True
        return {"data": {**api_user_item(user, account.edition), "nameKey": key}}

    def apiuser_update(self, call: Call) -> dict[str, Any]:
        account, params = call.account, call.params
        name = params.get("name", "")
        if not name.strip():
            raise ApiError(41110)
        user = self._api_user(account, name)
        if user is None:
            raise ApiError(41109)
        new_name = user.name
        if params.get("newName") is not None:
            new_name = validate_api_user_name(params["newName"])
        domain = self._bound_domain(call, params.get("domainName"), required=False)
        domain_name = domain.name if domain else user.domain_name
        switches = parse_switches(params, defaults={
            "open": user.open, "click": user.click, "unsubscribe": user.unsubscribe,
        })
        track_domain = params.get("trackDomainName", "").strip() or user.track_domain_name
        if switches["click"] == 1:
            bound = domain or self._domain(account, user.domain_name)
            if bound is not None:
                self._require_click_tracking(account, bound)
        updated = ApiUser(account.api_user, new_name, user.c_type, user.email_type, domain_name,
                          switches["open"], switches["click"], switches["unsubscribe"],
                          track_domain)
        with self._store.transaction() as conn:
            if new_name != user.name and self._login_name_taken(new_name):
                raise ApiError(41119, "newName already exists")
            conn.execute(
                "UPDATE sc_api_users SET name = ?, domain_name = ?, open = ?, click = ?,"
                " unsubscribe = ?, track_domain_name = ? WHERE account = ? AND name = ?",
                (updated.name, updated.domain_name, updated.open, updated.click,
                 updated.unsubscribe, updated.track_domain_name, account.api_user, user.name),
            )
        call.committed_write = updated != user
        return {"data": api_user_item(updated, account.edition)}

    def _bound_domain(self, call: Call, raw: str | None, required: bool) -> Domain | None:
        if raw is None and not required:
            return None
        name = (raw or "").strip().lower()
        if not name:
            raise ApiError(41105)
        if len(name) > 250:
            raise ApiError(41107)
        if not is_domain_syntax(name):
            raise ApiError(41106)
        domain = self._domain(call.account, name)
        if domain is None:
            raise ApiError(41108)
        return domain

    def _require_click_tracking(self, account: Account, domain: Domain) -> None:
        if "cname" not in account.layout_bits:
            return
        if not self._verify_results([domain])[0].get("cname"):
            raise ApiError(41119, "click tracking needs the domain's CNAME record verified")


ENDPOINTS: dict[str, Endpoint] = {
    "userinfo/get": Endpoint(SendCloudEmulator.userinfo_get, "read"),
    "domain/list": Endpoint(SendCloudEmulator.domain_list, "read"),
    "domain/add": Endpoint(SendCloudEmulator.domain_add, "write"),
    "domain/update": Endpoint(SendCloudEmulator.domain_update, "write"),
    "domain/delete": Endpoint(SendCloudEmulator.domain_delete, "write", (OVERSEAS,)),
    "domain/checkConfig": Endpoint(SendCloudEmulator.domain_check_config, "read", (OVERSEAS,)),
    "apiuser/list": Endpoint(SendCloudEmulator.apiuser_list, "read"),
    "apiuser/add": Endpoint(SendCloudEmulator.apiuser_add, "write"),
    "apiuser/update": Endpoint(SendCloudEmulator.apiuser_update, "write", methods=("POST",)),
}


# ---------------------------------------------------------------------- request parsing


def merged_params(request: core.Request) -> dict[str, str]:
    params = dict(request.query)
    content_type = request.headers.get("content-type", "")
    if request.body and (not content_type or "x-www-form-urlencoded" in content_type):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        params.update(parse_qsl(text, keep_blank_values=True))
    return params


def _guess_edition(path: str) -> str:
    return DOMESTIC if path.startswith("/apiv2") else OVERSEAS


def parse_flag(raw: str, empty_code: int, invalid_code: int) -> int:
    value = raw.strip()
    if not value:
        raise ApiError(empty_code)
    if value not in ("0", "1"):
        raise ApiError(invalid_code)
    return int(value)


SWITCH_CODES = {"open": (41113, 41114), "click": (41115, 41116), "unsubscribe": (41117, 41118)}


def parse_switches(params: dict[str, str], defaults: dict[str, int]) -> dict[str, int]:
    switches = dict(defaults)
    for switch, (empty_code, invalid_code) in SWITCH_CODES.items():
        if switch in params:
            switches[switch] = parse_flag(params[switch], empty_code, invalid_code)
    return switches


def parse_verify_filter(raw: str) -> Callable[[int], bool]:
    value = raw.strip()
    if not value:
        raise ApiError(41009)
    match = _VERIFY_FILTER_RE.match(value)
    if not match:
        raise ApiError(41011)
    operator, number = match.group(1), int(match.group(2))
    if not 0 <= number <= 63:
        raise ApiError(41010)
    if operator == ">":
        return lambda verify: verify >= number
    if operator == "<":
        return lambda verify: verify <= number
    return lambda verify: verify == number


def is_domain_syntax(name: str) -> bool:
    labels = name.split(".")
    return len(labels) >= 2 and all(_LABEL_RE.match(label) for label in labels)


def validate_domain_name(raw: str, empty: int, length: int, invalid: int, several: int) -> str:
    name = raw.strip().lower()
    if not name:
        raise ApiError(empty)
    if ";" in name or "," in name:
        raise ApiError(several)
    if len(name) > 250:
        raise ApiError(length)
    if not is_domain_syntax(name):
        raise ApiError(invalid)
    if "sendcloud" in name or "ifaxin" in name:
        raise ApiError(invalid, "reserved name")
    return name


def validate_api_user_name(raw: str) -> str:
    if not raw.strip():
        raise ApiError(41110)
    if not _API_USER_NAME_RE.match(raw):
        raise ApiError(41111)
    return raw


# ---------------------------------------------------------------------- rows and items


def insert_domain(conn, account: str, name: str, domain_type: int,
                  records: list[ExpectedRecord]) -> None:
    stamp = now_text()
    conn.execute(
        "INSERT INTO sc_domains (account, name, type, ip_type, records, gmt_created, gmt_updated)"
        " VALUES (?, ?, ?, 0, ?, ?, ?)",
        (account, name, domain_type, json.dumps(records_to_json(records)), stamp, stamp),
    )


def insert_api_user(conn, user: ApiUser, key_sha256: str) -> None:
    conn.execute(
        "INSERT INTO sc_api_users (account, name, key_sha256, c_type, email_type, domain_name,"
        " open, click, unsubscribe, track_domain_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (user.account, user.name, key_sha256, user.c_type, user.email_type, user.domain_name,
         user.open, user.click, user.unsubscribe, user.track_domain_name),
    )


def _domain_from_row(row) -> Domain:
    return Domain(row["account"], row["name"], row["type"], row["ip_type"],
                  records_from_json(json.loads(row["records"])), row["gmt_created"],
                  row["gmt_updated"])


def _api_user_from_row(row) -> ApiUser:
    return ApiUser(row["account"], row["name"], row["c_type"], row["email_type"],
                   row["domain_name"], row["open"], row["click"], row["unsubscribe"],
                   row["track_domain_name"])


ITEM_CHECK_ORDER = ("verifyKey", "spf", "dkim", "cname", "mx", "dmarc")


def domain_item(domain: Domain, account: Account, verify: int) -> dict[str, Any]:
    """A domain/list item: flat keys with literal dots, per the account's layout."""
    item: dict[str, Any] = {
        "name": domain.name,
        "type": DOMAIN_TYPE_LABEL[account.edition][domain.type],
        "verify": verify,
    }
    by_check = {record.check: record for record in domain.records}
    for check in ITEM_CHECK_ORDER:
        if check in by_check:
            item[f"{check}.domain"] = by_check[check].host
            item[f"{check}.value"] = by_check[check].value
    if account.verify_layout == "overseas":
        item["ipType"] = domain.ip_type
    item["gmtCreated"] = domain.gmt_created
    item["gmtUpdated"] = domain.gmt_updated
    return item


def api_user_item(user: ApiUser, edition: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": user.name,
        "cType": C_TYPE_LABEL[edition][user.c_type],
        "emailType": EMAIL_TYPE_LABEL[edition][user.email_type],
        "domainName": user.domain_name,
        "click": user.click,
        "open": user.open,
        "unsubscribe": user.unsubscribe,
    }
    if edition == OVERSEAS:
        item["trackDomainName"] = user.track_domain_name
    else:
        item["neteaseSender"] = ""
    return item


def _admin_response(status: int, body: dict[str, Any], method: str,
                    params: dict[str, Any] | None = None, committed: bool = False,
                    action: str = "") -> core.Response:
    return core.Response(
        status=status,
        body=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        action=action or f"{method} dns-routes",
        kind="read" if method == "GET" else "write",
        account="",
        params=redact(params or {}),
        committed_write=committed,
    )
