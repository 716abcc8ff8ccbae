"""Cloudflare API v4, DNS records, emulated (``/client/v4/...``).

Follows the Cloudflare part of the DNS provider reference (section G.9, its fidelity checklist):
bearer-token auth, every body the ``{"success", "errors", "messages", "result"}`` envelope,
lists with ``result_info``; zones listed by exact name; one record per value (32-hex ids,
FQDN names without a dot); list filters ``type``, ``name`` / ``name.exact`` (case-insensitive),
``content``, ``page``, ``per_page`` (a page past the end is ``result: []``: the SDK always asks
for one more); create (POST), patch (PATCH merges), replace (PUT), delete (``result: {"id"}``);
TXT ``content`` stored and returned byte for byte, except that a quoted string over 255 bytes
is split into 255-byte strings ("automatically split", the SDK's ``TXTRecord.content``);
``ttl: 1`` (automatic) kept as 1, else 60-86400 (30 on an enterprise zone); ``proxied`` false
unless A/AAAA/CNAME. Errors as Cloudflare words them: 9106 no credentials (400), 10000
unknown token or a zone it may not touch (403), 9109 a token used from an address it is not
allowed from (403), 7003 unknown zone id (400), 81044 unknown record (404), 81058 identical
record (400), 81053/81054 CNAME beside other records (400), 1004 with an ``error_chain``
(9021 TTL, 9004 proxied) for validation (400), 971 rate limit (429, ``retry-after``).

A token holds only the zones the seed gives it (a token with ``Zone.DNS`` edit on those
zones). The rate limit is per token: ``cloudflare.rate_limit`` (requests per window, as
Cloudflare's 1200 per 5 minutes), and ``PUT /_sandbox/cloudflare/throttle`` ``{"count": N,
"retry_after": S}`` answers the next N API requests with 429 (the fault that proves a client
backs off). Zones live in SQLite (tables ``cloudflare_*``); the sandbox's DNS server serves
them (``hosted_zone``/``zone_records``), as it serves DNSPod's.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sandbox.core import Request, RequestName, Response, Store
from sandbox.dnspod import Record, Zone

API_PREFIX = "/client/v4"
ADMIN_THROTTLE = "/_sandbox/cloudflare/throttle"
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "CAA", "SRV")
PROXIABLE = ("A", "AAAA", "CNAME")
AUTO_TTL = 1
AUTO_TTL_SERVED = 300  # what a resolver sees of ttl 1 (automatic)
MAX_TTL = 86400
MIN_TTL = {"enterprise": 30}  # by zone plan; every other plan: 60
DEFAULT_MIN_TTL = 60
MAX_PER_PAGE = {"zones": 50, "dns_records": 5000000}
DEFAULT_PER_PAGE = {"zones": 20, "dns_records": 100}
MAX_STRING = 255
MAX_CONTENT = 4096
DEFAULT_RATE_LIMIT = {"requests": 1200, "window_s": 300}
NAMESERVERS = ("ada.ns.cloudflare.com.", "bob.ns.cloudflare.com.")
ZONE_PATH = re.compile(r"^/zones/([^/]+)(/dns_records(?:/([^/]+))?)?$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS cloudflare_tokens (
    token      TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    allowed_ip TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS cloudflare_zones (
    number            INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL UNIQUE,
    token             TEXT NOT NULL,
    plan              TEXT NOT NULL DEFAULT 'free',
    soa_serial        INTEGER NOT NULL,
    propagation_delay REAL NOT NULL DEFAULT 0,
    created_on        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cloudflare_records (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    zone        INTEGER NOT NULL,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    content     TEXT NOT NULL,
    priority    INTEGER,
    ttl         INTEGER NOT NULL,
    proxied     INTEGER NOT NULL DEFAULT 0,
    comment     TEXT,
    created_on  TEXT NOT NULL,
    modified_on TEXT NOT NULL,
    visible_at  REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cloudflare_records_zone ON cloudflare_records (zone, name);
"""


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str,
                 chain: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.chain = status, code, message, chain

    def item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.chain:
            item["error_chain"] = self.chain
        return item


