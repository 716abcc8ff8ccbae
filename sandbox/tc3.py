"""TC3-HMAC-SHA256 (Tencent Cloud API 3.0) signature verification, written from the reference.

The server side of the scheme: parse the ``Authorization`` header, rebuild the canonical request
from the headers the client says it signed (values used verbatim, as received), derive the
signing key from the secret key and compare signatures in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
MAX_SKEW_SECONDS = 300


@dataclass(frozen=True)
class Authorization:
    secret_id: str
    date: str  # YYYY-MM-DD from the credential scope
    service: str
    signed_headers: tuple[str, ...]
    signature: str


class AuthError(Exception):
    """A request that fails authentication; ``code`` is the Tencent Cloud error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_authorization(header: str) -> Authorization:
    """``TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=hex``."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise AuthError("AuthFailure.InvalidAuthorization", f"unsupported algorithm {algorithm!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name.strip()] = value.strip()
    try:
        credential = fields["Credential"]
        signed_headers = fields["SignedHeaders"]
        signature = fields["Signature"]
    except KeyError as missing:
        raise AuthError(
            "AuthFailure.InvalidAuthorization", f"Authorization lacks {missing}"
        ) from None
    scope = credential.split("/")
    if len(scope) != 4 or scope[3] != "tc3_request" or not scope[0]:
        raise AuthError("AuthFailure.InvalidAuthorization", "malformed Credential scope")
    headers = tuple(name.strip().lower() for name in signed_headers.split(";") if name.strip())
    if not headers:
        raise AuthError("AuthFailure.InvalidAuthorization", "SignedHeaders is empty")
    return Authorization(scope[0], scope[1], scope[2], headers, signature.lower())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_request(
    method: str,
    uri: str,
    query_string: str,
    headers: dict[str, str],
    signed_headers: tuple[str, ...],
    body: bytes,
) -> str:
    ordered = sorted(signed_headers)
    canonical_headers = "".join(f"{name}:{headers.get(name, '')}\n" for name in ordered)
    return "\n".join(
        [method.upper(), uri, query_string, canonical_headers, ";".join(ordered), sha256_hex(body)]
    )


def string_to_sign(timestamp: str, date: str, service: str, canonical: str) -> str:
    scope = f"{date}/{service}/tc3_request"
    return "\n".join([ALGORITHM, timestamp, scope, sha256_hex(canonical.encode("utf-8"))])


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signature(secret_key: str, date: str, service: str, to_sign: str) -> str:
    k_date = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac(k_date, service)
    k_signing = _hmac(k_service, "tc3_request")
    return hmac.new(k_signing, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def check_timestamp(raw: str | None, now: float) -> int:
    try:
        timestamp = int(raw or "")
    except ValueError:
        raise AuthError("MissingParameter", "X-TC-Timestamp is missing or not an integer") from None
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise AuthError(
            "AuthFailure.SignatureExpire",
            f"Signature expired: X-TC-Timestamp {timestamp} differs from server time by more "
            f"than {MAX_SKEW_SECONDS} seconds",
        )
    return timestamp


def verify(
    auth: Authorization,
    secret_key: str,
    method: str,
    uri: str,
    query_string: str,
    headers: dict[str, str],
    body: bytes,
    timestamp: int,
) -> None:
    """Raise AuthError("AuthFailure.SignatureFailure") unless the signature is right.

    ``headers`` must have lower-cased names and the values exactly as received.
    """
    if auth.date != utc_date(timestamp):
        raise AuthError(
            "AuthFailure.SignatureFailure", "credential scope date does not match X-TC-Timestamp"
        )
    canonical = canonical_request(method, uri, query_string, headers, auth.signed_headers, body)
    to_sign = string_to_sign(str(timestamp), auth.date, auth.service, canonical)
    expected = signature(secret_key, auth.date, auth.service, to_sign)
    if not hmac.compare_digest(expected, auth.signature):
        raise AuthError(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        )
