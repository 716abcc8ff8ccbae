"""The tenant's lock in the ``vault`` key store: a lease held by check-and-set, with an expiry.

The secret ``<path>/.lock`` holds ``{owner, expires_at}``. A runner takes the lease by writing
its own owner with ``cas`` = the version it read (0 when the secret was never written): of two
runners that read the same version, the server takes one write and refuses the other, whichever
machine they run on. A free lease has an empty owner or an ``expires_at`` in the past (a runner
that died never released it); release writes an empty owner with the held version.

KV data never expires by itself: the expiry is this convention between runners (KV v2 has no
expiry of its own). ``LEASE_SECONDS`` is far longer than the API-user
stage it guards, and clocks on runners are assumed within a minute of each other.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.mailops.errors import ConflictError, MailopsError, TransientError
from ansible.module_utils.mailops.vault_kv import KvFolder, runner_id

LOCK = ".lock"
LEASE_SECONDS = 600


class VaultLease:
    def __init__(self, folder: KvFolder, tenant_id: str, timeout: float,
                 wait_only: bool = False, poll: float = 0.5) -> None:
        self.folder = folder
        self.tenant_id = tenant_id
        self.timeout = timeout
        self.wait_only = wait_only   # a plan or an audit: waits for an apply, takes nothing
        self.poll = poll
        self.owner = f"{runner_id()}:{uuid.uuid4().hex[:8]}"
        self.version = 0

    def __enter__(self) -> VaultLease:
        deadline = time.monotonic() + self.timeout
        while True:
            version, holder = self.folder.read(LOCK)
            if holder and holder.get("owner") == self.owner:   # our write landed, its reply lost
                self.version = version
                return self
            if not _held(holder):
                if self.wait_only or self._take(version):
                    return self
                continue   # another runner took it between our read and our write
            if time.monotonic() >= deadline:
                raise MailopsError(
                    f"tenant {self.tenant_id} is locked by another run ({holder.get('owner')}, "
                    f"lease {self.folder.mount}/{self.folder.at(LOCK)} until "
                    f"{_iso(holder.get('expires_at'))}) for more than {self.timeout:.0f}s",
                    hint="wait for the other run to finish; the lease of a run that died "
                    "expires by itself at the time above")
            time.sleep(self.poll)

    def __exit__(self, *exc_info: Any) -> None:
        if self.wait_only or not self.version:
            return
        try:
            self.folder.write((LOCK,), {"owner": "", "expires_at": 0}, cas=self.version)
        except (ConflictError, TransientError):
            # taken over after expiry, or the store is down: either way the lease is not ours
            # to release any more, and an unreleased one expires by itself
            pass

    def _take(self, version: int) -> bool:
        lease = {"owner": self.owner, "tenant_id": self.tenant_id,
                 "expires_at": int(time.time()) + LEASE_SECONDS}
        try:
            self.folder.write((LOCK,), lease, cas=version)
        except ConflictError:
            return False
        self.version = version + 1
        return True


def _held(holder: dict[str, Any] | None) -> bool:
    return bool(holder and holder.get("owner") and holder.get("expires_at", 0) > time.time())


def _iso(stamp: Any) -> str:
    return datetime.fromtimestamp(float(stamp or 0), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
