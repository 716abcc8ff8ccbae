"""The recovery path for a lost key: a key reset in the console is stored only if it works."""

from __future__ import annotations

import json

import pytest

from tests.helpers.playbook import run_playbook

pytestmark = pytest.mark.slow


def test_an_imported_key_is_stored_only_when_it_authenticates(sandbox, tmp_path):
    sandbox.reset()
    assert run_playbook(sandbox, tmp_path, "-l", "acme").returncode == 0
    credential_file = tmp_path / "credentials" / "acme.vault.yml"
    before = credential_file.read_text()
    wrong = run_playbook(sandbox, tmp_path, "-l", "acme", "-e", "api_user=acme_batch",
                         "-e", json.dumps({"imported_key": "not-the-key-0000"}),
                         playbook="playbooks/import_key.yml")
    assert wrong.returncode != 0 and "does not authenticate" in wrong.output
    assert "not-the-key-0000" not in wrong.output
    assert credential_file.read_text() == before
