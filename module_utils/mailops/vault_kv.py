"""One tenant's folder in the KV v2 engine of OpenBao or HashiCorp Vault (same API), through
``hvac``: the connection, login (token or AppRole), retries, and errors in the project's terms.

The ``vault`` key store (vault_key_store.py), the tenant's lease (vault_lease.py) and the
rebind journal (rebind_journal_store.py) all live in the folder ``<mount>/<path>``; names that
start with a dot are theirs and can never be API user names (``[A-Za-z0-9_]{6,32}``).

Reference: the KV v2 secrets engine's HTTP API of OpenBao and HashiCorp Vault (endpoints,
check-and-set, hvac's exceptions). Requests are retried with capped, jittered backoff while the store is down
or busy; a refusal (403, a missing token, a failed AppRole login) is an ``AuthError`` that
names the policy the token needs.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.mailops.errors import (
    AuthError,
    ConflictError,
    TransientError,
    ValidationError,
)
from ansible.module_utils.mailops.http import RetryPolicy

try:
    import hvac
    import hvac.exceptions
    import requests
except ImportError:  # reported when a vault store is opened
    hvac = None

CAS_MISMATCH = "check-and-set parameter did not match"


class KvFolder:
    def __init__(self, options: dict[str, Any], retry: RetryPolicy | None = None) -> None:
        if hvac is None:
            raise ValidationError("mailops_key_store is vault, but the hvac library is missing",
                                  hint="pip install -r requirements.txt (it pins hvac)")
        self.url = options.get("url") or os.environ.get("VAULT_ADDR") or ""
        if not self.url:
            raise ValidationError(
                "mailops_key_store is vault, but key_store_vault_url is not set and VAULT_ADDR "
                "is empty", hint="set key_store_vault_url to the store's address, e.g. "
                "https://bao.example.com:8200")
        self.mount = (options.get("mount") or "secret").strip("/")
        self.path = (options.get("path") or "").strip("/")
        if not self.path:
            raise ValidationError("key_store_vault_path is empty",
                                  hint="leave it unset (mailops/<tenant_id>) or name the "
                                  "tenant's folder in the KV engine")
        self.options = options
        self.retry = retry or RetryPolicy()
        self.location = f"{self.url} (KV v2 {self.mount}/{self.path})"
        self._client: Any = None

    def at(self, *parts: str) -> str:
        """The path of ``parts`` in the engine, below the folder."""
        return "/".join((self.path, *parts))

    def read(self, *parts: str) -> tuple[int, dict[str, Any] | None]:
        """(the current version, its data): (0, None) when never written; the data is None
        when that version was deleted."""
        try:
            response = self._call(f"read {'/'.join(parts)}", lambda kv: kv.read_secret_version(
                path=self.at(*parts), mount_point=self.mount, raise_on_deleted_version=False))
        except hvac.exceptions.InvalidPath:
            return 0, None
        body = response.get("data") or {}
        return int((body.get("metadata") or {}).get("version") or 0), body.get("data")

    def write(self, parts: tuple[str, ...], secret: dict[str, Any], cas: int | None = None) -> None:
        """A write; with ``cas``, ``ConflictError`` when the version moved (someone else wrote)."""
        try:
            self._call(f"write {'/'.join(parts)}", lambda kv: kv.create_or_update_secret(
                path=self.at(*parts), secret=secret, cas=cas, mount_point=self.mount))
        except hvac.exceptions.InvalidRequest as error:
            if CAS_MISMATCH in str(error):
                raise ConflictError(f"{self.mount}/{self.at(*parts)} changed meanwhile") from None
            raise self._refused(f"write {'/'.join(parts)}", error) from None

    def delete(self, *parts: str) -> None:
        """The secret with every version (its metadata): a later write may use cas=0 again."""
        self._call(f"delete {'/'.join(parts)}", lambda kv: kv.delete_metadata_and_all_versions(
            path=self.at(*parts), mount_point=self.mount))

    def list(self, *parts: str) -> list[str]:
        try:
            response = self._call(f"list {self.at(*parts)}", lambda kv: kv.list_secrets(
                path=self.at(*parts), mount_point=self.mount))
        except hvac.exceptions.InvalidPath:
            return []
        return list((response.get("data") or {}).get("keys") or [])

    def _call(self, action: str, request: Callable[[Any], Any]) -> Any:
        """One KV request (given the KV v2 client), retried as ``_retrying`` says."""
        return self._retrying(action, lambda: request(self._kv()))

    def _retrying(self, action: str, request: Callable[[], Any]) -> Any:
        """``request`` retried with capped, jittered backoff while the store is down or busy.
        hvac's InvalidPath (404) and InvalidRequest (400) go to the caller."""
        last_error = ""
        for attempt in range(self.retry.attempts):
            try:
                return request()
            except (requests.ConnectionError, requests.Timeout) as error:
                last_error = "connection refused" if "refused" in str(error).lower() else \
                    type(error).__name__
            except (hvac.exceptions.VaultDown, hvac.exceptions.InternalServerError,
                    hvac.exceptions.BadGateway, hvac.exceptions.RateLimitExceeded) as error:
                last_error = f"{type(error).__name__}: {_first_error(error)}"
            except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized) as error:
                raise self._refused(action, error) from None
            except hvac.exceptions.InvalidRequest as error:
                if "missing client token" in str(error):
                    raise self._refused(action, error) from None
                raise
            if attempt < self.retry.attempts - 1:
                self.retry.sleep(self.retry.backoff(attempt))
        raise TransientError(
            f"the key store at {self.url} did not answer ({action}): gave up after "
            f"{self.retry.attempts} attempts; last error: {last_error}",
            hint="check that the store is up and reachable from this runner "
            "(key_store_vault_url, VAULT_ADDR) and run again")

    def _refused(self, action: str, error: Exception) -> AuthError:
        return AuthError(
            f"the key store at {self.url} refused to {action} under {self.mount}/{self.path} "
            f"({_first_error(error)})",
            hint="check key_store_vault_token (or VAULT_TOKEN, or the AppRole's "
            "key_store_vault_role_id/key_store_vault_secret_id), its expiry, and that its "
            f"policy allows create, read, update, delete and list on {self.mount}/data/"
            f"{self.path}/* and {self.mount}/metadata/{self.path}/*")

    def _kv(self) -> Any:
        if self._client is None:
            self._client = self._login()
        return self._client.secrets.kv.v2

    def _login(self) -> Any:
        session = requests.Session()
        session.trust_env = False   # never send the store's token through a stray proxy
        ca_cert = self.options.get("ca_cert") or os.environ.get("VAULT_CACERT")
        verify = ca_cert if ca_cert else self.options.get("verify", True) is not False
        client = hvac.Client(url=self.url, token=None, verify=verify, session=session,
                             timeout=self.options.get("timeout") or 15.0)
        role_id, secret_id = self.options.get("role_id"), self.options.get("secret_id")
        if role_id:
            if not secret_id:
                raise ValidationError("key_store_vault_role_id is set but "
                                      "key_store_vault_secret_id is not",
                                      hint="give the AppRole's secret id too (vault it)")
            try:
                self._retrying("log in with the AppRole", lambda: client.auth.approle.login(
                    role_id=role_id, secret_id=secret_id))
            except hvac.exceptions.InvalidRequest as error:
                raise self._refused("log in with the AppRole", error) from None
            return client
        token = self.options.get("token") or os.environ.get("VAULT_TOKEN")
        if not token:
            raise ValidationError(
                "mailops_key_store is vault, but no credential for it is set",
                hint="set key_store_vault_token (vault it), or the AppRole's "
                "key_store_vault_role_id and key_store_vault_secret_id, or export VAULT_TOKEN")
        client.token = token
        return client


def _first_error(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if not errors:
        return type(error).__name__
    # older servers wrap one error as "1 error occurred:\n\t* permission denied\n\n"
    text = " ".join("; ".join(str(e) for e in errors).split())
    return re.sub(r"^\d+ errors? occurred: \* ", "", text)[:200]


def runner_id() -> str:
    """Who holds a lease or wrote a probe: this host and process, for messages."""
    return f"{socket.gethostname()}:{os.getpid()}"


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
