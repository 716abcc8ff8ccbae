from __future__ import annotations

import multiprocessing
import os
import stat

import pytest
import yaml
from ansible.module_utils.mailops import credentials, vault
from ansible.module_utils.mailops.credentials import (
    CredentialStore,
    check_tenant_api_user,
    read_password,
    tenant_lock,
)
from ansible.module_utils.mailops.errors import MailopsError, ValidationError

CTX = multiprocessing.get_context("fork")


def test_captured_key_is_stored_encrypted_with_mode_0600(tmp_path):
    store = CredentialStore(str(tmp_path / "acme.vault.yml"), b"pw", "sandbox")
    store.add_key("acme", "acme_batch", "KEY-123", email_type="batch", domain="news.acme.example")
    raw = store.path.read_text()
    assert "KEY-123" not in raw
    assert raw.startswith("$ANSIBLE_VAULT;1.2;AES256;sandbox")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert store.keys() == {"acme_batch": "KEY-123"}


def test_second_key_keeps_the_first(tmp_path):
    store = CredentialStore(str(tmp_path / "t.vault.yml"), b"pw")
    store.add_key("t", "t_batch", "K1")
    store.add_key("t", "t_trigger", "K2")
    assert store.keys() == {"t_batch": "K1", "t_trigger": "K2"}


def test_no_temp_file_is_left_behind(tmp_path):
    store = CredentialStore(str(tmp_path / "t.vault.yml"), b"pw")
    store.add_key("t", "t_batch", "K1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.vault.yml"]


def test_failed_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    store = CredentialStore(str(tmp_path / "t.vault.yml"), b"pw")
    store.add_key("t", "t_batch", "K1")
    before = store.path.read_text()

    def crash(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.add_key("t", "t_trigger", "K2")
    assert store.path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.vault.yml"]


def test_missing_file_means_no_keys(tmp_path):
    assert CredentialStore(str(tmp_path / "none.yml"), b"pw").keys() == {}


def test_missing_password_file_names_the_setting(tmp_path):
    with pytest.raises(ValidationError, match="credentials_vault_password_file"):
        read_password(str(tmp_path / "nope"))


def test_a_missing_password_file_given_as_a_path_is_named(tmp_path):
    with pytest.raises(ValidationError, match=f"vault password file {tmp_path}/nope does not exist"):
        read_password(str(tmp_path / "nope"))


def test_a_password_file_setting_that_may_be_the_password_itself_is_not_echoed(tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError) as caught:
        read_password("sandbox-vault-password-not-a-secret")
    message = str(caught.value)
    assert "sandbox-vault-password-not-a-secret" not in message
    assert "credentials_vault_password_file does not name an existing file" in message
    assert "may be the password itself rather than a file's path" in message


@pytest.mark.parametrize("password", ["Zm9v/YmFy+cXV4", "/Zm9vYmFy"])
def test_a_generated_password_with_a_slash_is_not_echoed_either(tmp_path, monkeypatch, password):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError) as caught:
        read_password(password)
    assert password not in str(caught.value)


def _hold_lock(directory: str, ready, release) -> None:
    with tenant_lock(directory, "acme"):
        ready.set()
        release.wait(10)


def test_second_run_on_the_same_tenant_waits_then_fails_clearly(tmp_path):
    ready, release = CTX.Event(), CTX.Event()
    holder = CTX.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(MailopsError, match="locked by another run"):
            with tenant_lock(str(tmp_path), "acme", timeout=0.3, poll=0.05):
                pass
    finally:
        release.set()
        holder.join(10)


def test_runs_on_different_tenants_do_not_block_each_other(tmp_path):
    ready, release = CTX.Event(), CTX.Event()
    holder = CTX.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with tenant_lock(str(tmp_path), "globex", timeout=0.3):   # would raise if blocked
            pass
    finally:
        release.set()
        holder.join(10)


def test_lock_is_released_when_the_holder_dies(tmp_path):
    ready, release = CTX.Event(), CTX.Event()
    holder = CTX.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    holder.start()
    assert ready.wait(10)
    holder.kill()
    holder.join(10)
    with tenant_lock(str(tmp_path), "acme", timeout=2):
        pass


def test_store_file_decrypts_with_the_vault_module(tmp_path):
    store = CredentialStore(str(tmp_path / "t.vault.yml"), b"pw")
    store.add_key("t", "t_batch", "K1")
    assert b"t_batch" in vault.decrypt(store.path.read_text(), b"pw")


def test_an_api_user_of_the_tenant_is_accepted():
    check_tenant_api_user("acme", "acme_trigger", {"batch": "acme_batch", "trigger": "acme_trigger"})


def test_an_api_user_of_another_tenant_is_refused_naming_the_tenants_own_users():
    with pytest.raises(ValidationError) as caught:
        check_tenant_api_user("initech", "acme_batch",
                              {"batch": "initech_batch", "trigger": "initech_trigger"})
    message = str(caught.value)
    assert "acme_batch is not an API user of tenant initech" in message
    assert "initech_batch (batch), initech_trigger (trigger)" in message


def test_a_credential_file_overwritten_with_binary_bytes_is_called_damaged(tmp_path):
    store = CredentialStore(str(tmp_path / "t.vault.yml"), b"pw")
    store.add_key("t", "t_batch", "K1")
    store.path.write_bytes(store.path.read_bytes()[:100] + bytes(range(128, 256)))
    with pytest.raises(ValidationError, match="t.vault.yml is damaged"):
        store.keys()


BROKEN_YAML = {
    "a flow sequence left open": b"api_users:\n  t_batch: {key: SECRET-KEY-123, type: [batch}\n",
    "a quoted key left open": b"api_users:\n  t_batch:\n    key: \"SECRET-KEY-123\n",
    "a tab inside a key's line": b"api_users:\n  t_batch: {key: SECRET-KEY-123\tx: y}\n",
}


@pytest.mark.parametrize("loader", ["pure-Python", "libyaml"])
@pytest.mark.parametrize("case", BROKEN_YAML)
def test_a_yaml_error_in_the_decrypted_file_names_the_place_never_the_content(
        tmp_path, monkeypatch, case, loader):
    if loader == "pure-Python":   # PyYAML without libyaml quotes the offending line in its errors
        monkeypatch.setattr(credentials, "_LOADER", yaml.SafeLoader)
    store = CredentialStore(str(tmp_path / "t.vault.yml"), b"pw")
    store.path.write_text(vault.encrypt(BROKEN_YAML[case], b"pw"))
    with pytest.raises(ValidationError) as caught:
        store.keys()
    message = str(caught.value)
    assert "SECRET" not in message
    assert caught.value.__suppress_context__   # a traceback would not show PyYAML's error either
    assert ("t.vault.yml opens with the vault password, but its decrypted content is not valid "
            "YAML at line ") in message


def test_a_decrypted_file_that_is_not_a_mapping_is_refused(tmp_path):
    store = CredentialStore(str(tmp_path / "t.vault.yml"), b"pw")
    store.path.write_text(vault.encrypt(b"SECRET-KEY-123\n", b"pw"))
    with pytest.raises(ValidationError, match="its content is a str, not the mapping") as caught:
        store.keys()
    assert "SECRET-KEY-123" not in str(caught.value)
