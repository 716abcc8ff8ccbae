"""onboard.yml with ``mailops_key_store: vault`` against a real OpenBao server: the keys outlive
the runner's working directory, two runners share one lock, a store that fails before or after
SendCloud returned a key loses nothing, and no token or key reaches the output at -vvvv."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from tests.helpers.playbook import REPO, run_playbook, tenants
from tests.helpers.reliability import start_playbook

pytestmark = pytest.mark.slow
ROLES = ("batch", "trigger")


@pytest.fixture
def store_folder(openbao) -> str:
    """A folder of its own in the store for this test's tenants (the server is shared)."""
    folder = f"run{uuid.uuid4().hex[:8]}"
    yield folder
    openbao.wipe(folder)


def vault_args(folder: str, *more: str) -> list[str]:
    return ["-e", "mailops_key_store=vault", "-e", f"key_store_vault_path={folder}/{{{{ tenant_id }}}}",
            *more]


def vault_env(openbao, token: str | None = None, url: str | None = None) -> dict[str, str]:
    return {"VAULT_ADDR": url or openbao.url, "VAULT_TOKEN": token or openbao.root_token}


def stored(openbao, folder: str, tenant: str) -> dict[str, dict]:
    """Every API user's secret of ``tenant``: its data and its version."""
    kv = openbao.client().secrets.kv.v2
    secrets = {}
    for role in ROLES:
        name = f"{tenant}_{role}"
        try:
            read = kv.read_secret_version(path=f"{folder}/{tenant}/{name}",
                                          raise_on_deleted_version=True)["data"]
        except Exception:  # noqa: BLE001 - not stored
            continue
        secrets[name] = {**read["data"], "version": read["metadata"]["version"]}
    return secrets


def authenticates(sandbox, tenant: str, api_user: str, key: str) -> bool:
    edition = tenants(sandbox)[tenant].get("sendcloud_edition")
    prefix = "api" if edition == "overseas" else "apiv2"
    answer = requests.post(f"{sandbox.sendcloud_url}/{prefix}/userinfo/get",
                           data={"apiUser": api_user, "apiKey": key}, timeout=10).json()
    return answer.get("result") is True


def creates(sandbox) -> int:
    return len(sandbox.requests(action="apiuser/add"))


def test_first_run_stores_every_key_in_the_store_and_the_rerun_writes_nothing(
        fresh_sandbox, openbao, store_folder, tmp_path):
    workdir = tmp_path / "runner"
    first = run_playbook(fresh_sandbox, workdir, *vault_args(store_folder),
                         extra_env=vault_env(openbao))
    assert first.returncode == 0, first.output[-3000:]
    for tenant in tenants(fresh_sandbox):
        secrets = stored(openbao, store_folder, tenant)
        assert sorted(secrets) == [f"{tenant}_batch", f"{tenant}_trigger"]
        for name, secret in secrets.items():
            assert secret["version"] == 1
            assert secret["domain"] == tenants(fresh_sandbox)[tenant]["sending_domain"]
            assert authenticates(fresh_sandbox, tenant, name, secret["key"])
    assert not list((workdir / "credentials").glob("*.vault.yml")), "no key on the runner"

    fresh_sandbox.clear_requests()
    second = run_playbook(fresh_sandbox, workdir, *vault_args(store_folder),
                          extra_env=vault_env(openbao))
    assert second.returncode == 0, second.output[-3000:]
    assert all(counts["changed"] == 0 for counts in second.recap().values())
    assert [r for r in fresh_sandbox.requests() if r["kind"] == "write"] == []
    for tenant in tenants(fresh_sandbox):
        assert {s["version"] for s in stored(openbao, store_folder, tenant).values()} == {1}