def validation_error(code: int, message: str) -> ApiError:
    return ApiError(400, 1004, "DNS Validation Error", [{"code": code, "message": message}])


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return uuid.uuid4().hex


def quoted_strings(content: str) -> list[str] | None:
    """``"a" "b\\"c"`` as its strings (escapes undone); None when not quoted strings."""
    strings, position = [], 0
    while position < len(content):
        if content[position].isspace():
            position += 1
            continue
        if content[position] != '"':
            return None
        position += 1
        text = []
        while position < len(content) and content[position] != '"':
            if content[position] == "\\" and position + 1 < len(content):
                position += 1
            text.append(content[position])
            position += 1
        if position >= len(content):
            return None
        position += 1
        strings.append("".join(text))
    return strings or None


def split_long_strings(content: str) -> str:
    """Quoted strings over 255 bytes split into 255-byte strings, as Cloudflare stores them;
    any other content as it came."""
    strings = quoted_strings(content)
    if strings is None or all(len(s.encode()) <= MAX_STRING for s in strings):
        return content
    pieces = []
    for string in strings:
        data = string.encode()
        chunks = [data[i:i + MAX_STRING] for i in range(0, len(data), MAX_STRING)] or [b""]
        pieces += [chunk.decode("utf-8", "ignore") for chunk in chunks]
    return " ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in pieces)


def served_txt(content: str) -> str:
    """TXT content in the DNS server's record form: quoted strings as ``a" "b``, else raw."""
    strings = quoted_strings(content)
    return content if strings is None else '" "'.join(strings)


class RateLimiter:
    """At most ``requests`` per token in any ``window_s``; and the admin throttle's count."""

    def __init__(self, requests: int, window_s: float) -> None:
        self.requests, self.window_s = requests, window_s
        self.lock = threading.Lock()
        self.recent: dict[str, deque[float]] = defaultdict(deque)
        self.forced = 0
        self.forced_retry_after = 1

    def force(self, count: int, retry_after: int) -> None:
        with self.lock:
            self.forced, self.forced_retry_after = count, retry_after

    def retry_after(self, token: str, now: float) -> int | None:
        """None when the request may go; else the seconds to wait."""
        with self.lock:
            if self.forced > 0:
                self.forced -= 1
                return self.forced_retry_after
            window = self.recent[token]
            while window and now - window[0] >= self.window_s:
                window.popleft()
            if len(window) >= self.requests:
                return max(1, int(self.window_s - (now - window[0]) + 0.999))
            window.append(now)
            return None


