"""The bad-input corpus: every malformed tenant fails with a clear message, no traceback, and
no write reaches any API (one real playbook run over all cases; see tests/bad_inputs/corpus.yml).
Then the mistakes that concern two tenants: tenants that collide."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers.playbook import REPO, run_playbook
from tests.helpers.sandbox_fixture import default_seed, start_sandbox

pytestmark = pytest.mark.slow
CORPUS = yaml.safe_load((Path(__file__).parent.parent / "bad_inputs" / "corpus.yml").read_text())


def base_tenant(seed: dict, tenant_id: str = "acme") -> dict:
    acme = yaml.safe_load((REPO / "inventories/sandbox/hosts.yml").read_text())["tenants"]["hosts"]["acme"]
    dnspod = next(a for a in seed["dnspod"]["accounts"] if a["zones"][0]["name"] == "acme.example")
    return dict(acme, tenant_id=tenant_id,
                sendcloud_api_key=seed["sendcloud"]["accounts"][0]["api_key"],
                dnspod_secret_key=dnspod["secret_key"],
                platform_api_token=seed["platform"]["tokens"][tenant_id])


def corpus_seed() -> dict:
    """The default seed with a platform token for each case's tenant."""
    seed = default_seed()
    seed["platform"]["tokens"].update({case["name"]: f"pt-{case['name']}" for case in CORPUS})
    return seed


def case_tenant(seed: dict, index: int, case: dict) -> dict:
    """The base tenant as a tenant of its own (id, domain, addresses), with the case's vars."""
    domain = f"c{index}.news.acme.example"
    own = dict(base_tenant(seed, case["name"]), sending_domain=domain,
               sender_address=f"marketing@{domain}")
    return dict(own, **case.get("vars", {}))


def write_inventory(directory: Path, seed: dict, hosts: dict | None = None) -> Path:
    if hosts is None:
        hosts = {case["name"]: case_tenant(seed, index, case) for index, case in enumerate(CORPUS)}
    for case in CORPUS:
        tenant = hosts.get(case["name"])
        if tenant is None:
            continue
        for name, value in tenant.items():   # "@seed:<api_user>": that account's key from the seed
            if isinstance(value, str) and value.startswith("@seed:"):
                tenant[name] = next(a["api_key"] for a in seed["sendcloud"]["accounts"]
                                    if a["api_user"] == value.removeprefix("@seed:"))
        for name in case.get("unset", []):
            tenant.pop(name, None)
    (directory / "group_vars" / "tenants").mkdir(parents=True)
    shutil.copy(REPO / "inventories/sandbox/group_vars/tenants/sandbox.yml",
                directory / "group_vars" / "tenants" / "sandbox.yml")
    (directory / "hosts.yml").write_text(yaml.safe_dump({"tenants": {"hosts": hosts}}, allow_unicode=True))
    return directory


VAULT_PASSWORD = {"MAILOPS_VAULT_PASSWORD_FILE": str(REPO / "inventories/sandbox/.vault_pass")}


@pytest.fixture(scope="module")
def corpus_sandbox(tmp_path_factory):
    handle = start_sandbox(tmp_path_factory.mktemp("bad-inputs-sandbox"), corpus_seed())
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def corpus_run(corpus_sandbox, tmp_path_factory):
    sandbox = corpus_sandbox
    workdir = tmp_path_factory.mktemp("bad-inputs")
    inventory = write_inventory(workdir / "inventory", sandbox.seed)
    sandbox.clear_requests()
    run = run_playbook(sandbox, workdir, "-i", str(inventory), "-e", "max_changed_tenants=1000",
                       extra_env=VAULT_PASSWORD)
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
    expected = case["expect"] if isinstance(case["expect"], list) else [case["expect"]]
    assert all(text in message for text in expected), message


def test_no_bad_tenant_causes_a_write(corpus_run):
    assert [r for r in corpus_run["requests"] if r["kind"] == "write"] == []


def test_no_traceback_reaches_the_user(corpus_run):
    assert "Traceback" not in corpus_run["run"].output
    assert "failed unexpectedly" not in corpus_run["run"].output


def colliding_inventory(directory: Path, seed: dict) -> Path:
    """acme, and three tenants that each share one of its names."""
    acme = base_tenant(seed)
    own = {"sending_domain": "c1.news.acme.example", "sender_address": "m@c1.news.acme.example"}
    return write_inventory(directory, seed, {
        "acme": acme,
        "globex_as_acme": dict(acme, **own),                                  # tenant_id acme
        "globex_domain": dict(acme, tenant_id="globex"),                      # acme's domain
        "globex_user": dict(acme, tenant_id="initech", sending_domain="c2.news.acme.example",
                            sender_address="m@c2.news.acme.example",
                            sendcloud_api_users={"batch": "acme_batch", "trigger": "g_trigger"}),
    })


@pytest.mark.parametrize("limit", [[], ["-l", "globex_user"]], ids=["whole inventory", "limit"])
def test_tenants_that_collide_are_refused_before_anything_is_read(corpus_sandbox, tmp_path, limit):
    """globex once created acme_batch in its own account, wrote the keys into acme.vault.yml and
    bound platform tenant acme to its domain. Refused now, naming both hosts, with a limit too
    (the other host of the pair is outside it), before any request."""
    inventory = colliding_inventory(tmp_path / "inventory", corpus_sandbox.seed)
    corpus_sandbox.clear_requests()
    run = run_playbook(corpus_sandbox, tmp_path / "work", "-i", str(inventory), *limit,
                       extra_env=VAULT_PASSWORD)
    assert run.returncode != 0
    expected = ["tenants acme and globex_user have the same API user name 'acme_batch'"]
    if not limit:
        expected += ["tenants acme and globex_as_acme have the same tenant_id 'acme'",
                     "tenants acme and globex_domain have the same sending_domain 'news.acme.example'"]
    assert all(text in run.output for text in expected), run.output[-3000:]
    assert ("globex_as_acme" in run.output) == (not limit)   # not a host of this run
    assert corpus_sandbox.requests() == []
    assert not (tmp_path / "work" / "plans").exists()
