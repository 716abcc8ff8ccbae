"""credentials_dir defaults to <inventory>/credentials: the tenants' vaulted key files live in
the inventory directory, and Ansible must not read them as inventory sources (it would decrypt
every tenant's keys on every run and warn about their contents); nor the rebind audit log. An
inventory that does not parse fails the run instead of matching no host."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.helpers.playbook import REPO, run_playbook

pytestmark = pytest.mark.slow
KEY_FILE_AS_INVENTORY = ("Skipping unexpected key", "not a valid group definition")


def test_the_key_files_in_the_inventory_directory_are_not_read_as_inventory(fresh_sandbox, tmp_path):
    sandbox = fresh_sandbox
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", inventory,
                    ignore=shutil.ignore_patterns("credentials"))
    default_dir = {"MAILOPS_CREDENTIALS_DIR": ""}  # the inventory's default applies
    runs = [run_playbook(sandbox, tmp_path / "work", "-i", str(inventory), "-l", "acme",
                         extra_env=default_dir) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[-1].output[-3000:]
    assert (inventory / "credentials" / "acme.vault.yml").is_file()
    assert not any(text in runs[1].output for text in KEY_FILE_AS_INVENTORY), runs[1].output


def test_the_rebind_audit_log_in_the_inventory_directory_is_not_read_as_inventory(
        fresh_sandbox, tmp_path):
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", inventory,
                    ignore=shutil.ignore_patterns("credentials"))
    (inventory / "rebind-audit.jsonl").write_text('{"tenant": "acme", "outcome": "started"}\n')
    run = run_playbook(fresh_sandbox, tmp_path / "work", "-i", str(inventory), "-l", "acme",
                       "--check")
    assert run.returncode == 0, run.output[-3000:]
    assert "rebind-audit.jsonl" not in run.output, run.output


@pytest.mark.parametrize("playbook", ["onboard.yml", "playbooks/audit.yml"])
def test_a_mistyped_inventory_fails_the_run_instead_of_matching_no_host(
        fresh_sandbox, tmp_path, playbook):
    run = run_playbook(fresh_sandbox, tmp_path, "-i", str(REPO / "inventories" / "sandbx"),
                       "-e", "expected_plan_checksum=0000", playbook=playbook)
    assert run.returncode != 0, run.output[-3000:]
    assert "No inventory was parsed" in run.output



def assert_refused_before_anything(sandbox, workdir, run, reason: str) -> None:
    assert run.returncode != 0, run.output[-3000:]
    assert reason in run.output and "nothing was read or written" in run.output, run.output[-3000:]
    assert sandbox.requests() == []
    assert not any((workdir / name).exists() for name in ("plans", "reports", "credentials"))


@pytest.mark.parametrize("playbook", ["onboard.yml", "playbooks/audit.yml"])
def test_an_inventory_without_the_tenants_group_fails_the_run(sandbox, tmp_path, playbook):
    sandbox.clear_requests()
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("customers:\n  hosts:\n    acme: {}\n")   # not the group the plays name
    run = run_playbook(sandbox, tmp_path / "work", "-i", str(inventory), playbook=playbook)
    assert_refused_before_anything(sandbox, tmp_path / "work", run,
                                   f"the inventory {inventory} has no group tenants")


@pytest.mark.parametrize("playbook", ["onboard.yml", "playbooks/audit.yml"])
@pytest.mark.parametrize("empty_group", ["tenants:\n  hosts: {}\n", "all:\n  children:\n    tenants:\n"])
def test_an_empty_tenants_group_fails_the_run(sandbox, tmp_path, playbook, empty_group):
    """It matched no host in every play: exit 0, a green pipeline that did nothing."""
    sandbox.clear_requests()
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(empty_group)
    run = run_playbook(sandbox, tmp_path / "work", "-i", str(inventory), playbook=playbook)
    assert_refused_before_anything(sandbox, tmp_path / "work", run,
                                   f"the group tenants of the inventory {inventory} has no hosts")


@pytest.mark.parametrize("playbook", ["onboard.yml", "playbooks/audit.yml", "rebind.yml"])
def test_a_limit_that_names_no_tenant_fails_the_run(sandbox, tmp_path, playbook):
    sandbox.clear_requests()
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("tenants:\n  hosts:\n    acme: {}\nprinters:\n  hosts:\n    printer1: {}\n")
    run = run_playbook(sandbox, tmp_path / "work", "-i", str(inventory), "-l", "printer1",
                       "-e", "change_ticket=CHG-1", playbook=playbook)
    assert_refused_before_anything(sandbox, tmp_path / "work", run,
                                   "-l printer1 matches only hosts outside the group tenants")
    # a limit that matches no host at all: Ansible's own refusal, before any play
    unmatched = run_playbook(sandbox, tmp_path / "work", "-i", str(inventory), "-l", "acmee",
                             "-e", "change_ticket=CHG-1", playbook=playbook)
    assert unmatched.returncode != 0 and "Could not match supplied host pattern" in unmatched.output


@pytest.mark.parametrize("where", ["group_vars/all", "hosts.yml group vars"])
def test_a_contract_value_set_anywhere_in_the_inventory_wins_over_the_default(
        fresh_sandbox, tmp_path, where):
    """The defaults are role defaults: an inventory's group_vars/all and the group vars in
    hosts.yml, which a playbook group_vars/all used to beat, must win."""
    import yaml
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", inventory,
                    ignore=shutil.ignore_patterns("credentials"))
    if where == "group_vars/all":
        (inventory / "group_vars" / "all.yml").write_text("max_changed_tenants: 1\n")
    else:
        hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
        hosts["tenants"].setdefault("vars", {})["max_changed_tenants"] = 1
        (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, allow_unicode=True))
    run = run_playbook(fresh_sandbox, tmp_path / "work", "-i", str(inventory), "--check")
    assert run.returncode == 0, run.output[-3000:]
    assert run.plan("check")["requires_force"] == [
        "3 tenants would change, more than max_changed_tenants=1"]


def test_plans_and_reports_belong_to_the_inventory_they_came_from(fresh_sandbox, tmp_path):
    """Without MAILOPS_PLAN_DIR/MAILOPS_REPORT_DIR a production inventory's plans and reports
    went to the checkout's plans/ and reports/, beside the sandbox's (and make sandbox-reset
    deleted them). They default to the inventory's directory now, are not read as inventory on
    the next run, and the plan says which inventory it came from."""
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "sandbox", inventory,
                    ignore=shutil.ignore_patterns("credentials", "plans", "reports", "backups"))
    defaults = {"MAILOPS_CREDENTIALS_DIR": "", "MAILOPS_PLAN_DIR": "", "MAILOPS_REPORT_DIR": ""}
    work = tmp_path / "work"
    check = run_playbook(fresh_sandbox, work, "-i", str(inventory), "-l", "acme", "--check",
                         extra_env=defaults)
    assert check.returncode == 0, check.output[-3000:]
    apply = run_playbook(fresh_sandbox, work, "-i", str(inventory), "-l", "acme", extra_env=defaults)
    assert apply.returncode == 0, apply.output[-3000:]
    plan = json.loads((inventory / "plans" / "latest-check" / "plan.json").read_text())
    assert plan["inventory"] == [str(inventory)]
    applied = json.loads((inventory / "plans" / "latest-apply" / "applied.json").read_text())
    assert applied["inventory"] == [str(inventory)]
    assert "acme" in (inventory / "reports" / "index.md").read_text()
    assert not (work / "plans").exists() and not (work / "reports").exists()
    assert "plan.json" not in apply.output and "index.json" not in apply.output, apply.output
