"""The marketing platform's binding endpoint (contract: docs/binding-api.md).

A tenant's binding tells the platform which sending domain and which two SendCloud API users
(batch and trigger) to send with. The platform never shows the keys back, only their SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.core import Request, RequestName, Response, Store

CredentialChecker = Callable[[str, str], bool]

PATH = re.compile(r"^/api/v1/tenants/(?P<tenant>[A-Za-z0-9_.-]+)/binding(?P<history>/history)?/?$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@(?P<domain>[A-Za-z0-9.-]+)$")
API_USER = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
EDITIONS = ("domestic", "overseas")
ROLES = ("batch", "trigger")

SCHEMA = """
CREATE TABLE IF NOT EXISTS platform_tokens (
    token     TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS platform_bindings (
    tenant_id         TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    document          TEXT NOT NULL,      -- the PUT body as stored (keys included)
    active_from       REAL NOT NULL,
    active_until      REAL,
    keys_authenticated INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, revision)
);
CREATE TABLE IF NOT EXISTS platform_key_checks (
    tenant_id     TEXT PRIMARY KEY,
    last_check_at REAL NOT NULL,
    gap_seconds   REAL NOT NULL DEFAULT 0
);
"""


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"code": code, "message": message, **extra}}


@dataclass
class Binding:
    tenant_id: str
    revision: int
    document: dict[str, Any]
    active_from: float
    active_until: float | None
    keys_authenticated: bool


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return (
        datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def redact(document: Any) -> Any:
    if isinstance(document, dict):
        return {
            k: ("***" if k in ("key", "token", "api_key") else redact(v))
            for k, v in document.items()
        }
    if isinstance(document, list):
        return [redact(item) for item in document]
    return document


class PlatformEmulator:
    name = "platform"

    def __init__(
        self, check_credentials: CredentialChecker, clock: Callable[[], float] = time.time
    ) -> None:
        self.check_credentials = check_credentials
        self.clock = clock
        self.store: Store | None = None

    # ----------------------------------------------------------------------------- component
    def init_schema(self, store: Store) -> None:
        self.store = store
        with store.lock:
            store.conn.executescript(SCHEMA)

    def load_seed(self, store: Store, seed: dict[str, Any]) -> None:
        tokens = (seed.get("platform") or {}).get("tokens") or {}
        with store.transaction() as conn:
            for tenant_id, token in tokens.items():
                conn.execute(
                    "INSERT OR REPLACE INTO platform_tokens (token, tenant_id) VALUES (?, ?)",
                    (str(token), str(tenant_id)),
                )

    def name_request(self, request: Request) -> RequestName:
        match = PATH.match(request.path)
        history = bool(match and match.group("history"))
        return RequestName(f"{request.method} binding{'/history' if history else ''}",
                           "write" if request.method == "PUT" else "read")

    def handle(self, request: Request) -> Response:
        match = PATH.match(request.path)
        tenant_id = match.group("tenant") if match else ""
        history = bool(match and match.group("history"))
        name = self.name_request(request)
        action, kind = name.action, name.kind
        params: dict[str, Any] = {}
        committed = False
        try:
            if match is None:
                raise HttpError(404, "not_found", f"no such resource: {request.path}")
            self._authorize(request, tenant_id)
            if history and request.method == "GET":
                status, body = 200, self._history(tenant_id)
            elif not history and request.method == "GET":
                status, body = 200, self._get(tenant_id)
            elif not history and request.method == "PUT":
                document = self._parse_json(request.body)
                params = redact(document)
                status, body = 200, self._put(tenant_id, document, request.headers.get("if-match"))
                committed = True
            else:
                raise HttpError(405, "method_not_allowed", f"{request.method} is not allowed here")
        except HttpError as error:
            status, body = error.status, error.body
        headers = {"Content-Type": "application/json"}
        if status == 200 and "revision" in body:
            headers["ETag"] = f'"{body["revision"]}"'
        return Response(
            status=status,
            body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            action=action,
            kind=kind,
            account=tenant_id,
            params=params,
            committed_write=committed,
        )

    # ------------------------------------------------------------------------------ handlers
    def _authorize(self, request: Request, tenant_id: str) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, "unauthorized", "missing bearer token")
        rows = self._store().query(
            "SELECT tenant_id FROM platform_tokens WHERE token = ?", (token.strip(),)
        )
        if not rows:
            raise HttpError(401, "unauthorized", "unknown bearer token")
        if rows[0]["tenant_id"] != tenant_id:
            raise HttpError(403, "forbidden", "this token belongs to another tenant")

    def _get(self, tenant_id: str) -> dict[str, Any]:
        binding = self._active(tenant_id)
        if binding is None:
            raise HttpError(404, "binding_not_found", f"tenant {tenant_id} has no binding yet")
        self._check_active_keys(tenant_id)
        return self._public_view(binding)

    def _put(
        self, tenant_id: str, document: dict[str, Any], if_match: str | None
    ) -> dict[str, Any]:
        clean = validate(document)
        for role in ROLES:
            user = clean["api_users"][role]
            if not self.check_credentials(user["name"], user["key"]):
                raise HttpError(
                    422,
                    "keys_rejected",
                    f"SendCloud rejected the key of API user {user['name']!r} ({role})",
                    field=f"api_users.{role}",
                    api_user=user["name"],
                )
        now = self.clock()
        self._check_active_keys(tenant_id, now)  # outside the transaction: it calls SendCloud
        with self._store().transaction() as conn:
            current = self._active(tenant_id)
            current_revision = current.revision if current else 0
            if if_match is not None and _revision_from_header(if_match) != current_revision:
                raise HttpError(
                    412,
                    "revision_mismatch",
                    f"If-Match {if_match} does not match the current revision {current_revision}",
                    current_revision=current_revision,
                )
            if current:
                conn.execute(
                    "UPDATE platform_bindings SET active_until = ? WHERE tenant_id = ? AND revision = ?",
                    (now, tenant_id, current.revision),
                )
            conn.execute(
                "INSERT INTO platform_bindings (tenant_id, revision, document, active_from, active_until,"
                " keys_authenticated) VALUES (?, ?, ?, ?, NULL, 1)",
                (tenant_id, current_revision + 1, json.dumps(clean), now),
            )
            conn.execute(
                "INSERT INTO platform_key_checks (tenant_id, last_check_at, gap_seconds) VALUES (?, ?, 0)"
                " ON CONFLICT(tenant_id) DO UPDATE SET last_check_at = excluded.last_check_at",
                (tenant_id, now),
            )
        binding = self._active(tenant_id)
        assert binding is not None
        return self._public_view(binding)

    def _history(self, tenant_id: str) -> dict[str, Any]:
        self._check_active_keys(tenant_id)
        rows = self._store().query(
            "SELECT * FROM platform_bindings WHERE tenant_id = ? ORDER BY revision", (tenant_id,)
        )
        history = []
        for row in rows:
            binding = _binding_from_row(row)
            history.append(
                {
                    "revision": binding.revision,
                    "sending_domain": binding.document["sending_domain"],
                    "api_users": {
                        role: binding.document["api_users"][role]["name"] for role in ROLES
                    },
                    "active_from": iso(binding.active_from),
                    "active_until": iso(binding.active_until),
                    "keys_authenticated": binding.keys_authenticated,
                }
            )
        gap = self._store().query(
            "SELECT gap_seconds FROM platform_key_checks WHERE tenant_id = ?", (tenant_id,)
        )
        return {
            "history": history,
            "sending_gap_seconds": round(gap[0]["gap_seconds"], 3) if gap else 0.0,
        }

    # ------------------------------------------------------------------------------- helpers
    def _check_active_keys(self, tenant_id: str, now: float | None = None) -> None:
        """Re-check the active binding's keys; count the time since the last check as a gap if they fail.

        Checks happen at every PUT (before the switch), GET and history GET, so the gap is an
        upper bound with the resolution of those calls; a clean rebind measures exactly 0.
        """
        binding = self._active(tenant_id)
        if binding is None:
            return
        now = self.clock() if now is None else now
        users = binding.document["api_users"]
        ok = all(self.check_credentials(users[role]["name"], users[role]["key"]) for role in ROLES)
        with self._store().lock:
            checks = self._store().query(
                "SELECT last_check_at FROM platform_key_checks WHERE tenant_id = ?", (tenant_id,)
            )
            last = checks[0]["last_check_at"] if checks else binding.active_from
            gap = 0.0 if ok else max(0.0, now - last)
            self._store().execute(
                "UPDATE platform_key_checks SET last_check_at = ?, gap_seconds = gap_seconds + ?"
                " WHERE tenant_id = ?",
                (now, gap, tenant_id),
            )
            self._store().execute(
                "UPDATE platform_bindings SET keys_authenticated = ? WHERE tenant_id = ? AND revision = ?",
                (1 if ok else 0, tenant_id, binding.revision),
            )

    def _active(self, tenant_id: str) -> Binding | None:
        rows = self._store().query(
            "SELECT * FROM platform_bindings WHERE tenant_id = ? AND active_until IS NULL",
            (tenant_id,),
        )
        return _binding_from_row(rows[0]) if rows else None

    def _public_view(self, binding: Binding) -> dict[str, Any]:
        doc = binding.document
        return {
            "tenant_id": binding.tenant_id,
            "sending_domain": doc["sending_domain"],
            "edition": doc["edition"],
            "api_users": {
                role: {
                    "name": doc["api_users"][role]["name"],
                    "key_sha256": sha256_hex(doc["api_users"][role]["key"]),
                }
                for role in ROLES
            },
            "sender_address": doc["sender_address"],
            "sender_name": doc["sender_name"],
            "reply_to_address": doc["reply_to_address"],
            "revision": binding.revision,
            "updated_at": iso(binding.active_from),
        }

    def _parse_json(self, body: bytes) -> dict[str, Any]:
        try:
            document = json.loads(body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise HttpError(400, "invalid_json", f"the body is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise HttpError(400, "invalid_json", "the body must be a JSON object")
        return document

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("init_schema() was not called")
        return self.store


def _binding_from_row(row: Any) -> Binding:
    return Binding(
        row["tenant_id"],
        row["revision"],
        json.loads(row["document"]),
        row["active_from"],
        row["active_until"],
        bool(row["keys_authenticated"]),
    )


def _revision_from_header(value: str) -> int | None:
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    return int(text) if text.isdigit() else None


def _invalid(field: str, message: str) -> HttpError:
    return HttpError(422, "invalid_field", message, field=field)


def _required_string(document: dict[str, Any], field: str, path: str | None = None) -> str:
    value = document.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(path or field, f"{path or field} is required and must be a non-empty string")
    return value.strip()


def validate(document: dict[str, Any]) -> dict[str, Any]:
    """The PUT body checked field by field; returns the normalised document to store."""
    domain = _required_string(document, "sending_domain").lower().rstrip(".")
    if not DOMAIN.match(domain):
        raise _invalid(
            "sending_domain", "sending_domain must be a domain name such as mail.example.com"
        )
    edition = _required_string(document, "edition")
    if edition not in EDITIONS:
        raise _invalid("edition", "edition must be 'domestic' or 'overseas'")
    api_users = document.get("api_users")
    if not isinstance(api_users, dict):
        raise _invalid("api_users", "api_users must be an object with 'batch' and 'trigger'")
    users: dict[str, dict[str, str]] = {}
    for role in ROLES:
        user = api_users.get(role)
        if not isinstance(user, dict):
            raise _invalid(
                f"api_users.{role}", f"api_users.{role} must be an object with name and key"
            )
        name = _required_string(user, "name", f"api_users.{role}.name")
        if not API_USER.match(name):
            raise _invalid(
                f"api_users.{role}.name", "an API user name is 1-64 of A-Z a-z 0-9 _ . -"
            )
        key = _required_string(user, "key", f"api_users.{role}.key")
        users[role] = {"name": name, "key": key}
    sender = _required_string(document, "sender_address")
    sender_match = EMAIL.match(sender)
    if not sender_match:
        raise _invalid("sender_address", "sender_address must be an e-mail address")
    sender_domain = sender_match.group("domain").lower()
    if sender_domain != domain and not sender_domain.endswith("." + domain):
        raise _invalid("sender_address", "sender_address must be at the sending domain")
    sender_name = _required_string(document, "sender_name")
    if len(sender_name) > 64:
        raise _invalid("sender_name", "sender_name is at most 64 characters")
    reply_to = document.get("reply_to_address")
    if reply_to is not None and (not isinstance(reply_to, str) or not EMAIL.match(reply_to)):
        raise _invalid("reply_to_address", "reply_to_address must be an e-mail address or null")
    return {
        "sending_domain": domain,
        "edition": edition,
        "api_users": users,
        "sender_address": sender,
        "sender_name": sender_name,
        "reply_to_address": reply_to,
    }
