"""The example pipelines (docs/ci), run as their runners run them: the job scripts in bash with
stand-ins for make and the project's scripts, so what is tested is the jobs' own shell.

GitLab runs before_script and script in one shell and after_script in another, which sees none
of the first one's variables. GitHub runs each step in a shell of its own, passes variables on
through the GITHUB_ENV file and empties RUNNER_TEMP after the job. GitHub's concurrency groups
are modelled as its documentation describes them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "vault-pass-7f3e9c"
STAND_IN = """#!/usr/bin/env bash
# records what the job handed it: the vault password file's path and whether it held the password
file=${MAILOPS_VAULT_PASSWORD_FILE:-}
held=false
[ -n "$file" ] && [ "$(cat "$file" 2>/dev/null)" = "$EXPECTED_PASSWORD" ] && held=true
printf '{"name": "%s", "file": "%s", "held": %s}\\n' "$(basename "$0")" "$file" "$held" >> "$SEEN"
[ "$(basename "$0")" = make ] && exit 0
exit "${STAND_IN_RC:-0}"
"""


def checkout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A checkout whose make, scripts and .venv programs are stand-ins, and the job's env."""
    work = tmp_path / "checkout"
    for name in ("scripts/gitops-plan", "scripts/gitops-apply", ".venv/bin/ansible-playbook",
                 ".venv/bin/python", "bin/make"):
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(STAND_IN)
        path.chmod(0o755)
    git = ["git", "-C", str(work), "-c", "user.name=ci", "-c", "user.email=ci@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "Merge\n\nPlan-Checksum: abc123"],
                   check=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"PATH": f"{work / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path), "TMPDIR": str(temp),
           "SEEN": str(tmp_path / "seen.jsonl"), "EXPECTED_PASSWORD": PASSWORD,
           "PROD_VAULT_PASS": PASSWORD, "TENANT": "acme", "CHANGE_TICKET": "CHG-1"}
    return work, env


def seen(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "seen.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def files_holding_the_password(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and PASSWORD in p.read_text(errors="replace")]


def bash(script: str, work: Path, env: dict[str, str]) -> int:
    """One shell, as a runner starts it: errexit and pipefail."""
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=work, env=env, capture_output=True, text=True, timeout=60)
    print(script, done.stdout, done.stderr, sep="\n")   # shown when a test fails
    return done.returncode


GITLAB = yaml.safe_load((REPO / "docs/ci/gitlab-ci.yml").read_text())


@pytest.mark.parametrize("job", ["plan", "apply", "rebind", "retire"])
@pytest.mark.parametrize("stand_in_rc", [0, 1], ids=["job passes", "job fails"])
def test_a_gitlab_job_leaves_no_vault_password_file_on_the_runner(tmp_path, job, stand_in_rc):
    work, env = checkout(tmp_path)
    env.update({name: str(value) for name, value in (GITLAB[job].get("variables") or {}).items()},
               STAND_IN_RC=str(stand_in_rc))
    default = GITLAB["default"]
    main_shell = "\n".join([*GITLAB[job].get("before_script", default["before_script"]),
                            *GITLAB[job]["script"]])
    after_shell = "\n".join(GITLAB[job].get("after_script", default.get("after_script", [])))
    assert (bash(main_shell, work, env) == 0) == (stand_in_rc == 0)
    assert bash(after_shell or "true", work, env) == 0
    calls = [call for call in seen(tmp_path) if call["name"] != "make"]
    assert calls and all(call["held"] for call in calls), calls   # the job could read it
    assert files_holding_the_password(tmp_path) == []
    assert not Path(calls[0]["file"]).exists()


GITHUB = yaml.safe_load((REPO / "docs/ci/github-actions.yml").read_text())
EXPRESSIONS = {"secrets.PROD_VAULT_PASS": PASSWORD, "inputs.tenant || vars.REBIND_TENANT": "acme",
               "inputs.change_ticket || vars.REBIND_TICKET": "CHG-1",
               "vars.VAULT_ADDR": "https://bao.example.com:8200", "secrets.VAULT_TOKEN": "s.token"}


