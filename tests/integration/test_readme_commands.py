"""The README's everyday commands work as written after make demo (issue 21, point 12): run in a
shell that has only activated .venv, as the README says, against a test sandbox. Every command
of its table is run here or skipped with its reason, so a new row must be considered."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.helpers.playbook import REPO, playbook_env

pytestmark = pytest.mark.slow

# commands of the table not run here, and why
SKIPPED = {
    "ansible-playbook onboard.yml -i inventories/prod --vault-id prod@prompt":
        "a real inventory of the reader's own, with a vault password typed at the prompt",
    "ansible-playbook playbooks/import_key.yml -l acme -e api_user=acme_batch":
        "needs a key reset in the SendCloud console (tests/integration/test_key_import.py)",
    "ansible-playbook playbooks/migrate_keys.yml -e mailops_key_store=vault":
        "needs an OpenBao/Vault server (tests/integration/test_key_store_vault_runs.py)",
    "make lint": "make test runs it first",
    "make sanity": "make test runs it",
    "make validate": "tests/cli/test_validate_inventory.py",
    "make bench": "its own target, minutes long (docs/bench.md)",
    "make reliability": "its own target, minutes long (docs/reliability.md)",
    "make test-long": "its own target, minutes long (the Makefile's LONG_TESTS)",
    "make sandbox": "the sandbox's fixed ports; the tests start their own (tests/helpers)",
    "make sandbox-stop": "as make sandbox",
    "make sandbox-reset": "as make sandbox",
}


def readme_commands() -> list[str]:
    """The first column of the table under '## Everyday use', one entry per backticked command."""
    section = REPO.joinpath("README.md").read_text().split("## Everyday use", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [command for row in rows for command in re.findall(r"`([^`]+)`", row.split(" | ")[0])]


def test_the_readme_says_to_activate_the_virtualenv():
    section = REPO.joinpath("README.md").read_text().split("## Everyday use", 1)[1].split("\n## ", 1)[0]
    assert "source .venv/bin/activate" in section


def test_every_command_of_the_table_is_run_or_skipped_with_a_reason():
    commands = readme_commands()
    assert len(commands) >= 12
    assert not [c for c in commands if not c.startswith("ansible-playbook") and c not in SKIPPED]


def test_the_everyday_commands_work_as_written_in_an_activated_shell(fresh_sandbox, tmp_path):
    env = playbook_env(fresh_sandbox, tmp_path)
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"   # a new shell: nothing of the project on it
    env.pop("VIRTUAL_ENV", None)
    outputs = []
    for command in [c for c in readme_commands() if c.startswith("ansible-playbook") and c not in SKIPPED]:
        if "expected_plan_checksum=SHA" in command:   # the reviewed plan's checksum
            checksum = (tmp_path / "plans" / "latest-check" / "checksum").read_text().strip()
            command = command.replace("SHA", checksum)
        ran = subprocess.run(["bash", "-c", f"source .venv/bin/activate && {command}"], cwd=REPO,
                             env=env, capture_output=True, text=True, timeout=600)
        outputs.append((command, ran.returncode))
        assert ran.returncode == 0, (command, (ran.stdout + ran.stderr)[-3000:])
    assert [command.split()[1] for command, _ in outputs] == [
        "onboard.yml", "onboard.yml", "onboard.yml", "onboard.yml", "rebind.yml", "retire.yml",
        "playbooks/audit.yml"]


@pytest.mark.parametrize("target", ["demo", "venv", "validate"])
def test_demo_and_real_use_install_the_runtime_set_only(target):
    """Issue 21, point 15: make demo installed the whole test and lint toolchain."""
    planned = subprocess.run(["make", "-n", "-W", "requirements.txt", "-W", "requirements-dev.txt",
                              target], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "pip install --progress-bar off -r requirements.txt" in planned.stdout
    assert "requirements-dev.txt" not in planned.stdout