def test_a_new_runner_without_the_old_working_directory_loses_and_recreates_nothing(
        fresh_sandbox, openbao, store_folder, tmp_path):
    workdir = tmp_path / "runner"
    first = run_playbook(fresh_sandbox, workdir, "-l", "acme", *vault_args(store_folder),
                         extra_env=vault_env(openbao))
    assert first.returncode == 0, first.output[-3000:]
    keys = {name: s["key"] for name, s in stored(openbao, store_folder, "acme").items()}
    shutil.rmtree(workdir)   # the runner, its credentials_dir, plans and reports: gone

    fresh_sandbox.clear_requests()
    again = run_playbook(fresh_sandbox, workdir, "-l", "acme", *vault_args(store_folder),
                         extra_env=vault_env(openbao))
    assert again.returncode == 0, again.output[-3000:]
    assert [r for r in fresh_sandbox.requests() if r["kind"] == "write"] == []
    assert {name: s["key"] for name, s in stored(openbao, store_folder, "acme").items()} == keys


def test_two_runners_on_one_tenant_create_each_api_user_once(fresh_sandbox, openbao,
                                                             store_folder, tmp_path):
    fresh_sandbox.set_latency(30, jitter_ms=60)   # interleave the two runs' requests
    runners = [start_playbook(fresh_sandbox, tmp_path / f"runner{n}", "-l", "acme",
                              *vault_args(store_folder), extra_env=vault_env(openbao))
               for n in (1, 2)]   # two machines: no shared disk, one store
    outputs = [runner.communicate(timeout=600)[0] for runner in runners]
    fresh_sandbox.clear_latency()
    for runner, output in zip(runners, outputs, strict=True):
        assert runner.returncode == 0, output[-3000:]
    assert creates(fresh_sandbox) == 2
    secrets = stored(openbao, store_folder, "acme")
    assert {s["version"] for s in secrets.values()} == {1}
    assert all(authenticates(fresh_sandbox, "acme", n, s["key"]) for n, s in secrets.items())


def test_a_store_down_at_the_start_stops_the_run_before_any_write(fresh_sandbox, openbao,
                                                                   store_folder, tmp_path):
    run = run_playbook(fresh_sandbox, tmp_path / "runner", "-l", "acme",
                       *vault_args(store_folder),
                       extra_env=vault_env(openbao, url="http://127.0.0.1:9"))
    assert run.returncode != 0
    assert "key store at http://127.0.0.1:9 did not answer" in run.output
    assert [r for r in fresh_sandbox.requests() if r["kind"] == "write"] == []


def test_a_store_that_takes_no_write_stops_the_run_before_any_write(fresh_sandbox, openbao,
                                                                     store_folder, tmp_path):
    reader = openbao.token_with_policy(
        "reader", 'path "secret/*" { capabilities = ["read", "list"] }')
    run = run_playbook(fresh_sandbox, tmp_path / "runner", "-l", "acme",
                       *vault_args(store_folder), extra_env=vault_env(openbao, token=reader))
    assert run.returncode != 0, run.output
    assert "does not take a write and a delete" in run.output, run.output[-4000:]
    assert "no API user was created" in run.output
    assert [r for r in fresh_sandbox.requests() if r["kind"] == "write"] == []


def test_a_key_the_store_refuses_after_sendcloud_returned_it_is_spooled_then_pushed(
        fresh_sandbox, openbao, store_folder, tmp_path):
    folder = f"{store_folder}/acme"
    # everything but the write of a key: the probe, the lease and the journal pass
    keys_read_only = openbao.token_with_policy("keys-read-only", f"""
path "secret/data/{folder}/.*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}
path "secret/metadata/{folder}/*" {{ capabilities = ["read", "delete", "list"] }}
path "secret/data/{folder}/*" {{ capabilities = ["read", "list"] }}
""")
    workdir = tmp_path / "runner"
    failed = run_playbook(fresh_sandbox, workdir, "-l", "acme", *vault_args(store_folder),
                          extra_env=vault_env(openbao, token=keys_read_only))
    spool = workdir / "credentials" / "acme.spool.vault.yml"
    assert failed.returncode != 0
    assert f"It is NOT lost: it is kept, encrypted, in the local spool {spool}" in failed.output
    assert spool.exists() and creates(fresh_sandbox) == 1
    assert stored(openbao, store_folder, "acme") == {}

    fresh_sandbox.clear_requests()
    plan = run_playbook(fresh_sandbox, workdir, "-l", "acme", "--check",
                        *vault_args(store_folder), extra_env=vault_env(openbao))
    assert plan.returncode == 0, plan.output[-3000:]
    planned = plan.plan("check")["tenants"]["acme"]["changes"]
    assert {"object": "api_user", "id": "acme_batch", "action": "push"} in [
        {k: c[k] for k in ("object", "id", "action")} for c in planned]

    again = run_playbook(fresh_sandbox, workdir, "-l", "acme", *vault_args(store_folder),
                         extra_env=vault_env(openbao))
    assert again.returncode == 0, again.output[-3000:]
    assert not spool.exists()
    assert [r["params"].get("name") for r in fresh_sandbox.requests(action="apiuser/add")] == [
        "acme_trigger"]   # the batch user was not created again
    secrets = stored(openbao, store_folder, "acme")
    assert sorted(secrets) == ["acme_batch", "acme_trigger"]
    assert all(authenticates(fresh_sandbox, "acme", n, s["key"]) for n, s in secrets.items())