def expand(text: str) -> str:
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: EXPRESSIONS[m.group(1)], text)


@pytest.mark.parametrize("job", ["plan", "apply", "rebind", "retire"])
def test_a_github_job_keeps_the_vault_password_in_runner_temp_only(tmp_path, job):
    """Each step in its own shell, with GITHUB_ENV read between steps; RUNNER_TEMP is the
    runner's to empty after the job, so the password must be nowhere else."""
    work, env = checkout(tmp_path)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    github_env = tmp_path / "github-env"
    github_env.touch()
    env.update(GITHUB["env"], **(GITHUB["jobs"][job].get("env") or {}),
               RUNNER_TEMP=str(runner_temp), GITHUB_ENV=str(github_env))
    env = {name: expand(str(value)) for name, value in env.items()}
    for step in GITHUB["jobs"][job]["steps"]:
        if "run" not in step:
            continue   # actions (checkout, upload-artifact)
        exported = dict(line.split("=", 1) for line in github_env.read_text().splitlines() if line)
        step_env = {**env, **exported, **{k: expand(str(v)) for k, v in (step.get("env") or {}).items()}}
        assert bash(expand(step["run"]), work, step_env) == 0, step
    calls = [call for call in seen(tmp_path) if call["name"] != "make"]
    assert calls and all(call["held"] for call in calls), calls
    assert [p.parent for p in files_holding_the_password(tmp_path)] == [runner_temp]


def concurrency_of(job: str, number: int) -> list[dict[str, Any]]:
    """The concurrency groups a job of pull request or push ``number`` is in (the workflow's and
    its own), with GitHub's defaults."""
    github = {"github.event.pull_request.number": str(number), "github.ref": f"refs/pull/{number}"}
    groups = []
    for setting in (GITHUB.get("concurrency"), GITHUB["jobs"][job].get("concurrency")):
        if setting is None:
            continue
        setting = {"group": setting} if isinstance(setting, str) else setting
        group = re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: github[m.group(1)], setting["group"])
        groups.append({"group": group, "cancel_in_progress": setting.get("cancel-in-progress", False),
                       "queue": setting.get("queue", "single")})
    return groups


def cancelled_runs(queued: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """GitHub's documented rules, nothing finishing meanwhile: one running job per group; with
    queue single (the default) a newly queued job replaces the pending one, which is cancelled;
    with queue max up to 100 wait; cancel-in-progress cancels the running one too."""
    running: dict[str, tuple[str, int]] = {}
    pending: dict[str, list[tuple[str, int]]] = {}
    cancelled: list[tuple[str, int]] = []
    for run in queued:
        for setting in concurrency_of(*run):
            group = setting["group"]
            if setting["cancel_in_progress"] and group in running:
                cancelled.append(running.pop(group))
            if group not in running:
                running[group] = run
                continue
            waiting = pending.setdefault(group, [])
            if setting["queue"] == "single":
                cancelled += waiting
                waiting.clear()
            if len(waiting) < 100:
                waiting.append(run)
            else:
                cancelled.append(run)
    return cancelled


def test_no_github_apply_or_rebind_is_cancelled_by_the_jobs_queued_after_it():
    """An apply runs; the next merge's apply waits; a pull request's plan, a third merge and the
    rebind are queued behind them; then a new push to the pull request plans again."""
    queued = [("apply", 1), ("apply", 2), ("plan", 7), ("apply", 3), ("rebind", 4), ("plan", 7)]
    cancelled = cancelled_runs(queued)
    assert [run for run in cancelled if run[0] != "plan"] == []
    assert ("plan", 7) in cancelled   # the older plan of the pull request is not worth waiting for


def test_an_apply_and_a_rebind_never_run_at_once():
    writes = {setting["group"] for job in ("apply", "rebind", "retire") for setting in concurrency_of(job, 1)}
    assert len(writes) == 1