class CloudflareEmulator:
    name = "cloudflare"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.store: Store | None = None
        self.limiter = RateLimiter(**DEFAULT_RATE_LIMIT)

    # ----------------------------------------------------------------------------- component
    def init_schema(self, store: Store) -> None:
        self.store = store
        with store.lock:
            store.conn.executescript(SCHEMA)

    def configure(self, seed: dict[str, Any]) -> None:
        """Read on every start: the rate limit and the zones' propagation delays."""
        section = seed.get("cloudflare") or {}
        limit = {**DEFAULT_RATE_LIMIT, **(section.get("rate_limit") or {})}
        self.limiter = RateLimiter(int(limit["requests"]), float(limit["window_s"]))
        delays = (seed.get("dns") or {}).get("propagation_delay") or {}
        with self._store().transaction() as conn:
            conn.execute("UPDATE cloudflare_zones SET propagation_delay = 0")
            for zone_name, seconds in delays.items():
                conn.execute("UPDATE cloudflare_zones SET propagation_delay = ? WHERE name = ?",
                             (float(seconds), str(zone_name).lower().rstrip(".")))

    def load_seed(self, store: Store, seed: dict[str, Any]) -> None:
        section = seed.get("cloudflare") or {}
        stamp = now_text()
        with store.transaction() as conn:
            for account in section.get("tokens") or []:
                zones = account.get("zones") or []
                conn.execute(
                    "INSERT OR REPLACE INTO cloudflare_tokens (token, label, allowed_ip)"
                    " VALUES (?, ?, ?)",
                    (account["token"], account.get("label") or (zones[0]["name"] if zones else ""),
                     str(account.get("allowed_ip") or "")))
                for zone in zones:
                    self._seed_zone(conn, account["token"], zone, stamp)

    def _seed_zone(self, conn: Any, token: str, zone: dict[str, Any], stamp: str) -> None:
        name = str(zone["name"]).lower().rstrip(".")
        cursor = conn.execute(
            "INSERT INTO cloudflare_zones (id, name, token, plan, soa_serial, created_on)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (new_id(), name, token, str(zone.get("plan", "free")), int(time.time()), stamp))
        for record in zone.get("records") or []:
            rtype = str(record["type"]).upper()
            relative = str(record.get("name", "@"))
            value = str(record["value"])
            if rtype in ("CNAME", "MX", "NS"):
                value = value.rstrip(".")
            conn.execute(
                "INSERT INTO cloudflare_records (id, zone, name, type, content, priority, ttl,"
                " created_on, modified_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new_id(), cursor.lastrowid, name if relative in ("@", "") else f"{relative}.{name}",
                 rtype, value, int(record.get("mx", 10)) if rtype == "MX" else None,
                 int(record.get("ttl", AUTO_TTL)), stamp, stamp))

    def name_request(self, request: Request) -> RequestName:
        path = request.path[len(API_PREFIX):] if request.path.startswith(API_PREFIX) else ""
        match = ZONE_PATH.match(path)
        if path == "/zones":
            return RequestName("zones.list", "read")
        if match is None:
            return RequestName(f"{request.method} {request.path}", "read")
        if match.group(2) is None:
            return RequestName("zones.get", "read")
        if match.group(3) is None:
            if request.method == "POST":
                return RequestName("dns_records.create", "write")
            return RequestName("dns_records.list", "read")
        actions = {"GET": "dns_records.get", "PATCH": "dns_records.edit",
                   "PUT": "dns_records.update", "DELETE": "dns_records.delete"}
        action = actions.get(request.method, f"{request.method} dns_records")
        return RequestName(action, "read" if request.method == "GET" else "write")

    def handle(self, request: Request) -> Response:
        if request.path == ADMIN_THROTTLE:
            return self.admin_throttle(request)
        name = self.name_request(request)
        params = {key: value for key, value in request.query.items()}
        account, headers, committed = "", {"Content-Type": "application/json"}, False
        try:
            body = self._parse_body(request)
            params.update({key: value for key, value in body.items() if key != "content"})
            token, account = self._authenticate(request)
            wait = self.limiter.retry_after(token, self.clock())
            if wait is not None:
                headers["retry-after"] = str(wait)
                raise ApiError(429, 971, "Please wait and consider throttling your request speed")
            status, answer = self._route(request, body, token)
            committed = name.kind == "write"
        except ApiError as error:
            status = error.status
            answer = {"success": False, "errors": [error.item()], "messages": [],
                      "result": None}
        return Response(status=status, body=json.dumps(answer).encode(), headers=headers,
                        action=name.action, kind=name.kind, account=account, params=params,
                        committed_write=committed)

    def admin_throttle(self, request: Request) -> Response:
        body = json.loads(request.body or b"{}")
        self.limiter.force(int(body.get("count", 0)), int(body.get("retry_after", 1)))
        return Response(200, json.dumps({"throttled_next": self.limiter.forced}).encode())

    # ------------------------------------------------------------------------------ plumbing
    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("init_schema() was not called")
        return self.store

    def _parse_body(self, request: Request) -> dict[str, Any]:
        if request.method not in ("POST", "PATCH", "PUT") or not request.body:
            return {}
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, 6007, "Malformed JSON in request body") from None
        if not isinstance(data, dict):
            raise ApiError(400, 6007, "Malformed JSON in request body")
        return data

    def _authenticate(self, request: Request) -> tuple[str, str]:
        """The bearer token and its label (for the request log); Cloudflare's errors otherwise."""
        header = request.headers.get("authorization", "")
        if not header and not request.headers.get("x-auth-key"):
            raise ApiError(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
        if not header.startswith("Bearer "):
            raise ApiError(400, 6003, "Invalid request headers",
                           [{"code": 6111, "message": "Invalid format for Authorization header"}])
        token = header[len("Bearer "):].strip()
        rows = self._store().query("SELECT * FROM cloudflare_tokens WHERE token = ?", (token,))
        if not rows:
            raise ApiError(403, 10000, "Authentication error")
        allowed = rows[0]["allowed_ip"]
        client_ip = request.client.rsplit(":", 1)[0]
        if allowed and client_ip != allowed:
            raise ApiError(403, 9109, f"Cannot use the access token from location: {client_ip}")
        return token, rows[0]["label"]

    def _route(self, request: Request, body: dict[str, Any], token: str) -> tuple[int, Any]:
        path = request.path[len(API_PREFIX):] if request.path.startswith(API_PREFIX) else None
        if path == "/zones" and request.method == "GET":
            return self.list_zones(request.query, token)
        match = ZONE_PATH.match(path or "")
        if match is None:
            raise ApiError(400, 7000, "No route for that URI")
        zone = self._zone(match.group(1), token)
        record_id, method = match.group(3), request.method
        if match.group(2) is None:
            if method != "GET":
                raise ApiError(405, 10405, "Method not allowed for this endpoint")
            return 200, envelope(self._zone_item(zone))
        if record_id is None and method == "GET":
            return self.list_records(zone, request.query)
        if record_id is None and method == "POST":
            return 200, envelope(self.create(zone, body))
        if record_id is not None and method == "GET":
            return 200, envelope(record_item(self._record(zone, record_id)))
        if record_id is not None and method in ("PATCH", "PUT"):
            return 200, envelope(self.change(zone, record_id, body, replace=method == "PUT"))
        if record_id is not None and method == "DELETE":
            return 200, envelope(self.delete(zone, record_id))
        raise ApiError(405, 10405, "Method not allowed for this endpoint")

    def _zone(self, zone_id: str, token: str) -> Any:
        rows = self._store().query("SELECT * FROM cloudflare_zones WHERE id = ?", (zone_id,))
        if not rows:
            raise ApiError(400, 7003, "Could not route to /zones/" + zone_id
                           + "/dns_records, perhaps your object identifier is invalid?")
        if rows[0]["token"] != token:  # the token has no permission on this zone
            raise ApiError(403, 10000, "Authentication error")
        return rows[0]

    def _zone_item(self, zone: Any) -> dict[str, Any]:
        return {"id": zone["id"], "name": zone["name"], "status": "active", "paused": False,
                "type": "full", "name_servers": [ns.rstrip(".") for ns in NAMESERVERS],
                "plan": {"id": zone["plan"], "name": zone["plan"].title() + " Website",
                         "legacy_id": zone["plan"]},
                "created_on": zone["created_on"]}

    # --------------------------------------------------------------------------------- reads
    def list_zones(self, query: dict[str, str], token: str) -> tuple[int, Any]:
        rows = self._store().query(
            "SELECT * FROM cloudflare_zones WHERE token = ? ORDER BY name", (token,))
        wanted = query.get("name", "").lower().rstrip(".")
        items = [self._zone_item(row) for row in rows if not wanted or row["name"] == wanted]
        return 200, paged(items, query, "zones")

    def list_records(self, zone: Any, query: dict[str, str]) -> tuple[int, Any]:
        rows = self._store().query(
            "SELECT * FROM cloudflare_records WHERE zone = ? ORDER BY type, name, seq",
            (zone["number"],))
        items = [record_item(row) for row in rows
                 if record_matches(row, query)]
        return 200, paged(items, query, "dns_records")

    def _record(self, zone: Any, record_id: str) -> Any:
        rows = self._store().query(
            "SELECT * FROM cloudflare_records WHERE id = ? AND zone = ?",
            (record_id, zone["number"]))
        if not rows:
            raise ApiError(404, 81044, "Record does not exist.")
        return rows[0]

    # -------------------------------------------------------------------------------- writes
    def create(self, zone: Any, body: dict[str, Any]) -> dict[str, Any]:
        fields = self._validated(zone, body)
        stamp = now_text()
        record_id = new_id()
        with self._store().transaction() as conn:
            others = conn.execute("SELECT * FROM cloudflare_records WHERE zone = ? AND name = ?",
                                  (zone["number"], fields["name"])).fetchall()
            check_conflicts(fields, others)
            conn.execute(
                "INSERT INTO cloudflare_records (id, zone, name, type, content, priority, ttl,"
                " proxied, comment, created_on, modified_on, visible_at)"
                " VALUES (:id, :zone, :name, :type, :content, :priority, :ttl, :proxied,"
                " :comment, :stamp, :stamp, :visible_at)",
                {**fields, "id": record_id, "zone": zone["number"], "stamp": stamp,
                 "visible_at": self.clock() + zone["propagation_delay"]})
            self._bump_serial(conn, zone)
        return record_item(self._record(zone, record_id))

    def change(self, zone: Any, record_id: str, body: dict[str, Any],
               replace: bool) -> dict[str, Any]:
        current = self._record(zone, record_id)
        merged = dict(body) if replace else {
            "name": current["name"], "type": current["type"], "content": current["content"],
            "priority": current["priority"], "ttl": current["ttl"],
            "proxied": bool(current["proxied"]), "comment": current["comment"], **body}
        fields = self._validated(zone, merged)
        with self._store().transaction() as conn:
            others = conn.execute(
                "SELECT * FROM cloudflare_records WHERE zone = ? AND name = ? AND id != ?",
                (zone["number"], fields["name"], record_id)).fetchall()
            check_conflicts(fields, others)
            conn.execute(
                "UPDATE cloudflare_records SET name = :name, type = :type, content = :content,"
                " priority = :priority, ttl = :ttl, proxied = :proxied, comment = :comment,"
                " modified_on = :stamp, visible_at = :visible_at WHERE id = :id",
                {**fields, "id": record_id, "stamp": now_text(),
                 "visible_at": self.clock() + zone["propagation_delay"]})
            self._bump_serial(conn, zone)
        return record_item(self._record(zone, record_id))

    def delete(self, zone: Any, record_id: str) -> dict[str, Any]:
        self._record(zone, record_id)
        with self._store().transaction() as conn:
            conn.execute("DELETE FROM cloudflare_records WHERE id = ?", (record_id,))
            self._bump_serial(conn, zone)
        return {"id": record_id}

    def _bump_serial(self, conn: Any, zone: Any) -> None:
        conn.execute("UPDATE cloudflare_zones SET soa_serial = soa_serial + 1 WHERE number = ?",
                     (zone["number"],))

    def _validated(self, zone: Any, body: dict[str, Any]) -> dict[str, Any]:
        """The stored fields of a create/replace body (or a patch merged onto the record)."""
        rtype = str(body.get("type") or "").upper()
        if rtype not in RECORD_TYPES:
            raise validation_error(9101, f"Invalid or missing record type: {body.get('type')!r}")
        name = str(body.get("name") or "").lower().rstrip(".")
        if name in ("@", ""):
            name = zone["name"]
        elif name != zone["name"] and not name.endswith("." + zone["name"]):
            name = f"{name}.{zone['name']}"  # a relative name, as the API takes it
        content = body.get("content")
        if not isinstance(content, str) or not content:
            raise validation_error(9007, "Content for record is invalid.")
        if rtype in ("CNAME", "MX", "NS"):
            content = content.rstrip(".")
        if rtype == "TXT":
            content = split_long_strings(content)
        if len(content.encode()) > MAX_CONTENT:
            raise validation_error(9100, "Content for record is too long.")
        ttl = body.get("ttl", AUTO_TTL)
        floor = MIN_TTL.get(zone["plan"], DEFAULT_MIN_TTL)
        if not isinstance(ttl, int) or (ttl != AUTO_TTL and not floor <= ttl <= MAX_TTL):
            raise validation_error(9021, f"TTL must be between {floor} and {MAX_TTL} seconds, "
                                   "or 1 for Automatic.")
        priority = body.get("priority")
        if rtype == "MX" and not isinstance(priority, int):
            raise validation_error(9110, "Priority is required for MX records.")
        proxied = bool(body.get("proxied", False))
        if proxied and rtype not in PROXIABLE:
            raise validation_error(9004, "This record type cannot be proxied.")
        return {"name": name, "type": rtype, "content": content,
                "priority": priority if rtype == "MX" else None, "ttl": ttl,
                "proxied": int(proxied), "comment": body.get("comment")}

    # --------------------------------------------------------------- the DNS server's view
    def hosted_zone(self, name: str) -> Zone | None:
        rows = self._store().query("SELECT * FROM cloudflare_zones WHERE name = ?", (name,))
        if not rows:
            return None
        row = rows[0]
        return Zone(2_000_000 + row["number"], row["name"], "", "cloudflare", row["soa_serial"],
                    row["propagation_delay"], row["created_on"], row["created_on"])

    def zone_records(self, number: int) -> list[Record]:
        rows = self._store().query(
            "SELECT r.*, z.name AS zone_name FROM cloudflare_records r"
            " JOIN cloudflare_zones z ON z.number = r.zone WHERE r.zone = ? ORDER BY r.seq",
            (number - 2_000_000,))
        records = [Record(0, number, "@", "NS", ns, 0, 86400, "", "", "ENABLE", None, "", True,
                          "", 0.0) for ns in NAMESERVERS]
        for row in rows:
            zone_name = row["zone_name"]
            relative = "@" if row["name"] == zone_name else row["name"][: -len(zone_name) - 1]
            value = row["content"]
            if row["type"] == "TXT":
                value = served_txt(value)
            elif row["type"] in ("CNAME", "MX", "NS"):
                value += "."
            records.append(Record(row["seq"], number, relative, row["type"], value,
                                  row["priority"] or 0,
                                  AUTO_TTL_SERVED if row["ttl"] == AUTO_TTL else row["ttl"],
                                  "", "", "ENABLE", None, "", False, row["modified_on"],
                                  row["visible_at"]))
        return records


def envelope(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def paged(items: list[dict[str, Any]], query: dict[str, str], kind: str) -> dict[str, Any]:
    try:
        page = max(1, int(query.get("page", 1)))
        per_page = int(query.get("per_page", DEFAULT_PER_PAGE[kind]))
    except ValueError:
        raise ApiError(400, 1001, "Invalid paging parameters") from None
    per_page = max(1, min(per_page, MAX_PER_PAGE[kind]))
    chunk = items[(page - 1) * per_page: page * per_page]
    return {**envelope(chunk), "result_info": {
        "page": page, "per_page": per_page, "count": len(chunk), "total_count": len(items),
        "total_pages": (len(items) + per_page - 1) // per_page}}


def record_matches(row: Any, query: dict[str, str]) -> bool:
    if query.get("type") and row["type"] != query["type"].upper():
        return False
    name = row["name"]
    exact = query.get("name.exact") or query.get("name")
    tests = [
        exact is None or name == exact.lower().rstrip("."),
        "name.contains" not in query or query["name.contains"].lower() in name,
        "name.startswith" not in query or name.startswith(query["name.startswith"].lower()),
        "name.endswith" not in query or name.endswith(query["name.endswith"].lower()),
        "content" not in query or row["content"] == query["content"],
        "content.exact" not in query or row["content"] == query["content.exact"],
    ]
    return all(tests)


def record_item(row: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": row["id"], "name": row["name"], "type": row["type"], "content": row["content"],
        "proxiable": row["type"] in PROXIABLE, "proxied": bool(row["proxied"]),
        "ttl": row["ttl"], "settings": {"flatten_cname": False} if row["type"] == "CNAME" else {},
        "meta": {}, "comment": row["comment"], "tags": [],
        "created_on": row["created_on"], "modified_on": row["modified_on"],
    }
    if row["type"] == "MX":
        item["priority"] = row["priority"]
    return item


def check_conflicts(fields: dict[str, Any], others: list[Any]) -> None:
    for other in others:
        if (other["type"] == fields["type"] and other["content"] == fields["content"]
                and (fields["type"] != "MX" or other["priority"] == fields["priority"])):
            raise ApiError(400, 81058, "An identical record already exists.")
    if fields["type"] == "CNAME" and others:
        raise ApiError(400, 81053, "An A, AAAA, or CNAME record with that host already exists.")
    if any(other["type"] == "CNAME" for other in others):
        raise ApiError(400, 81054, "A CNAME record with that host already exists.")
