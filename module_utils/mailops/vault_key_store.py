"""The ``vault`` key store: the tenant's API keys in the KV v2 engine of OpenBao or HashiCorp
Vault (the folder ``<mount>/<path>``, vault_kv.py)::

    <api_user>             {key, email_type, captured_at, tenant_id}  written once (cas=0)
    .pending/<api_user>    {started_at}   journalled before the create, removed with the key
    .lock                  {owner, expires_at}  the tenant's lease (vault_lease.py)
    .probe                 written and deleted by the preflight's probe

Write-once: a key is written with check-and-set 0, which the server refuses when the secret
has ever been written. Two runners that race never replace a stored key; a retried write
whose first attempt landed finds its own key and goes on.

Nothing lost: a store failure while writing a key SendCloud just returned is retried with
backoff (vault_kv.py); if it still fails, the key goes to the tenant's local spool (an
ansible-vault file, ``<credentials_dir>/<tenant>.spool.vault.yml``), the error names that file,
and the next run pushes it to the store (its plan shows the API user as ``push``).
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.credentials import CredentialStore
from ansible.module_utils.mailops.errors import (
    AuthError,
    ConflictError,
    MailopsError,
    TransientError,
)
from ansible.module_utils.mailops.vault_kv import KvFolder, now_text, runner_id

PENDING = ".pending"
PROBE = ".probe"


class VaultKeyStore:
    def __init__(self, folder: KvFolder, spool: CredentialStore) -> None:
        self.folder = folder
        self.spool = spool
        self.location = folder.location

    def keys(self) -> dict[str, str]:
        stored = {name: entry["key"] for name, entry in self._entries().items() if entry.get("key")}
        spooled = {name: key for name, key in self.spool.keys().items() if name not in stored}
        return {**spooled, **stored}

    def pending(self) -> set[str]:
        return set(self.folder.list(PENDING))

    def spooled(self) -> set[str]:
        spool = self.spool.keys()
        if not spool:
            return set()
        return set(spool) - set(self._entries())

    def mark_pending(self, tenant_id: str, *api_users: str) -> None:
        for api_user in api_users:
            self.folder.write((PENDING, api_user), {"started_at": now_text(), "tenant_id": tenant_id})

    def add_key(self, tenant_id: str, api_user: str, key: str, **details: Any) -> None:
        entry = {"key": key, **details, "tenant_id": tenant_id, "captured_at": now_text()}
        try:
            self._write_once(api_user, entry)
        except (TransientError, AuthError) as error:
            self.spool.add_key(tenant_id, api_user, key, **details)
            raise MailopsError(
                f"the key of API user {api_user} could not be written to the key store "
                f"{self.location}: {error.message}. It is NOT lost: it is kept, encrypted, in "
                f"the local spool {self.spool.path}, and the next run pushes it to the store",
                hint=f"keep {self.spool.path} until a run has pushed it (the next run's plan "
                "shows the API user as 'push'): do not delete this runner's credentials_dir; "
                "on a fresh runner, copy the file into its credentials_dir first") from None
        self.folder.delete(PENDING, api_user)

    def forget_domains(self) -> bool:
        """A secret is written once: one from before that kept its user's domain keeps it (no
        run reads it; SendCloud says where a user points)."""
        return False

    def replace_key(self, tenant_id: str, api_user: str, key: str, **details: Any) -> None:
        """A key reset in the console and imported by hand: a new version over the one read
        (check-and-set on it, so a concurrent writer still loses); the old key stays in the
        secret's version history."""
        version, _current = self.folder.read(api_user)
        entry = {"key": key, **details, "tenant_id": tenant_id, "captured_at": now_text()}
        self.folder.write((api_user,), entry, cas=version)
        self.folder.delete(PENDING, api_user)

    def push_spooled(self, api_user: str) -> None:
        entry = dict(self.spool.load()["api_users"][api_user])
        self._write_once(api_user, entry)
        self.spool.remove_key(api_user)
        self.folder.delete(PENDING, api_user)

    def probe(self) -> None:
        try:
            self.folder.write((PROBE,), {"probe_at": now_text(), "by": runner_id()})
            self.folder.delete(PROBE)
        except MailopsError as error:
            raise type(error)(
                f"the key store does not take a write and a delete: {error.message}; no API "
                "user was created, so no key can be lost", hint=error.hint) from None

    def lock(self, tenant_id: str, timeout: float, check_mode: bool):
        from ansible.module_utils.mailops.vault_lease import VaultLease

        return VaultLease(self.folder, tenant_id, timeout, wait_only=check_mode)

    def how_to_remove(self, api_user: str) -> str:
        return (f"delete it with 'bao kv metadata delete -mount={self.folder.mount} "
                f"{self.folder.at(api_user)}' (vault: the same command)")

    def _write_once(self, api_user: str, entry: dict[str, Any]) -> None:
        where = f"{self.folder.mount}/{self.folder.at(api_user)}"
        try:
            self.folder.write((api_user,), entry, cas=0)
        except ConflictError:
            version, existing = self.folder.read(api_user)
            if existing and existing.get("key") == entry["key"]:
                return   # our own write, retried after its reply was lost
            if existing is None:
                raise ConflictError(
                    f"the key store holds a deleted version ({version}) of {api_user}'s key at "
                    f"{where}: a key is written only where none was ever written "
                    "(check-and-set 0), so this run did not store its key",
                    hint=f"undelete it ('bao kv undelete -mount={self.folder.mount} "
                    f"-versions={version} {self.folder.at(api_user)}') if it is the key in use, "
                    f"or remove its history ('bao kv metadata delete -mount={self.folder.mount} "
                    f"{self.folder.at(api_user)}')") from None
            raise ConflictError(
                f"another run stored a key for API user {api_user} at {where} (captured "
                f"{existing.get('captured_at')}): keys are written once (check-and-set 0), so "
                "this run's key did not replace it",
                hint="run again: the next run reads the stored key; if two runners raced on "
                "this tenant, give them one lock (mailops_key_store: vault on both)") from None

    def _entries(self) -> dict[str, dict[str, Any]]:
        entries = {}
        for name in self.folder.list():
            if name.startswith(".") or name.endswith("/"):
                continue
            _version, data = self.folder.read(name)
            if data:
                entries[name] = data
        return entries