def test_no_token_and_no_key_in_the_output_at_vvvv(fresh_sandbox, openbao, store_folder,
                                                   tmp_path):
    token = openbao.token_with_policy(
        "mailops-all", 'path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }')
    workdir = tmp_path / "runner"
    # as AWX gives credentials (env/extravars): a file, whose name -vvvv prints, not its content
    # (a token given as -e NAME=VALUE is printed with the command line's extra_vars)
    token_vars = tmp_path / "extravars.yml"
    token_vars.write_text(f"key_store_vault_token: {token}\n")
    outputs = []
    for mode in (("--check", "--diff"), ("--diff",)):
        run = run_playbook(fresh_sandbox, workdir, "-l", "acme", *mode, "-vvvv",
                           *vault_args(store_folder, "-e", f"@{token_vars}"),
                           extra_env={"VAULT_ADDR": openbao.url})
        assert run.returncode == 0, run.output[-3000:]
        outputs.append(run.output)
    keys = [s["key"] for s in stored(openbao, store_folder, "acme").values()]
    assert len(keys) == 2
    for secret in (token, *keys):
        assert not any(secret in output for output in outputs)
    files = [p for p in Path(workdir).rglob("*") if p.is_file()]
    for path in files:
        text = path.read_text(errors="ignore")
        assert not any(secret in text for secret in (token, *keys)), path


def file_keys(workdir: Path, tenant: str) -> dict[str, str]:
    from ansible.module_utils.mailops.credentials import CredentialStore, read_password

    password = read_password(str(Path(__file__).parents[2] / "inventories/sandbox/.vault_pass"))
    return CredentialStore(str(workdir / "credentials" / f"{tenant}.vault.yml"), password,
                           "sandbox").keys()


def test_the_migration_copies_the_file_keys_once_and_the_vault_run_then_writes_nothing(
        fresh_sandbox, openbao, store_folder, tmp_path):
    workdir = tmp_path / "runner"
    onboarded = run_playbook(fresh_sandbox, workdir, "-l", "acme")   # the file store
    assert onboarded.returncode == 0, onboarded.output[-3000:]
    keys = file_keys(workdir, "acme")

    migrate = ("-l", "acme", *vault_args(store_folder))
    plan = run_playbook(fresh_sandbox, workdir, *migrate, "--check",
                        playbook="playbooks/migrate_keys.yml", extra_env=vault_env(openbao))
    assert plan.returncode == 0 and stored(openbao, store_folder, "acme") == {}, plan.output[-3000:]
    fresh_sandbox.clear_requests()
    copied = run_playbook(fresh_sandbox, workdir, *migrate, playbook="playbooks/migrate_keys.yml",
                          extra_env=vault_env(openbao))
    assert copied.returncode == 0, copied.output[-3000:]
    assert copied.recap()["acme"]["changed"] == 1
    assert {n: s["key"] for n, s in stored(openbao, store_folder, "acme").items()} == keys
    # each key authenticated with as read from the file, then as read back from the store
    assert len(fresh_sandbox.requests(action="userinfo/get")) == 4
    again = run_playbook(fresh_sandbox, workdir, *migrate, playbook="playbooks/migrate_keys.yml",
                         extra_env=vault_env(openbao))
    assert again.returncode == 0 and again.recap()["acme"]["changed"] == 0, again.output[-3000:]

    shutil.rmtree(workdir / "credentials")
    fresh_sandbox.clear_requests()
    vault_run = run_playbook(fresh_sandbox, workdir, "-l", "acme", *vault_args(store_folder),
                             extra_env=vault_env(openbao))
    assert vault_run.returncode == 0, vault_run.output[-3000:]
    assert [r for r in fresh_sandbox.requests() if r["kind"] == "write"] == []


