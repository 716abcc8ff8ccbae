"""Changes made by hand in the SendCloud console that a run must not paper over."""

from __future__ import annotations

import pytest
import requests

from tests.helpers.playbook import run_playbook

pytestmark = pytest.mark.slow


def rename_api_user(sandbox, name: str, new_name: str) -> None:
    account = next(a for a in sandbox.seed["sendcloud"]["accounts"] if a["api_user"] == "acme_admin")
    reply = requests.post(f"{sandbox.sendcloud_url}/apiv2/apiuser/update", timeout=10, data={
        "apiUser": account["api_user"], "apiKey": account["api_key"],
        "name": name, "newName": new_name}).json()
    assert reply["result"], reply


def test_an_api_user_renamed_in_the_console_stops_the_run_and_keeps_its_key(sandbox, tmp_path):
    sandbox.reset()
    assert run_playbook(sandbox, tmp_path, "-l", "acme").returncode == 0
    key_file = tmp_path / "credentials" / "acme.vault.yml"
    stored = key_file.read_bytes()
    rename_api_user(sandbox, "acme_batch", "acme_batch_renamed")
    sandbox.clear_requests()
    for extra in (["--check"], []):
        refused = run_playbook(sandbox, tmp_path, "-l", "acme", *extra)
        assert refused.returncode != 0
        assert "API user acme_batch is no longer at SendCloud, but its key is stored" in refused.output
    assert [r for r in sandbox.requests() if r["kind"] == "write"] == []
    assert key_file.read_bytes() == stored
