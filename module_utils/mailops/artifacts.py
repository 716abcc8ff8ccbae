"""What every run artifact (plan, report, audit, backup, audit log) shares: secrets masked,
files replaced atomically."""

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


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically (temp file in the same directory, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temp_name, path)


def write_if_changed(path: Path, text: str) -> bool:
    """Replace ``path`` (as write_text) only when its content differs; whether it did."""
    if path.exists() and path.read_text() == text:
        return False
    write_text(path, text)
    return True
