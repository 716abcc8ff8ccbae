"""What every file the project writes shares: secrets masked (run artifacts: plan, report,
audit, backup, audit log), and the one atomic writer (those, the key files, the manual
provider's change requests)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

SECRET_WORDS = ("key", "token", "secret", "password")
KNOWN_AFTER_APPLY = "(known after apply)"


def mask(value: Any) -> Any:
    """Defence in depth: replace the value of anything named like a secret (fingerprints named
    ``*_sha256`` and values not known yet stay readable)."""
    if isinstance(value, dict):
        return {k: "***" if _is_secret(k) and v not in (None, KNOWN_AFTER_APPLY) else mask(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def _is_secret(name: Any) -> bool:
    lowered = str(name).lower()
    return any(word in lowered for word in SECRET_WORDS) and not lowered.endswith("_sha256")


def write_text(path: Path | str, text: str, *, mode: int | None = None,
               durable: bool = False) -> None:
    """Replace ``path`` atomically (the project's one file writer): a temp file in the same
    directory renamed over it, so a reader sees the old file or the new one, and a failure
    leaves the old file and no temp file. ``mode`` is set before a byte is written (a key file's
    0600); ``durable`` fsyncs the file before the rename and the directory after it, so the new
    content survives a crash (keys, change requests for a human)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise
    if durable:
        directory_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)


def write_if_changed(path: Path, text: str) -> bool:
    """Replace ``path`` (as write_text) only when its content differs; whether it did."""
    if path.exists() and path.read_text() == text:
        return False
    write_text(path, text)
    return True
