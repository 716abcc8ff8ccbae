"""The DNS records the SendCloud emulator asks a customer to publish for a sending domain.

Records are generated once, when a domain is added (or renamed), and stored; they never
change afterwards. Which records exist and which verify bit each one sets depends on the
account's ``verify_layout``; the values that name SendCloud hosts depend on its edition.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DOMESTIC = "domestic"
OVERSEAS = "overseas"
EDITIONS = (DOMESTIC, OVERSEAS)

# Verify bit per check, per layout. The check names double as the key prefixes of a
# domain/list item ("spf" -> "spf.domain", "spf.value").
LAYOUT_BITS: dict[str, dict[str, int]] = {
    "domestic_v1": {"dkim": 1, "spf": 2, "mx": 4, "cname": 8, "verifyKey": 16},
    "domestic": {"dkim": 1, "spf": 2, "mx": 4, "dmarc": 32},
    "overseas": {"dkim": 1, "spf": 2, "mx": 4, "dmarc": 16},
}

SPF_INCLUDE_HOST = {DOMESTIC: "spf.sendcloud.org", OVERSEAS: "spf.sendcloud.net"}
MX_HOST = {DOMESTIC: "mx.sendcloud.org", OVERSEAS: "mx.aurorasendcloud.com"}
MX_PRIORITY = 10  # not part of the API value; what our docs tell customers to use
DMARC_VALUE = "v=DMARC1; p=none; rua=mailto:dmarc@sendcloud.org"
CLICK_TRACK_PREFIX = "sctrack"
CLICK_TRACK_TARGET = "track.sendcloud.net"


@dataclass(frozen=True)
class ExpectedRecord:
    """One record SendCloud checks: ``check`` is the verify item ("spf", "dkim", ...)."""

    check: str
    host: str
    value: str


def dkim_selector(layout: str) -> str:
    return "mail" if layout == "domestic_v1" else "sendcloud"


def generate_records(domain: str, edition: str, layout: str) -> list[ExpectedRecord]:
    """Fresh records for ``domain``: a new DKIM key pair, and a new verify key on domestic_v1."""
    records = [
        ExpectedRecord("spf", domain, f"v=spf1 include:{SPF_INCLUDE_HOST[edition]} ~all"),
        ExpectedRecord(
            "dkim", f"{dkim_selector(layout)}._domainkey.{domain}", f"k=rsa; p={new_dkim_public_key()}"
        ),
        ExpectedRecord("mx", domain, MX_HOST[edition]),
    ]
    checks = LAYOUT_BITS[layout]
    if "dmarc" in checks:
        records.append(ExpectedRecord("dmarc", f"_dmarc.{domain}", DMARC_VALUE))
    if "verifyKey" in checks:
        records.append(ExpectedRecord("verifyKey", domain, new_verify_key_value()))
    if "cname" in checks:
        records.append(
            ExpectedRecord("cname", f"{CLICK_TRACK_PREFIX}.{domain}", CLICK_TRACK_TARGET)
        )
    return records


class _Moduli:
    """Distinct 2048-bit RSA moduli at the cost of a multiplication. Each is the product of two
    primes from a pool that grows by one generated key's p and q when the pairs run out (n primes
    make n(n-1)/2 moduli: 8 key generations cover 100 domains, 23 cover 1000). A key generated per
    domain costs CPU that, on one machine, competes with the client being measured (the bench); an emulator's DKIM keys must be well-formed and distinct, not secret.
    OpenSSL sets the top two bits of each 1024-bit prime, so every product has 2048 bits."""

    def __init__(self) -> None:
        self._primes: list[int] = []
        self._pairs: Iterator[tuple[int, int]] = iter(())
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            pair = next(self._pairs, None)
            if pair is None:
                numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
                new = (numbers.p, numbers.q)
                self._pairs = iter([new, *((p, q) for p in new for q in self._primes)])
                self._primes.extend(new)
                pair = next(self._pairs)
            return pair[0] * pair[1]


_MODULI = _Moduli()


def new_dkim_public_key() -> str:
    """Base64 DER SubjectPublicKeyInfo of a 2048-bit RSA public key never handed out before by
    this process (about 392 characters)."""
    key = rsa.RSAPublicNumbers(65537, _MODULI.next()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def new_verify_key_value() -> str:
    """``sendcloud-site-verification=<uuid>-<13-digit ms timestamp>``, published as-is."""
    return f"sendcloud-site-verification={uuid.uuid4()}-{int(time.time() * 1000)}"


def records_to_json(records: list[ExpectedRecord]) -> list[dict[str, str]]:
    return [asdict(record) for record in records]


def records_from_json(data: list[dict[str, str]]) -> list[ExpectedRecord]:
    return [ExpectedRecord(**item) for item in data]
