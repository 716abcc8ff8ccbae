"""The ``vault`` key store against a real OpenBao server (``bao server -dev``): layout,
write-once, the pending journal, the spool, the probe, AppRole, and the tenant's lease."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from ansible.module_utils.mailops.credentials import CredentialStore
from ansible.module_utils.mailops.errors import (
    AuthError,
    ConflictError,
    MailopsError,
    TransientError,
    ValidationError,
)
from ansible.module_utils.mailops.http import RetryPolicy
from ansible.module_utils.mailops.vault_key_store import VaultKeyStore
from ansible.module_utils.mailops.vault_kv import KvFolder
from ansible.module_utils.mailops.vault_lease import VaultLease

NO_WAIT = RetryPolicy(attempts=3, sleep=lambda _s: None)


@pytest.fixture
def tenant_path() -> str:
    return f"mailops/t{uuid.uuid4().hex[:10]}"


def make_store(openbao, tmp_path, path, **options) -> VaultKeyStore:
    settings = {"kind": "vault", "url": openbao.url, "token": openbao.root_token,
                "mount": "secret", "path": path, **options}
    spool = CredentialStore(str(tmp_path / "acme.spool.vault.yml"), b"spool-password", "sandbox")
    return VaultKeyStore(KvFolder(settings, retry=NO_WAIT), spool)


def read_only_on_keys(path: str) -> str:
    """A policy that lets a run do everything but write a key (the store 'down' for exactly
    the write that follows SendCloud's reply)."""
    return f"""
path "secret/data/{path}/.*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}
path "secret/metadata/{path}/*" {{ capabilities = ["read", "delete", "list"] }}
path "secret/data/{path}/*" {{ capabilities = ["read", "list"] }}
"""


def test_a_key_is_one_secret_per_api_user_with_its_details(openbao, tmp_path, tenant_path):
    store = make_store(openbao, tmp_path, tenant_path)
    store.add_key("acme", "acme_batch", "K-batch", email_type="batch", domain="news.acme.example")
    secret = openbao.client().secrets.kv.v2.read_secret_version(
        path=f"{tenant_path}/acme_batch", raise_on_deleted_version=True)["data"]
    assert secret["metadata"]["version"] == 1
    assert {k: secret["data"][k] for k in ("key", "domain", "email_type")} == {
        "key": "K-batch", "domain": "news.acme.example", "email_type": "batch"}
    assert secret["data"]["captured_at"].endswith("Z")
    assert store.keys() == {"acme_batch": "K-batch"}


def test_a_stored_key_is_never_replaced_and_the_loser_is_told(openbao, tmp_path, tenant_path):
    first = make_store(openbao, tmp_path, tenant_path)
    second = make_store(openbao, tmp_path / "other", tenant_path)
    first.add_key("acme", "acme_batch", "K-first", email_type="batch", domain="d")
    with pytest.raises(ConflictError, match="another run stored a key for API user acme_batch"):
        second.add_key("acme", "acme_batch", "K-second", email_type="batch", domain="d")
    assert first.keys() == {"acme_batch": "K-first"}
    assert not (tmp_path / "other" / "acme.spool.vault.yml").exists()


def test_writing_the_same_key_again_is_not_a_conflict(openbao, tmp_path, tenant_path):
    # the retry of a write whose reply was lost finds its own key
    store = make_store(openbao, tmp_path, tenant_path)
    store.add_key("acme", "acme_batch", "K", email_type="batch", domain="d")
    store.add_key("acme", "acme_batch", "K", email_type="batch", domain="d")
    assert store.keys() == {"acme_batch": "K"}


def test_a_deleted_key_is_not_overwritten(openbao, tmp_path, tenant_path):
    store = make_store(openbao, tmp_path, tenant_path)
    store.add_key("acme", "acme_batch", "K", email_type="batch", domain="d")
    openbao.client().secrets.kv.v2.delete_latest_version_of_secret(path=f"{tenant_path}/acme_batch")
    assert store.keys() == {}
    with pytest.raises(ConflictError, match="deleted version"):
        store.add_key("acme", "acme_batch", "K2", email_type="batch", domain="d")


def test_the_pending_journal_lives_in_the_store_until_the_key_is_stored(openbao, tmp_path,
                                                                        tenant_path):
    store = make_store(openbao, tmp_path, tenant_path)
    store.mark_pending("acme", "acme_batch", "acme_trigger")
    fresh = make_store(openbao, tmp_path / "fresh", tenant_path)   # another runner
    assert fresh.pending() == {"acme_batch", "acme_trigger"}
    store.add_key("acme", "acme_batch", "K", email_type="batch", domain="d")
    assert fresh.pending() == {"acme_trigger"}
    assert fresh.keys() == {"acme_batch": "K"}


def test_a_key_the_store_refuses_goes_to_the_spool_and_the_next_run_pushes_it(
        openbao, tmp_path, tenant_path):
    limited = openbao.token_with_policy("keys-read-only", read_only_on_keys(tenant_path))
    store = make_store(openbao, tmp_path, tenant_path, token=limited)
    store.probe()   # the probe passes: only the key's own path refuses
    store.mark_pending("acme", "acme_batch")
    with pytest.raises(MailopsError) as failure:
        store.add_key("acme", "acme_batch", "K-spooled", email_type="batch", domain="d")
    spool = tmp_path / "acme.spool.vault.yml"
    assert f"local spool {spool}" in str(failure.value) and "NOT lost" in str(failure.value)
    assert "K-spooled" not in str(failure.value)
    assert spool.read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;sandbox")

    next_run = make_store(openbao, tmp_path, tenant_path)
    assert next_run.keys() == {"acme_batch": "K-spooled"}
    assert next_run.spooled() == {"acme_batch"}
    next_run.push_spooled("acme_batch")
    assert not spool.exists()
    assert next_run.spooled() == set() and next_run.pending() == set()
    assert make_store(openbao, tmp_path / "elsewhere", tenant_path).keys() == {
        "acme_batch": "K-spooled"}


def test_a_store_that_is_down_is_retried_then_named(tmp_path, tenant_path):
    sleeps = []
    folder = KvFolder({"url": "http://127.0.0.1:9", "token": "t", "path": tenant_path},
                      retry=RetryPolicy(attempts=3, sleep=sleeps.append))
    store = VaultKeyStore(folder, CredentialStore(str(tmp_path / "s.vault.yml"), b"p"))
    with pytest.raises(TransientError, match=r"key store at http://127.0.0.1:9 did not answer"):
        store.keys()
    assert len(sleeps) == 2


def test_the_probe_fails_before_any_create_when_the_store_takes_no_write(openbao, tmp_path,
                                                                           tenant_path):
    reader = openbao.token_with_policy(
        "reader", 'path "secret/*" { capabilities = ["read", "list"] }')
    store = make_store(openbao, tmp_path, tenant_path, token=reader)
    assert store.keys() == {}
    with pytest.raises(AuthError, match="does not take a write and a delete.*no API user was created"):
        store.probe()


def test_approle_logs_in_and_a_wrong_secret_id_is_refused(openbao, tmp_path, tenant_path):
    role_id, secret_id = openbao.approle(
        "mailops", 'path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }')
    store = make_store(openbao, tmp_path, tenant_path, token="", role_id=role_id,
                       secret_id=secret_id)
    store.add_key("acme", "acme_batch", "K", email_type="batch", domain="d")
    assert store.keys() == {"acme_batch": "K"}
    wrong = make_store(openbao, tmp_path, tenant_path, token="", role_id=role_id,
                       secret_id="not-the-secret-id")
    with pytest.raises(AuthError, match="refused to log in with the AppRole"):
        wrong.keys()


def test_missing_settings_are_named(tmp_path, monkeypatch):
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    spool = CredentialStore(str(tmp_path / "s.vault.yml"), b"p")
    with pytest.raises(ValidationError, match="key_store_vault_url is not set"):
        KvFolder({"path": "mailops/acme"})
    with pytest.raises(ValidationError, match="key_store_vault_token"):
        VaultKeyStore(KvFolder({"url": "http://127.0.0.1:9", "path": "mailops/acme"}), spool).keys()


def test_vault_addr_and_vault_token_are_the_fallbacks(openbao, tmp_path, tenant_path,
                                                      monkeypatch):
    monkeypatch.setenv("VAULT_ADDR", openbao.url)
    monkeypatch.setenv("VAULT_TOKEN", openbao.root_token)
    store = VaultKeyStore(KvFolder({"path": tenant_path}),
                          CredentialStore(str(tmp_path / "s.vault.yml"), b"p"))
    store.add_key("acme", "acme_batch", "K", email_type="batch", domain="d")
    assert store.keys() == {"acme_batch": "K"}


def test_a_held_lease_makes_another_runner_wait_then_fail_naming_the_holder(
        openbao, tmp_path, tenant_path):
    store = make_store(openbao, tmp_path, tenant_path)
    with VaultLease(store.folder, "acme", timeout=5):
        with pytest.raises(MailopsError, match="tenant acme is locked by another run"):
            with VaultLease(make_store(openbao, tmp_path, tenant_path).folder, "acme", timeout=0.6,
                            poll=0.1):
                pass
    with VaultLease(make_store(openbao, tmp_path, tenant_path).folder, "acme", timeout=1):
        pass   # released: the next runner takes it


def test_an_expired_lease_is_taken_over(openbao, tmp_path, tenant_path):
    store = make_store(openbao, tmp_path, tenant_path)
    store.folder.write((".lock",), {"owner": "dead-runner:1", "expires_at": int(time.time()) - 1}, cas=0)
    with VaultLease(store.folder, "acme", timeout=1) as lease:
        assert lease.version == 2


def test_two_runners_never_hold_one_tenant_at_once(openbao, tmp_path, tenant_path):
    inside, overlaps, errors = [], [], []

    def runner(number: int) -> None:
        store = make_store(openbao, tmp_path / str(number), tenant_path)
        try:
            for _ in range(3):
                with VaultLease(store.folder, "acme", timeout=30, poll=0.05):
                    inside.append(number)
                    if len(inside) > 1:
                        overlaps.append(list(inside))
                    time.sleep(0.05)
                    inside.remove(number)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and not overlaps


def test_a_plan_waits_for_a_held_lease_and_takes_none(openbao, tmp_path, tenant_path):
    store = make_store(openbao, tmp_path, tenant_path)
    with VaultLease(store.folder, "acme", timeout=1, wait_only=True):
        pass
    assert store.folder.read(".lock") == (0, None)
    with VaultLease(store.folder, "acme", timeout=5):
        with pytest.raises(MailopsError, match="locked by another run"):
            with VaultLease(store.folder, "acme", timeout=0.3, wait_only=True, poll=0.1):
                pass
