"""SendCloud management API client: both editions, the documented envelope and error codes.

Domestic (``https://api.sendcloud.net/apiv2``) and overseas/Aurora
(``https://api2.sendcloud.net/api`` or a regional ``api[-us|-hk].aurorasendcloud.com/api``)
share the paths below the base. Every call is a form POST carrying ``apiUser``/``apiKey`` in
the body, never in the URL, so a key cannot end up in a proxy or server access log. Every
response is HTTP 200 with ``{result, statusCode, message, info}``; ``statusCode`` holds the API
code (SendCloud's API documentation lists them; errors.py and diagnose.py name the ones the
project meets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible.module_utils.mailops.errors import (
    AuthError,
    ConflictError,
    MailopsError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from ansible.module_utils.mailops.http import HttpClient

DEFAULT_API_BASE = {
    "domestic": "https://api.sendcloud.net/apiv2",
    "overseas": "https://api2.sendcloud.net/api",
}
OTHER_EDITION = {"domestic": "overseas", "overseas": "domestic"}

AUTH_CODES = {40005, 40301, 6001}
RATE_CODES = {50000, 40913}
TRANSIENT_CODES = {501, 49902, 49903, 49906}
NOT_FOUND_CODES = {41014, 41108, 41109}
LIMIT_CODES = {
    41012: "at most 5 sending domains per account",
    41112: "at most 10 API users per account",
}
# SendCloud's generic "creation failed" codes, with their usual cause. Not documented: the
# sandbox and docs/sendcloud-emulator.md give these causes the same codes.
FAILED_HINTS = {
    ("apiuser/add", 41119): "an API user name is global across SendCloud accounts: if another "
                            "account (or its login) already uses this name, choose another in "
                            "sendcloud_api_users, e.g. prefixed with the tenant id; click tracking "
                            "(sendcloud_tracking.click) is also refused until the domain's "
                            "tracking CNAME verifies",
    ("domain/add", 41015): "a domain name is global across SendCloud accounts: if another account "
                           "holds it, remove it there or choose another sending_domain",
}


@dataclass(frozen=True)
class Account:
    edition: str
    api_base: str
    api_user: str
    api_key: str

    @classmethod
    def build(
        cls, edition: str, api_user: str, api_key: str, api_base: str | None = None
    ) -> Account:
        if edition not in DEFAULT_API_BASE:
            raise ValidationError(
                f"sendcloud_edition is '{edition}'", hint="use 'domestic' or 'overseas'"
            )
        return cls(edition, (api_base or DEFAULT_API_BASE[edition]).rstrip("/"), api_user, api_key)


class SendCloudClient:
    def __init__(self, account: Account, http: HttpClient | None = None) -> None:
        self.account = account
        self.http = http or HttpClient("SendCloud")

    # -- reads -------------------------------------------------------------------------
    def user_info(self) -> dict[str, Any]:
        return self.call("userinfo/get", write=False)

    def list_domains(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        params = {"name": ";".join(names)} if names else {}
        return self.call("domain/list", params, write=False).get("dataList") or []

    def list_api_users(self, domain: str | None = None) -> list[dict[str, Any]]:
        params = {"domainName": domain} if domain else {}
        return self.call("apiuser/list", params, write=False).get("dataList") or []

    # -- writes ------------------------------------------------------------------------
    def add_domain(self, name: str) -> dict[str, Any]:
        return self.call("domain/add", {"name": name}, write=True).get("data") or {}

    def delete_domain(self, name: str) -> None:
        self.call("domain/delete", {"name": name}, write=True)

    def add_api_user(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.call("apiuser/add", params, write=True).get("data") or {}

    def update_api_user(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.call("apiuser/update", params, write=True).get("data") or {}

    # -- transport ---------------------------------------------------------------------
    def call(
        self, action: str, params: dict[str, Any] | None = None, *, write: bool
    ) -> dict[str, Any]:
        form = {"apiUser": self.account.api_user, "apiKey": self.account.api_key}
        form.update({k: _form_value(v) for k, v in (params or {}).items() if v is not None})
        result = self.http.request(
            "POST",
            f"{self.account.api_base}/{action}",
            action=action,
            idempotent=not write,
            data=form,
        )
        envelope = result.body
        if not isinstance(envelope, dict) or "statusCode" not in envelope:
            raise MailopsError(
                f"SendCloud {action}: HTTP {result.status} without the API envelope",
                hint=f"check sendcloud_api_base ({self.account.api_base})",
            )
        if envelope.get("result") is True and int(envelope["statusCode"]) == 200:
            return envelope.get("info") or {}
        raise self._error(action, int(envelope["statusCode"]), str(envelope.get("message", "")))

    def _error(self, action: str, code: int, message: str) -> MailopsError:
        what = f"SendCloud {action} for account {self.account.api_user}"
        if code in AUTH_CODES:
            other = OTHER_EDITION[self.account.edition]
            return AuthError(
                f"{what} ({self.account.edition} edition, {self.account.api_base}) was refused",
                code=str(code),
                provider_message=message,
                hint=(
                    f"check sendcloud_api_user/sendcloud_api_key; if the account is on the "
                    f"{other} edition set sendcloud_edition: {other}"
                ),
            )
        if code in RATE_CODES:
            return RateLimitedError(what, code=str(code), provider_message=message)
        if code in TRANSIENT_CODES:
            return TransientError(what, code=str(code), provider_message=message)
        if code in NOT_FOUND_CODES:
            return NotFoundError(what, code=str(code), provider_message=message)
        if code in LIMIT_CODES:
            return ConflictError(
                f"{what}: the account limit is reached ({LIMIT_CODES[code]})",
                code=str(code),
                provider_message=message,
                hint="remove unused domains/API users in the SendCloud console",
            )
        return MailopsError(what + " failed", code=str(code), provider_message=message,
                            hint=FAILED_HINTS.get((action, code)))


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
