"""The onboarding as AWX runs it: ansible-runner with a private data directory laid out as AWX
lays it out (project/, inventory/, env/envvars, env/cmdline and the env/ files AWX's credential
injection writes), the project's credential types (awx/credential_types/) rendered as AWX
renders them, the sandbox and the OpenBao key store. The directory is then deleted and the job
runs again from a fresh one: nothing is written. docs/awx.md says what this does not cover."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers.awx_injectors import Injected, inject
from tests.helpers.playbook import REPO

pytestmark = pytest.mark.slow
RUNNER = Path(sys.executable).parent / "ansible-runner"
CREDENTIAL_TYPES = REPO / "awx" / "credential_types"


def credential_type(name: str) -> dict:
    return yaml.safe_load((CREDENTIAL_TYPES / f"{name}.yml").read_text())


def credentials_of_acme(sandbox, openbao, folder: str) -> dict[str, dict[str, str]]:
    """What an operator types into AWX's credentials for the tenant acme's job template."""
    account = next(a for a in sandbox.seed["sendcloud"]["accounts"] if a["api_user"] == "acme_admin")
    dnspod = next(a for a in sandbox.seed["dnspod"]["accounts"] if "acme.example" in str(a["zones"]))
    return {
        "sendcloud_account": {"api_user": account["api_user"], "api_key": account["api_key"],
                              "edition": ""},
        "dnspod": {"secret_id": dnspod["secret_id"], "secret_key": dnspod["secret_key"]},
        "platform_token": {"api_url": f"{sandbox.platform_url}/api",
                           "token": sandbox.seed["platform"]["tokens"]["acme"]},
        "key_store": {"url": openbao.url, "token": openbao.root_token, "role_id": "",
                      "secret_id": "", "mount": "", "ca_cert": "",
                      "spool_password": "spool-password-of-the-awx-job"},
        # rendered and attached as well, though acme's provider is DNSPod
        "tsig_key": {"server": "127.0.0.1", "port": "", "key_name": "mailops",
                     "key_secret": "c2VjcmV0", "key_algorithm": ""},
    }


def private_data_dir(root: Path, sandbox, openbao, folder: str) -> Path:
    """A job's private data directory as AWX writes it before it starts ansible-runner."""
    job = root / "awx_job"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file() and not name.startswith(("inventories/", "tests/", "bench/")):
            target = job / "project" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # the sandbox vault id of ansible.cfg reads the project's copy of the password file
    (job / "project/inventories/sandbox").mkdir(parents=True)
    shutil.copy2(REPO / "inventories/sandbox/.vault_pass", job / "project/inventories/sandbox")
    shutil.copytree(REPO / "inventories/sandbox", job / "inventory",
                    ignore=shutil.ignore_patterns("credentials", "plans", "reports", "backups",
                                                  "*.jsonl"))
    injected = Injected()
    for name, inputs in credentials_of_acme(sandbox, openbao, folder).items():
        injected.add(inject(credential_type(name), inputs, job))
    envvars = {**sandbox.env, **injected.env, "NO_PROXY": "127.0.0.1,localhost",
               "ANSIBLE_NOCOLOR": "1"}
    (job / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (job / "env" / "extravars").write_text(yaml.safe_dump(
        {"key_store_vault_path": f"{folder}/{{{{ tenant_id }}}}"}))
    arguments = ["--limit", "acme", *[f"-e @{path}" for path in injected.extra_vars_files]]
    (job / "env" / "cmdline").write_text(" ".join(arguments))
    return job


def run_job(job: Path) -> subprocess.CompletedProcess:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(job.parent),
           "LANG": "C.UTF-8"}
    return subprocess.run([str(RUNNER), "run", str(job), "-p", "onboard.yml", "--ident", "job1"],
                          capture_output=True, text=True, env=env, timeout=900)


def repo_state() -> set[str]:
    """Every file of the checkout, ignored ones too (a run's plans, reports, keys would be)."""
    listed = subprocess.run(["git", "ls-files", "-co", "-z"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.split("\0")
    return {name for name in listed if name and not name.startswith((".pytest_cache", ".cache"))}


def test_the_job_runs_under_ansible_runner_and_a_fresh_job_writes_nothing(
        fresh_sandbox, openbao, tmp_path):
    folder = f"awx{tmp_path.name[-8:]}"
    before = repo_state()
    job = private_data_dir(tmp_path, fresh_sandbox, openbao, folder)
    first = run_job(job)
    status = (job / "artifacts/job1/status").read_text()
    assert first.returncode == 0 and status == "successful", first.stdout[-3000:]
    stored = openbao.client().secrets.kv.v2.list_secrets(path=f"{folder}/acme")["data"]["keys"]
    assert {"acme_batch", "acme_trigger"} <= set(stored)
    assert (job / "inventory/reports/index.md").exists()   # the job's files: in its directory
    assert repo_state() == before, "the job wrote outside its private data directory"

    shutil.rmtree(job)   # the next job: another container, another node
    fresh_sandbox.clear_requests()
    job = private_data_dir(tmp_path, fresh_sandbox, openbao, folder)
    again = run_job(job)
    assert again.returncode == 0, again.stdout[-3000:]
    assert (job / "artifacts/job1/status").read_text() == "successful"
    assert [r for r in fresh_sandbox.requests() if r["kind"] == "write"] == []
    for secret in (openbao.root_token, "spool-password-of-the-awx-job"):
        assert secret not in first.stdout + again.stdout


def test_each_credential_type_renders_its_injectors(tmp_path):
    for path in sorted(CREDENTIAL_TYPES.glob("*.yml")):
        definition = yaml.safe_load(path.read_text())
        fields = {field["id"]: f"value-of-{field['id']}" for field in definition["inputs"]["fields"]}
        injected = inject(definition, fields, tmp_path / path.stem)
        assert set(definition["inputs"]["required"]) <= set(fields)
        variables = {}
        for extra in injected.extra_vars_files:
            variables.update(yaml.load(extra.read_text(), Loader=UnsafeLoader))
        rendered = " ".join([*variables.values(), *injected.env.values()])
        assert "{{" not in rendered and "{%" not in rendered, path.name
        secrets = [f["id"] for f in definition["inputs"]["fields"] if f.get("secret")]
        for secret in secrets:   # every secret reaches the run: a variable, the env or a file
            files = [p.read_text() for p in (tmp_path / path.stem / "env").iterdir()]
            assert any(f"value-of-{secret}" in text for text in [rendered, *files]), (path, secret)


class UnsafeLoader(yaml.SafeLoader):
    pass


UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
