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
