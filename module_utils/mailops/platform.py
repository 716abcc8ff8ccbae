"""The marketing platform's binding of a tenant to its SendCloud credentials.

Contract: docs/binding-api.md. The platform never returns keys, only their SHA-256, so the
desired binding is compared on key fingerprints and written only when something differs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ansible.module_utils.mailops.errors import (
    AuthError,
    ConflictError,
    MailopsError,
    ValidationError,
)
from ansible.module_utils.mailops.http import AmbiguousWriteError, HttpClient

COMPARED_FIELDS = ("sending_domain", "edition", "sender_address", "sender_name", "reply_to_address")


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class DesiredBinding:
    sending_domain: str
    edition: str
    api_users: dict[str, dict[str, str | None]]  # role -> {name, key}; key None = known after apply
    sender_address: str
    sender_name: str
    reply_to_address: str

    def public_view(self) -> dict[str, Any]:
        """The binding as GET shows it: keys replaced by their fingerprints."""
        view: dict[str, Any] = {f: getattr(self, f) for f in COMPARED_FIELDS}
        view["api_users"] = {
            role: {
                "name": user["name"],
                "key_sha256": fingerprint(user["key"]) if user["key"] else "(known after apply)",
            }
            for role, user in sorted(self.api_users.items())
        }
        return view

    def request_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {f: getattr(self, f) for f in COMPARED_FIELDS}
        body["api_users"] = {
            role: {"name": u["name"], "key": u["key"]} for role, u in self.api_users.items()
        }
        return body


class PlatformClient:
    def __init__(self, api_url: str, token: str, http: HttpClient | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.http = http or HttpClient("marketing platform")

    def _url(self, tenant_id: str) -> str:
        return f"{self.api_url}/v1/tenants/{quote(tenant_id, safe='')}/binding"

    def get_binding(self, tenant_id: str) -> dict[str, Any] | None:
        result = self.http.request(
            "GET",
            self._url(tenant_id),
            action="GET binding",
            idempotent=True,
            headers=self._headers(),
        )
        if result.status == 404:
            return None
        self._raise_for(result.status, result.body, tenant_id, "read")
        return result.body

    def put_binding(
        self, tenant_id: str, binding: DesiredBinding, revision: int | None
    ) -> dict[str, Any]:
        headers = self._headers()
        # conditional even on create (0 = no binding yet): two runs never both write it
        headers["If-Match"] = str(revision or 0)
        try:
            result = self.http.request(
                "PUT",
                self._url(tenant_id),
                action="PUT binding",
                idempotent=False,
                json_body=binding.request_body(),
                headers=headers,
            )
        except AmbiguousWriteError:
            # a PUT is idempotent in effect: re-read, and write again only if it did not land
            current = self.get_binding(tenant_id)
            if current and view_of(current) == binding.public_view():
                return current
            result = self.http.request(
                "PUT",
                self._url(tenant_id),
                action="PUT binding",
                idempotent=True,
                json_body=binding.request_body(),
                headers={**self._headers(), "If-Match": str((current or {}).get("revision") or 0)},
            )
        if result.status == 412:
            # another run wrote it since we read it: done if it now holds what we want
            current = self.get_binding(tenant_id)
            if current and view_of(current) == binding.public_view():
                return current
        self._raise_for(result.status, result.body, tenant_id, "write")
        return result.body

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    @staticmethod
    def _raise_for(status: int, body: Any, tenant_id: str, verb: str) -> None:
        if 200 <= status < 300:
            return
        error = (body or {}).get("error", {}) if isinstance(body, dict) else {}
        code, message = error.get("code"), error.get("message")
        what = f"platform binding {verb} for tenant {tenant_id}"
        if status in (401, 403):
            raise AuthError(
                f"{what} was refused (HTTP {status})",
                code=code,
                provider_message=message,
                hint="check platform_api_token for this tenant",
            )
        if status == 412:
            raise ConflictError(
                f"{what}: the binding changed since it was read (HTTP 412)",
                code=code,
                provider_message=message,
                hint="run again",
            )
        if status == 422 and code == "keys_rejected":
            api_user = error.get("api_user") or "the API user named above"
            raise AuthError(
                f"{what} was rejected (HTTP 422): SendCloud does not accept the stored key of "
                f"{api_user}",
                code=code,
                provider_message=message,
                hint=f"the credential file holds a key SendCloud no longer takes: reset the key of "
                f"{api_user} in the SendCloud console, then store it with "
                f"playbooks/import_key.yml -l <tenant> -e api_user={api_user}",
            )
        if status == 422:
            raise ValidationError(
                f"{what} was rejected (HTTP 422)",
                code=code,
                provider_message=message,
                hint="fix the field named above in the inventory",
            )
        raise MailopsError(f"{what} failed (HTTP {status})", code=code, provider_message=message)


def view_of(current: dict[str, Any]) -> dict[str, Any]:
    view = {f: current.get(f) for f in COMPARED_FIELDS}
    view["api_users"] = {
        role: {"name": user.get("name"), "key_sha256": user.get("key_sha256")}
        for role, user in sorted((current.get("api_users") or {}).items())
    }
    return view
