"""The credential files are real ansible-vault files: the CLI opens ours, we open the CLI's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ansible.module_utils.mailops import vault

ANSIBLE_VAULT = str(Path(sys.executable).parent / "ansible-vault")


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "vault_pass"
    path.write_text("correct horse\n")
    return path


def test_ansible_vault_cli_opens_a_file_we_encrypted(tmp_path, password_file):
    secret_file = tmp_path / "creds.yml"
    secret_file.write_text(vault.encrypt(b"api_users:\n  a: {key: k1}\n", b"correct horse", "prod"))
    shown = subprocess.run([ANSIBLE_VAULT, "view", "--vault-id", f"prod@{password_file}",
                            str(secret_file)], capture_output=True, text=True, check=True)
    assert shown.stdout == "api_users:\n  a: {key: k1}\n"


def test_we_open_a_file_the_ansible_vault_cli_encrypted(tmp_path, password_file):
    secret_file = tmp_path / "creds.yml"
    secret_file.write_text("hello: world\n")
    subprocess.run([ANSIBLE_VAULT, "encrypt", "--encrypt-vault-id", "prod", "--vault-id",
                    f"prod@{password_file}", str(secret_file)], check=True, capture_output=True)
    assert vault.decrypt(secret_file.read_text(), b"correct horse") == b"hello: world\n"


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o700)
    return path


def test_an_executable_password_file_is_run_as_ansible_runs_it(tmp_path):
    """Issue 21, point 9: the key files were encrypted with the script's text."""
    from ansible.module_utils.mailops.credentials import CredentialStore, read_password

    password_script = script(tmp_path / "prod-pass.sh", "echo 'from the script'")
    assert read_password(str(password_script), "prod") == b"from the script"
    key_file = tmp_path / "acme.vault.yml"
    store = CredentialStore(str(key_file), read_password(str(password_script), "prod"), "prod")
    store.add_key("acme", "acme_batch", "KEY-1", email_type="batch", domain="news.acme.example")
    shown = subprocess.run([ANSIBLE_VAULT, "view", "--vault-id", f"prod@{password_script}", str(key_file)],
                           capture_output=True, text=True, check=True)
    assert "KEY-1" in shown.stdout


def test_a_client_script_is_asked_for_its_vault_id(tmp_path):
    client = script(tmp_path / "vault-client", 'test "$1 $2" = "--vault-id prod" && echo ok-for-prod')
    from ansible.module_utils.mailops.credentials import read_password

    assert read_password(str(client), "prod") == b"ok-for-prod"


def test_a_failing_password_script_is_refused_with_its_error(tmp_path):
    from ansible.module_utils.mailops.credentials import read_password
    from ansible.module_utils.mailops.errors import ValidationError

    failing = script(tmp_path / "pass.sh", "echo 'vault locked' >&2; exit 3")
    with pytest.raises(ValidationError, match="pass.sh exited with 3: vault locked") as refused:
        read_password(str(failing), "prod")
    assert "chmod -x" in str(refused.value)
