"""The one thing a hand-written playbook cannot do with ansible.builtin.uri: sign a Tencent
Cloud API 3.0 request (TC3-HMAC-SHA256). Written from Tencent Cloud's published algorithm.

    headers: "{{ body | dnspod_tc3_headers('CreateRecord', secret_id, secret_key, host) }}"
    body: "{{ body }}"            # the exact JSON string that was signed
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

SERVICE = "dnspod"
VERSION = "2021-03-23"
CONTENT_TYPE = "application/json"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def dnspod_tc3_headers(body: str, action: str, secret_id: str, secret_key: str,
                       host: str) -> dict[str, str]:
    timestamp = int(time.time())
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    payload_hash = hashlib.sha256(body.encode("utf-8")).hexdigest()
    canonical = f"POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n\ncontent-type;host\n{payload_hash}"
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
               f"{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}")
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return {
        "Authorization": (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
                          f"SignedHeaders=content-type;host, Signature={signature}"),
        "Content-Type": CONTENT_TYPE,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": VERSION,
    }


class FilterModule:
    def filters(self) -> dict:
        return {"dnspod_tc3_headers": dnspod_tc3_headers}
