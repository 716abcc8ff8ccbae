"""The two ways a mailops module runs agree: in Ansible's worker process (the action plugin, the
default for a local connection) and as a module (``mailops_in_process: false``, and any
connection that is not local). The plan of one is the plan of the other, and what one applies the
other finds done."""

from __future__ import annotations

import json

import pytest

from tests.helpers.playbook import run_playbook

pytestmark = pytest.mark.slow
AS_MODULE = ("-e", "mailops_in_process=false")
SHIPPED = "AnsiballZ_mailops_tenant.py"


@pytest.fixture(scope="module")
def runs(sandbox, tmp_path_factory):
    sandbox.reset()
    workdir = tmp_path_factory.mktemp("in-process")
    sandbox.clear_requests()
    module_plan = run_playbook(sandbox, workdir, "--check", "-vvv", *AS_MODULE)
    module_plan_doc = module_plan.plan("check")
    process_plan = run_playbook(sandbox, workdir, "--check", "-vvv")
    process_plan_doc = process_plan.plan("check")
    refusals = {}
    for way, args in (("module", AS_MODULE), ("process", ())):
        refused = run_playbook(sandbox, workdir, "-e", "max_changed_tenants=1", *args)
        refusals[way] = (refused, json.loads((refused.newest_plan_dir("apply") / "plan.json").read_text()))
    plan_writes = [r for r in sandbox.requests() if r["kind"] == "write"]
    applied = run_playbook(sandbox, workdir)
    sandbox.clear_requests()
    rerun = run_playbook(sandbox, workdir, *AS_MODULE)
    low_quota = {way: run_playbook(sandbox, workdir, "--check", "-l", "acme",
                                   "-e", "preflight_min_quota=100000000", *args)
                 for way, args in (("module", AS_MODULE), ("process", ()))}
    return {"module_plan": module_plan, "module_plan_doc": module_plan_doc,
            "process_plan": process_plan, "process_plan_doc": process_plan_doc,
            "refusals": refusals, "plan_writes": plan_writes, "applied": applied, "rerun": rerun,
            "rerun_requests": sandbox.requests(), "low_quota": low_quota}


def test_each_way_really_ran_its_own_way(runs):
    assert runs["module_plan"].returncode == 0, runs["module_plan"].output[-3000:]
    assert runs["process_plan"].returncode == 0, runs["process_plan"].output[-3000:]
    assert SHIPPED in runs["module_plan"].output
    assert SHIPPED not in runs["process_plan"].output


def test_both_ways_plan_the_same_changes_and_write_nothing(runs):
    module_plan, process_plan = runs["module_plan_doc"], runs["process_plan_doc"]
    assert process_plan["tenants"] == module_plan["tenants"]
    assert process_plan["checksum"] == module_plan["checksum"]
    assert process_plan["changed_tenants"] == ["acme", "globex", "initech"]
    assert runs["plan_writes"] == []


def test_a_safety_rail_refuses_the_apply_both_ways_before_any_write(runs):
    for way, (run, plan) in runs["refusals"].items():
        assert run.returncode != 0, (way, run.output[-3000:])
        assert "refusing to apply without -e force=true" in run.output, (way, run.output[-3000:])
        assert plan["requires_force"] and len(plan["changed_tenants"]) == 3, (way, plan)
    assert runs["plan_writes"] == []


def test_what_the_worker_applied_the_module_finds_done(runs):
    assert runs["applied"].returncode == 0, runs["applied"].output[-3000:]
    rerun = runs["rerun"]
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert {host: row["changed"] for host, row in rerun.recap().items()} == {
        "acme": 0, "globex": 0, "initech": 0}
    assert [r for r in runs["rerun_requests"] if r["kind"] == "write"] == []


def test_a_module_warning_reaches_ansible_output_both_ways(runs):
    for way, run in runs["low_quota"].items():
        assert run.returncode == 0, (way, run.output[-3000:])
        warnings = [line for line in run.output.splitlines() if line.startswith("[WARNING]")]
        assert any("of today's quota is left (threshold 100000000)" in line
                   for line in warnings), (way, warnings)


# The arguments of a mailops_preflight task for the sandbox's tenant acme.
PREFLIGHT_ARGS = """
        tenant_id: acme
        sending_domain: "{{ sending_domain }}"
        nameservers: "{{ dns_nameservers }}"
        sender_address: "{{ sender_address }}"
        reply_to_address: "{{ reply_to_address }}"
        api_user_names: {batch: acme_batch, trigger: acme_trigger}
        edition: "{{ sendcloud_edition }}"
        api_base: "{{ sendcloud_api_base }}"
        api_user: "{{ sendcloud_api_user }}"
        api_key: "{{ sendcloud_api_key }}"
"""

ASYNC_PLAY = """
- hosts: acme
  connection: local
  gather_facts: false
  tasks:
    - name: Preflight as an async job (a module process of its own)
      mailops_preflight:PREFLIGHT_ARGS      async: 120
      poll: 1
      register: preflight
    - name: It ran as a job and did the preflight
      ansible.builtin.assert:
        that:
          - preflight.ansible_job_id is defined
          - preflight.finished == 1
          - preflight.sending_domain == sending_domain
""".replace("PREFLIGHT_ARGS", PREFLIGHT_ARGS)


def test_an_async_task_runs_as_a_module_job(sandbox, tmp_path):
    playbook = tmp_path / "async.yml"
    playbook.write_text(ASYNC_PLAY)
    run = run_playbook(sandbox, tmp_path / "work", playbook=str(playbook))
    assert run.returncode == 0, run.output[-3000:]
    assert run.recap()["acme"]["failed"] == 0


INVOCATION_PLAY = """
- hosts: acme
  connection: local
  gather_facts: false
  tasks:
    - name: Preflight in the worker
      mailops_preflight:PREFLIGHT_ARGS      check_mode: true
      register: in_process
    - name: Preflight as a module
      mailops_preflight:PREFLIGHT_ARGS      check_mode: true
      vars: {mailops_in_process: false}
      register: as_module
    - name: Both ways return invocation as Ansible is configured to, the key masked
      ansible.builtin.assert:
        that:
          - (in_process.invocation is defined) == (ansible_inject_invocation | default(false) | bool)
          - (as_module.invocation is defined) == (ansible_inject_invocation | default(false) | bool)
          - in_process.invocation | default({}) == as_module.invocation | default({})
          - sendcloud_api_key not in (in_process | to_json)
""".replace("PREFLIGHT_ARGS", PREFLIGHT_ARGS)


@pytest.mark.parametrize("inject", [(), ("-e", "ansible_inject_invocation=true")])
def test_both_ways_return_invocation_only_when_ansible_injects_it(sandbox, tmp_path, inject):
    playbook = tmp_path / "invocation.yml"
    playbook.write_text(INVOCATION_PLAY)
    run = run_playbook(sandbox, tmp_path / "work", *inject, playbook=str(playbook))
    assert run.returncode == 0, run.output[-3000:]
    assert run.recap()["acme"]["failed"] == 0
