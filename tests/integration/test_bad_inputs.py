"""The bad-input corpus: every malformed tenant fails with a clear message, no traceback, and
no write reaches any API (one real playbook run over all cases; see tests/bad_inputs/corpus.yml)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers.playbook import REPO, run_playbook

pytestmark = pytest.mark.slow
CORPUS = yaml.safe_load((Path(__file__).parent.parent / "bad_inputs" / "corpus.yml").read_text())


def base_tenant(seed: dict) -> dict:
    acme = yaml.safe_load((REPO / "inventories/sandbox/hosts.yml").read_text())["tenants"]["hosts"]["acme"]
    dnspod = next(a for a in seed["dnspod"]["accounts"] if a["zones"][0]["name"] == "acme.example")
    return dict(acme, tenant_id="acme",
                sendcloud_api_key=seed["sendcloud"]["accounts"][0]["api_key"],
                dnspod_secret_key=dnspod["secret_key"],
                platform_api_token=seed["platform"]["tokens"]["acme"])


def write_inventory(directory: Path, seed: dict) -> Path:
    hosts = {}
    for case in CORPUS:
        tenant = dict(base_tenant(seed), **case.get("vars", {}))
        for name, value in tenant.items():   # "@seed:<api_user>": that account's key from the seed
            if isinstance(value, str) and value.startswith("@seed:"):
                tenant[name] = next(a["api_key"] for a in seed["sendcloud"]["accounts"]
                                    if a["api_user"] == value.removeprefix("@seed:"))
        for name in case.get("unset", []):
            tenant.pop(name, None)
        hosts[case["name"]] = tenant
    (directory / "group_vars" / "tenants").mkdir(parents=True)
    shutil.copy(REPO / "inventories/sandbox/group_vars/tenants/sandbox.yml",
                directory / "group_vars" / "tenants" / "sandbox.yml")
    (directory / "hosts.yml").write_text(yaml.safe_dump({"tenants": {"hosts": hosts}}, allow_unicode=True))
    return directory


@pytest.fixture(scope="module")
def corpus_run(sandbox, tmp_path_factory):
    sandbox.reset()
    workdir = tmp_path_factory.mktemp("bad-inputs")
    inventory = write_inventory(workdir / "inventory", sandbox.seed)
    sandbox.clear_requests()
    run = run_playbook(sandbox, workdir, "-i", str(inventory), "-e", "max_changed_tenants=1000",
                       extra_env={"MAILOPS_VAULT_PASSWORD_FILE": str(REPO / "inventories/sandbox/.vault_pass")})
    failures = {}
    for host, text in re.findall(r"^fatal: \[([^\]]+)\]: FAILED! => (.*)$", run.output, re.M):
        failures.setdefault(host, json.loads(text).get("msg", text))
    return {"run": run, "failures": failures, "requests": sandbox.requests()}


def test_the_corpus_has_at_least_forty_cases():
    assert len(CORPUS) >= 40
    assert len({case["name"] for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case["name"] for case in CORPUS])
def test_each_bad_tenant_fails_with_its_reason(corpus_run, case):
    message = corpus_run["failures"].get(case["name"])
    assert message is not None, f"{case['name']} did not fail"
    assert case["expect"] in message


def test_no_bad_tenant_causes_a_write(corpus_run):
    assert [r for r in corpus_run["requests"] if r["kind"] == "write"] == []


def test_no_traceback_reaches_the_user(corpus_run):
    assert "Traceback" not in corpus_run["run"].output
