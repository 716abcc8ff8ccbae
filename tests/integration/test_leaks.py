"""No secret reaches a log, an output, a report, a plan, the request log or git — checked at
-vvvv in check mode and in apply mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers.playbook import REPO, run_playbook

pytestmark = pytest.mark.slow
VAULT_PASS = REPO / "inventories/sandbox/.vault_pass"


def stored_keys(credentials_dir: Path) -> list[str]:
    keys = []
    for path in credentials_dir.glob("*.vault.yml"):
        shown = subprocess.run([str(Path(sys.executable).parent / "ansible-vault"), "view",
                                "--vault-id", f"sandbox@{VAULT_PASS}", str(path)],
                               capture_output=True, text=True, check=True)
        keys += [user["key"] for user in yaml.safe_load(shown.stdout)["api_users"].values()]
    return keys


@pytest.fixture(scope="module")
def verbose_runs(sandbox, tmp_path_factory):
    sandbox.reset()
    workdir = tmp_path_factory.mktemp("leaks")
    check = run_playbook(sandbox, workdir, "--check", "--diff", "-vvvv")
    apply = run_playbook(sandbox, workdir, "--diff", "-vvvv")
    assert check.returncode == 0 and apply.returncode == 0, apply.output[-3000:]
    seed = sandbox.seed
    secrets = [a["api_key"] for a in seed["sendcloud"]["accounts"]]
    secrets += [a["secret_key"] for a in seed["dnspod"]["accounts"]]
    secrets += list(seed["platform"]["tokens"].values())
    keys = stored_keys(workdir / "credentials")
    assert len(keys) == 6
    return {"workdir": workdir, "outputs": [check.output, apply.output], "secrets": secrets + keys,
            "keys": keys, "requests": sandbox.requests()}


def test_no_secret_in_the_verbose_output(verbose_runs):
    for secret in verbose_runs["secrets"]:
        assert not any(secret in output for output in verbose_runs["outputs"])


def test_no_secret_in_reports_or_plans(verbose_runs):
    files = [p for p in verbose_runs["workdir"].rglob("*") if p.is_file()
             and "credentials" not in p.parts]
    assert files
    for path in files:
        text = path.read_text(errors="ignore")
        assert not any(secret in text for secret in verbose_runs["secrets"]), path


def test_no_secret_in_the_sandbox_request_log(verbose_runs):
    text = repr(verbose_runs["requests"])
    assert not any(secret in text for secret in verbose_runs["secrets"])


def test_no_captured_key_and_no_account_secret_in_the_git_tree(verbose_runs):
    # The emulator's own seed and its tests must hold the fake account secrets; a captured key
    # must be nowhere, and the account secrets nowhere else.
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    for name in tracked:
        path = REPO / name
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(errors="ignore")
        emulator_own = name.startswith(("sandbox/", "tests/sandbox/"))
        secrets = verbose_runs["keys"] if emulator_own else verbose_runs["secrets"]
        assert not any(secret in text for secret in secrets), name


def test_a_password_given_where_its_file_belongs_is_not_echoed(sandbox, tmp_path):
    password = VAULT_PASS.read_text().strip()
    run = run_playbook(sandbox, tmp_path, "-l", "acme", "-vvv",
                       extra_env={"MAILOPS_VAULT_PASSWORD_FILE": password})
    assert run.returncode != 0
    assert "credentials_vault_password_file does not name an existing file" in run.output
    assert password not in run.output
