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


def stored_key(credential_file, api_user: str) -> str:
    from ansible.module_utils.mailops.credentials import CredentialStore

    from tests.helpers.playbook import REPO

    password = (REPO / "inventories/sandbox/.vault_pass").read_bytes().strip()
    return CredentialStore(str(credential_file), password, "sandbox").keys()[api_user]


def test_a_key_is_never_stored_for_a_tenant_that_does_not_own_its_api_user(sandbox, tmp_path):
    sandbox.reset()
    assert run_playbook(sandbox, tmp_path, "-l", "acme").returncode == 0
    credentials = tmp_path / "credentials"
    acme_key = stored_key(credentials / "acme.vault.yml", "acme_batch")   # a key that authenticates
    acme_file = (credentials / "acme.vault.yml").read_text()
    imports = {
        "two tenants": ("-l", "acme,initech"),
        "no tenant": (),
        "the wrong tenant": ("-l", "initech"),
    }
    for case, limit in imports.items():
        refused = run_playbook(sandbox, tmp_path, *limit, "-e", "api_user=acme_batch",
                               "-e", json.dumps({"imported_key": acme_key}),
                               playbook="playbooks/import_key.yml")
        assert refused.returncode != 0, case
        assert acme_key not in refused.output, case
        assert not (credentials / "initech.vault.yml").exists(), case
        assert (credentials / "acme.vault.yml").read_text() == acme_file, case
        if case == "two tenants":
            assert "-l acme,initech matches 2 (acme, initech)" in refused.output
        elif case == "no tenant":
            assert "import_key.yml needs -l TENANT" in refused.output
        else:
            assert ("acme_batch is not an API user of tenant initech, whose sendcloud_api_users "
                    "are initech_batch (batch), initech_trigger (trigger)") in refused.output


def test_a_limit_of_two_tenants_is_refused_before_the_key_is_asked_for(sandbox, tmp_path):
    refused = run_playbook(sandbox, tmp_path, "-l", "acme,initech", "-e", "api_user=acme_batch",
                           playbook="playbooks/import_key.yml")
    assert refused.returncode != 0
    assert "-l acme,initech matches 2" in refused.output
    assert "PLAY [Import an API key" not in refused.output   # the play that asks for the key


def test_preflight_stops_when_a_stored_key_no_longer_authenticates(sandbox, tmp_path):
    from ansible.module_utils.mailops.credentials import CredentialStore

    from tests.helpers.playbook import REPO

    sandbox.reset()
    assert run_playbook(sandbox, tmp_path, "-l", "acme").returncode == 0
    store = CredentialStore(str(tmp_path / "credentials" / "acme.vault.yml"),
                            (REPO / "inventories/sandbox/.vault_pass").read_bytes().strip(), "sandbox")
    store.add_key("acme", "acme_batch", "a-key-reset-in-the-console")   # the stored key went stale
    sandbox.clear_requests()
    stopped = run_playbook(sandbox, tmp_path, "-l", "acme", "-e", "preflight_check_keys=true")
    assert stopped.returncode != 0
    assert "the stored key of acme_batch does not authenticate" in stopped.output
    assert "import_key.yml" in stopped.output
    assert [r for r in sandbox.requests() if r["kind"] == "write"] == []
