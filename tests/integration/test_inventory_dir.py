"""credentials_dir defaults to <inventory>/credentials: the tenants' vaulted key files live in
the inventory directory, and Ansible must not read them as inventory sources (it would decrypt
every tenant's keys on every run and warn about their contents)."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers.playbook import REPO, run_playbook

pytestmark = pytest.mark.slow
KEY_FILE_AS_INVENTORY = ("Skipping unexpected key", "not a valid group definition")


def test_the_key_files_in_the_inventory_directory_are_not_read_as_inventory(fresh_sandbox, tmp_path):
    sandbox = fresh_sandbox
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", inventory,
                    ignore=shutil.ignore_patterns("credentials"))
    default_dir = {"MAILOPS_CREDENTIALS_DIR": ""}  # the inventory's default applies
    runs = [run_playbook(sandbox, tmp_path / "work", "-i", str(inventory), "-l", "acme",
                         extra_env=default_dir) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[-1].output[-3000:]
    assert (inventory / "credentials" / "acme.vault.yml").is_file()
    assert not any(text in runs[1].output for text in KEY_FILE_AS_INVENTORY), runs[1].output
