"""The credential files are real ansible-vault files: the CLI opens ours, we open the CLI's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ansible.module_utils.mailops import vault
from ansible.module_utils.mailops.errors import AuthError, ValidationError

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


def test_header_names_the_vault_id():
    assert vault.encrypt(b"x", b"pw", "sandbox").startswith("$ANSIBLE_VAULT;1.2;AES256;sandbox\n")


def test_wrong_password_is_an_auth_error_without_the_password_in_it():
    text = vault.encrypt(b"secret", b"right-password")
    with pytest.raises(AuthError) as caught:
        vault.decrypt(text, b"wrong-password", source="creds.yml")
    assert "creds.yml" in str(caught.value)
    assert "right-password" not in str(caught.value) and "wrong-password" not in str(caught.value)


def test_plaintext_file_is_refused_with_a_clear_error():
    with pytest.raises(ValidationError, match="not in ansible-vault format"):
        vault.decrypt("api_users: {}\n", b"pw", source="creds.yml")


def test_reading_back_what_this_process_wrote_needs_no_new_key_derivation():
    vault._derive.cache_clear()
    text = vault.encrypt(b"api_users: {}\n", b"pw")
    assert vault.decrypt(text, b"pw") == b"api_users: {}\n"
    assert vault.decrypt(text, b"pw") == b"api_users: {}\n"
    assert vault._derive.cache_info().misses == 1


def test_every_write_draws_a_fresh_salt():
    first, second = vault.encrypt(b"same", b"pw"), vault.encrypt(b"same", b"pw")
    assert first != second
    assert vault.decrypt(second, b"pw") == b"same"
    with pytest.raises(AuthError):
        vault.decrypt(first, b"other password")
