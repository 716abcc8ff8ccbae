"""The tenant's credential file: API keys, encrypted in ansible-vault format.

One YAML document per tenant, vaulted as a whole::

    tenant_id: acme
    api_users:
      acme_batch: {key: ..., email_type: batch, captured_at: ...}

An API user's domain is SendCloud's to say (apiuser/list): the file does not copy it, so a rebind
leaves nothing in it stale. Files written before that listed it; the rebind that re-points the
users drops it (forget_domains).

A key is written the moment SendCloud shows it (temp file in the same directory, fsync,
rename, fsync of the directory, mode 0600), so a crash can leave the old file or the new
file, never half of one. A per-tenant lock file beside it serialises concurrent runs.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from ansible.module_utils.mailops import vault
from ansible.module_utils.mailops.artifacts import write_text
from ansible.module_utils.mailops.errors import MailopsError, ValidationError

# libyaml's parser and emitter where PyYAML has them: a first run reads the file about six
# times and writes it three times, and the pure-Python ones took most of that CPU.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


PASSWORD_SCRIPT_TIMEOUT = 60.0


def read_password(password_file: str, vault_id: str = "default") -> bytes:
    """The vault password, as Ansible reads ``--vault-id ID@FILE``: an executable file is run and
    its output is the password (a client script, named ``*-client`` or ``*-client.EXT``, is
    given ``--vault-id ID``); any other file is read."""
    path = Path(password_file)
    if not path.is_file():
        raise _no_password_file(password_file)
    if os.access(path, os.X_OK):
        password = _password_from_script(path, vault_id)
    else:
        password = path.read_bytes().strip()
    if not password:
        raise ValidationError(f"vault password file {password_file} is empty"
                              + (" (the script printed nothing)" if os.access(path, os.X_OK) else ""),
                              hint="put the vault password in it (one line)")
    return password


def _password_from_script(path: Path, vault_id: str) -> bytes:
    command = [str(path)]
    if path.stem.endswith("-client"):
        command += ["--vault-id", vault_id]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PASSWORD_SCRIPT_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ValidationError(f"the vault password script {path} could not be run ({error})",
                              hint="make it a working script that prints the password, or remove "
                                   "its execute bit (chmod -x) if the file holds the password") from None
    if done.returncode != 0:
        raise ValidationError(
            f"the vault password script {path} exited with {done.returncode}: "
            f"{done.stderr.decode(errors='replace').strip()[:300]}",
            hint="fix the script (Ansible runs an executable password file and uses what it "
                 "prints), or remove its execute bit (chmod -x) if the file holds the password")
    return done.stdout.strip()


def _no_password_file(password_file: str) -> ValidationError:
    hint = ("set credentials_vault_password_file (MAILOPS_VAULT_PASSWORD_FILE in the example "
            "inventory) to the path of the file that holds this inventory's vault password")
    if in_an_existing_directory(password_file):
        return ValidationError(f"vault password file {password_file} does not exist or is not "
                               "a file", hint=hint)
    # Not a file in a directory that exists: the setting may hold the password itself (a
    # generated one often has a '/'), which must not be echoed.
    return ValidationError(
        "credentials_vault_password_file does not name an existing file; its value is not shown "
        "because it is not a path in an existing directory and may be the password itself "
        "rather than a file's path",
        hint=f"{hint}, not the password (a file in the current directory: ./NAME)",
    )


def in_an_existing_directory(value: str) -> bool:
    directory = os.path.dirname(value)
    return directory not in ("", os.sep) and os.path.isdir(os.path.expanduser(directory))


def check_tenant_api_user(tenant_id: str, api_user: str, api_user_names: dict[str, str]) -> None:
    """A tenant's credential file holds only the keys of its own API users: another tenant's
    key stored there would be bound to this tenant's platform account."""
    if api_user in api_user_names.values():
        return
    own_users = ", ".join(f"{name} ({role})" for role, name in sorted(api_user_names.items()))
    raise ValidationError(
        f"{api_user} is not an API user of tenant {tenant_id}, whose sendcloud_api_users are "
        f"{own_users}; nothing was stored",
        hint=f"set api_user to one of {tenant_id}'s API users, or limit the run (-l) to the "
        f"tenant that owns {api_user}",
    )