def test_the_migration_never_replaces_another_stored_key(fresh_sandbox, openbao, store_folder,
                                                         tmp_path):
    workdir = tmp_path / "runner"
    assert run_playbook(fresh_sandbox, workdir, "-l", "acme").returncode == 0
    openbao.client().secrets.kv.v2.create_or_update_secret(
        path=f"{store_folder}/acme/acme_batch", secret={"key": "another-key"}, cas=0)
    run = run_playbook(fresh_sandbox, workdir, "-l", "acme", *vault_args(store_folder),
                       playbook="playbooks/migrate_keys.yml", extra_env=vault_env(openbao))
    assert run.returncode != 0
    assert "the store already holds another key for acme_batch" in run.output
    assert stored(openbao, store_folder, "acme")["acme_batch"]["key"] == "another-key"


def inventory_moving(tmp_path: Path, tenant: str, new_domain: str, sender: str) -> Path:
    """The sandbox inventory with ``tenant`` moved to ``new_domain`` (its secrets alongside)."""
    copy = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories/sandbox", copy,
                    ignore=shutil.ignore_patterns("credentials", "plans", "reports", "backups"))
    hosts = yaml.safe_load((copy / "hosts.yml").read_text())
    hosts["tenants"]["hosts"][tenant].update(sending_domain=new_domain,
                                             sender_address=f"{sender}@{new_domain}")
    (copy / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return copy


def test_a_rebind_keeps_its_journal_and_backup_in_the_store(fresh_sandbox, openbao,
                                                            store_folder, tmp_path):
    from tests.integration.test_rebind import IN_WINDOW

    onboard = run_playbook(fresh_sandbox, tmp_path / "runner1", "-l", "acme",
                           *vault_args(store_folder), extra_env=vault_env(openbao))
    assert onboard.returncode == 0, onboard.output[-3000:]
    moved = inventory_moving(tmp_path, "acme", "mail2.acme.example", "marketing")
    workdir = tmp_path / "runner2"   # the Friday job runs elsewhere
    rebind_args = ("-i", str(moved), "-l", "acme", "-e", "change_ticket=CHG-7", "-e", IN_WINDOW,
                   "-e", "rebind_tenants=acme",
                   *vault_args(store_folder))
    done = run_playbook(fresh_sandbox, workdir, *rebind_args, playbook="rebind.yml", extra_env={
        **vault_env(openbao), "MAILOPS_AUDIT_LOG": str(workdir / "audit.jsonl"),
        "MAILOPS_BACKUP_DIR": str(workdir / "backups")})
    assert done.returncode == 0, done.output[-3000:]
    kv = openbao.client().secrets.kv.v2
    journal = kv.read_secret_version(path=f"{store_folder}/acme/.rebind/journal",
                                     raise_on_deleted_version=True)["data"]["data"]["entries"]
    assert [e["outcome"] for e in journal] == ["started", "switched", "completed"]
    assert all(e["ticket"] == "CHG-7" for e in journal)
    backups = kv.list_secrets(path=f"{store_folder}/acme/.rebind/backups")["data"]["keys"]
    assert len(backups) == 1 and journal[0]["backup_file"].endswith(backups[0])
    assert not (workdir / "audit.jsonl").exists() and not (workdir / "backups").exists()
    keys = {n: s["key"] for n, s in stored(openbao, store_folder, "acme").items()}
    assert len(keys) == 2 and not any(key in json.dumps(journal) for key in keys.values())

    shutil.rmtree(workdir)
    again = run_playbook(fresh_sandbox, workdir, *rebind_args, playbook="rebind.yml",
                         extra_env=vault_env(openbao))
    assert again.returncode == 0, again.output[-3000:]
    assert "nothing to rebind for acme" in again.output
