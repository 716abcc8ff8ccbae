"""Where the API keys SendCloud shows once are kept: the key store, behind one interface.

``mailops_key_store`` picks the implementation:

- ``file`` (the default): ``credentials.CredentialStore``, one ansible-vault file per tenant in
  ``credentials_dir`` and a lock file beside it. State on the runner's disk: it outlives the
  runner only if that disk does.
- ``vault``: ``vault_key_store.VaultKeyStore``, the KV v2 engine of OpenBao or HashiCorp Vault
  (same API) through ``hvac``: one secret per API user, written once (check-and-set 0), the
  tenant's lock a lease with an expiry. State that outlives any runner.

Callers (the API-user, binding and key-check stages, the key import, the migration) open the
store with ``open_key_store`` and use only the methods of ``KeyStore``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from ansible.module_utils.mailops.credentials import CredentialStore, read_password

# The ``key_store`` option of every module that reads or writes keys (doc fragment
# mailops_key_store). Empty strings count as unset: the inventory's defaults are "".
KEY_STORE_OPTIONS: dict[str, dict[str, Any]] = {
    "kind": {"type": "str", "default": "file", "choices": ["file", "vault"]},
    "url": {"type": "str"},
    "token": {"type": "str", "no_log": True},
    "role_id": {"type": "str"},
    "secret_id": {"type": "str", "no_log": True},
    "mount": {"type": "str", "default": "secret"},
    "path": {"type": "str"},
    "ca_cert": {"type": "str"},
    "verify": {"type": "bool", "default": True},
    "timeout": {"type": "float", "default": 15.0},
}
# no_log False: its secrets are its token and secret_id, each no_log
KEY_STORE_ARG: dict[str, Any] = {"type": "dict", "default": {}, "no_log": False,
                                 "options": KEY_STORE_OPTIONS}


class KeyStore(Protocol):
    """A tenant's API keys. ``location`` says where they are, for messages."""

    location: str

    def keys(self) -> dict[str, str]:
        """Every stored key by API user name (a spooled one too, until it is pushed)."""

    def pending(self) -> set[str]:
        """API users whose creation was journalled (``mark_pending``) but whose key was not stored."""

    def spooled(self) -> set[str]:
        """API users whose key waits in the local spool for the store (``push_spooled``)."""

    def mark_pending(self, tenant_id: str, *api_users: str) -> None: ...

    def add_key(self, tenant_id: str, api_user: str, key: str, **details: Any) -> None:
        """Store a key; never replaces a different stored key."""

    def replace_key(self, tenant_id: str, api_user: str, key: str, **details: Any) -> None:
        """Store a key reset in the console over the stored one (the import only)."""

    def push_spooled(self, api_user: str) -> None: ...

    def probe(self) -> None:
        """Prove the store takes a write, before an API user is created whose key it must hold."""

    def lock(self, tenant_id: str, timeout: float, check_mode: bool) -> AbstractContextManager:
        """The tenant's lock. In check mode: wait for an apply in progress, take nothing."""

    def how_to_remove(self, api_user: str) -> str:
        """The command that removes a stored key by hand (for messages)."""

    def forget_domains(self) -> bool:
        """Drop the API user's ``domain`` an older store kept beside each key, stale once a
        rebind re-points the users (SendCloud says where a user points); whether it did."""


def spool_path(credentials_file: str) -> Path:
    """The local spool of a tenant whose store is ``vault``: beside where its file store would
    be (``credentials_dir``, which git and inventory parsing leave out)."""
    path = Path(credentials_file)
    stem = path.name.removesuffix(".vault.yml")
    return path.with_name(f"{stem}.spool.vault.yml")


def open_key_store(params: dict[str, Any]) -> KeyStore:
    """The store a module's ``key_store``, ``credentials_file``, ``vault_password_file`` and
    ``vault_id`` options name. The vault password encrypts the file store and the spool."""
    options = params.get("key_store") or {}
    password = read_password(params["vault_password_file"], params["vault_id"])
    if (options.get("kind") or "file") == "file":
        return CredentialStore(params["credentials_file"], password, params["vault_id"])
    from ansible.module_utils.mailops.vault_key_store import VaultKeyStore
    from ansible.module_utils.mailops.vault_kv import KvFolder

    spool = CredentialStore(str(spool_path(params["credentials_file"])), password,
                            params["vault_id"])
    return VaultKeyStore(KvFolder(options), spool)
