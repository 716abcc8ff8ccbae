"""Tenants' key files are state, never committed: every inventory's credentials_dir (default
<inventory dir>/credentials) is git-ignored, and the inventory itself is not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (REPO / ".git").exists() or not shutil.which("git"),
                                reason="needs a git checkout and git")

KEY_FILES = [
    "inventories/prod/credentials/acme.vault.yml",
    "inventories/prod/credentials/.acme.lock",
    "inventories/prod/credentials/.acme.vault.yml.k2x9q1",   # a write's temp file
    "inventories/sandbox/credentials/acme.vault.yml",
    "deploy/prod/credentials/acme.vault.yml",                # an inventory kept elsewhere
]
INVENTORY_FILES = [
    "inventories/prod/hosts.yml",
    "inventories/prod/host_vars/acme/vault.yml",             # vaulted inventory secrets: committed
    "inventories/prod/group_vars/tenants/main.yml",
    "docs/credentials.md",
]


def ignored(path: str) -> bool:
    checked = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=REPO)
    assert checked.returncode in (0, 1), f"git check-ignore failed on {path}"
    return checked.returncode == 0


@pytest.mark.parametrize("path", KEY_FILES)
def test_an_inventorys_key_files_are_git_ignored(path):
    assert ignored(path)


@pytest.mark.parametrize("path", INVENTORY_FILES)
def test_the_inventory_itself_is_not_git_ignored(path):
    assert not ignored(path)