class CredentialStore:
    """The ``file`` key store (module_utils/mailops/key_store.py), and the ``vault`` store's
    local spool."""

    def __init__(self, path: str, password: bytes, vault_id: str = "default") -> None:
        self.path = Path(path)
        self.password = password
        self.vault_id = vault_id
        self.location = str(self.path)

    def load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"api_users": {}}
        # A vault file is ASCII: bytes that are not (a damaged file) fail the envelope check.
        vaulttext = self.path.read_bytes().decode("ascii", errors="replace")
        plaintext = vault.decrypt(vaulttext, self.password, source=str(self.path),
                                  vault_id=self.vault_id)
        document = _parse(plaintext, str(self.path)) or {}
        if not isinstance(document, dict):
            raise ValidationError(
                f"{self.path} opens, but its content is a {type(document).__name__}, "
                "not the mapping of a credential file",
                hint="restore it from backup",
            )
        document.setdefault("api_users", {})
        return document

    def keys(self) -> dict[str, str]:
        return {
            name: entry["key"]
            for name, entry in self.load()["api_users"].items()
            if entry.get("key")
        }

    def pending(self) -> set[str]:
        """API users whose creation this store saw start but not finish (see mark_pending)."""
        return set(self.load().get("pending") or {})

    def mark_pending(self, tenant_id: str, *api_users: str) -> None:
        """Journal API-user creations before they are sent (all of a run's in one write). If the
        run dies after SendCloud committed one but before its key was written, the next run knows
        the orphan is its own (nobody else ever saw that key) and may replace it instead of
        stopping for a human; a pending user SendCloud never created is simply created."""
        document = self.load()
        document["tenant_id"] = tenant_id
        for api_user in api_users:
            document.setdefault("pending", {})[api_user] = {"started_at": _now()}
        self._write(_dump(document))

    def add_key(self, tenant_id: str, api_user: str, key: str, **details: Any) -> None:
        document = self.load()
        document["tenant_id"] = tenant_id
        document["api_users"][api_user] = {"key": key, **details, "captured_at": _now()}
        (document.get("pending") or {}).pop(api_user, None)
        if not document.get("pending"):
            document.pop("pending", None)
        self._write(_dump(document))

    def replace_key(self, tenant_id: str, api_user: str, key: str, **details: Any) -> None:
        self.add_key(tenant_id, api_user, key, **details)   # the file keeps no history

    def remove_key(self, api_user: str) -> None:
        """Drop a key (the spool, once the store holds it); the file goes with its last key."""
        document = self.load()
        document["api_users"].pop(api_user, None)
        if document["api_users"] or document.get("pending"):
            self._write(_dump(document))
        elif self.path.exists():
            self.path.unlink()

    def spooled(self) -> set[str]:
        return set()   # this store is its own disk: nothing waits to go elsewhere

    def push_spooled(self, api_user: str) -> None:
        raise MailopsError(f"{self.path} has no spool: {api_user} has nothing to push")

    def probe(self) -> None:
        """The directory takes a file (a write and a delete), before a key must be written."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            with tempfile.NamedTemporaryFile(dir=self.path.parent, prefix=".probe."):
                pass
        except OSError as error:
            raise MailopsError(
                f"the credentials directory {self.path.parent} does not take a file "
                f"({error.strerror}); no API user was created",
                hint="make credentials_dir writable for the user running Ansible") from None

    def lock(self, tenant_id: str, timeout: float, check_mode: bool) -> AbstractContextManager:
        """A plan (and the audit) waits for an apply in progress, which may be between a create
        and its key's write, but creates no lock file: where there is none, no apply has run."""
        if check_mode and not lock_path(self.path.parent, tenant_id).exists():
            return nullcontext()
        return tenant_lock(str(self.path.parent), tenant_id, timeout)

    def how_to_remove(self, api_user: str) -> str:
        return f"remove {api_user} from api_users in {self.path} with ansible-vault edit"

    def forget_domains(self) -> bool:
        """Drops the ``domain`` an older file kept per API user (stale once a rebind re-points
        the users), in one atomic write; whether there was one."""
        document = self.load()
        entries = [entry for entry in document["api_users"].values() if "domain" in entry]
        for entry in entries:
            entry.pop("domain")
        if entries:
            self._write(_dump(document))
        return bool(entries)

    def _write(self, plaintext: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_text(self.path, vault.encrypt(plaintext, self.password, self.vault_id),
                   mode=0o600, durable=True)


def _parse(plaintext: bytes, source: str) -> Any:
    """The decrypted YAML document. A parse error names only the place: PyYAML's pure-Python
    loader quotes the offending line in its message, and that line may hold a key."""
    try:
        return yaml.load(plaintext, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise ValidationError(
            f"{source} opens with the vault password, but its decrypted content is not valid "
            f"YAML{_place(error)}; the content is not shown, it holds API keys",
            hint=f"correct it with ansible-vault edit --vault-id ID@PASSWORD_FILE {source}, "
            "or restore it from backup",
        ) from None


def _place(error: yaml.YAMLError) -> str:
    """Where a YAML error is: line and column only (its marks' snippets quote the content)."""
    problem = getattr(error, "problem_mark", None)
    context = getattr(error, "context_mark", None)
    place = f" at line {problem.line + 1}, column {problem.column + 1}" if problem else ""
    if context and (not problem or context.line != problem.line):
        place += f" (in what begins at line {context.line + 1}, column {context.column + 1})"
    return place


def _dump(document: dict[str, Any]) -> bytes:
    return yaml.dump(document, Dumper=_DUMPER, sort_keys=True).encode()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lock_path(credentials_dir: str | Path, tenant_id: str) -> Path:
    """The tenant's lock file, beside its credential file; it exists once an apply has run."""
    return Path(credentials_dir) / f".{tenant_id}.lock"


@contextmanager
def tenant_lock(
    credentials_dir: str, tenant_id: str, timeout: float = 120.0, poll: float = 0.2
) -> Iterator[None]:
    """An exclusive lock per tenant: two runs on one tenant never create anything twice,
    runs on different tenants never wait for each other."""
    Path(credentials_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_file = lock_path(credentials_dir, tenant_id)
    with open(lock_file, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise MailopsError(
                        f"tenant {tenant_id} is locked by another run ({lock_file}) "
                        f"for more than {timeout:.0f}s",
                        hint="wait for the other run to finish; the lock is released "
                        "automatically when that process exits",
                    ) from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
