"""Where a rebind's audit log and backups are kept: state a resumed or abandoned rebind is
decided from (rebind.phase_of), so it must outlive the runner as the keys do.

- ``file`` key store: the JSON-lines audit log ``rebind_audit_log`` (one line per event,
  appended and fsynced) and one JSON file per backup under ``rebind_backup_dir/<tenant>/``.
- ``vault`` key store: the tenant's folder in the store (vault_kv.py) holds the journal,
  ``.rebind/journal`` = ``{entries: [...]}``, appended with check-and-set on the version read
  (two runners never lose each other's entry), and each backup at ``.rebind/backups/<stamp>``,
  written once. Secrets are masked before anything is written, as in the files.

rebind_guard reads the entries, rebind_journal appends them and writes the backups, both
through ``open_rebind_journal``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from ansible.module_utils.mailops import rebind
from ansible.module_utils.mailops.artifacts import mask, write_text
from ansible.module_utils.mailops.errors import ConflictError, ValidationError

JOURNAL = (".rebind", "journal")
BACKUPS = (".rebind", "backups")
APPEND_ATTEMPTS = 5


class RebindJournal(Protocol):
    location: str

    def entries(self, tenant: str) -> list[dict[str, Any]]: ...

    def append(self, entry: dict[str, Any]) -> None: ...

    def write_backup(self, tenant: str, stamp: str, backup: dict[str, Any]) -> str:
        """Where the backup went (a path, or the store's secret)."""


class FileRebindJournal:
    def __init__(self, audit_log: str, backup_dir: str | None) -> None:
        self.audit_log = Path(audit_log)
        self.backup_dir = Path(backup_dir) if backup_dir else None
        self.location = str(self.audit_log)

    def entries(self, tenant: str) -> list[dict[str, Any]]:
        return rebind.journal_entries(self.audit_log, tenant)

    def append(self, entry: dict[str, Any]) -> None:
        rebind.append_entry(self.audit_log, entry)

    def write_backup(self, tenant: str, stamp: str, backup: dict[str, Any]) -> str:
        if self.backup_dir is None:
            raise ValidationError("a rebind backup needs rebind_backup_dir",
                                  hint="set rebind_backup_dir (or MAILOPS_BACKUP_DIR)")
        path = self.backup_dir / tenant / f"{stamp}.json"
        write_text(path, json.dumps(mask(backup), indent=2, sort_keys=True, ensure_ascii=False,
                                    default=str) + "\n")
        return str(path)


class VaultRebindJournal:
    def __init__(self, folder: Any) -> None:   # a vault_kv.KvFolder
        self.folder = folder
        self.location = f"{folder.location} {'/'.join(JOURNAL)}"

    def entries(self, tenant: str) -> list[dict[str, Any]]:
        _version, journal = self.folder.read(*JOURNAL)
        return [entry for entry in (journal or {}).get("entries", [])
                if entry.get("tenant") == tenant]

    def append(self, entry: dict[str, Any]) -> None:
        for _attempt in range(APPEND_ATTEMPTS):
            version, journal = self.folder.read(*JOURNAL)
            entries = [*(journal or {}).get("entries", []), _as_json(mask(entry))]
            try:
                self.folder.write(JOURNAL, {"entries": entries}, cas=version)
                return
            except ConflictError:
                continue   # another runner appended meanwhile: read again, append after it
        raise ConflictError(f"the rebind journal {self.location} kept changing; the entry "
                            f"'{entry.get('outcome')}' was not appended",
                            hint="run the rebind again: it resumes from the journal")

    def write_backup(self, tenant: str, stamp: str, backup: dict[str, Any]) -> str:
        self.folder.write((*BACKUPS, stamp), _as_json(mask(backup)), cas=0)
        return f"{self.folder.mount}/{self.folder.at(*BACKUPS, stamp)}"


def _as_json(value: dict[str, Any]) -> dict[str, Any]:
    """As the audit log's lines have it (dates and other values as text)."""
    return json.loads(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def open_rebind_journal(audit_log: str, backup_dir: str | None,
                        key_store: dict[str, Any] | None) -> RebindJournal:
    if (key_store or {}).get("kind") == "vault":
        from ansible.module_utils.mailops.vault_kv import KvFolder

        return VaultRebindJournal(KvFolder(key_store or {}))
    return FileRebindJournal(audit_log, backup_dir)
