"""Concurrent runs create nothing twice, and runs on different tenants do not wait for each other.

Two ``onboard.yml`` runs on one tenant, started together from two processes, both succeed and
the request log shows every create committed once. The races they may or may not hit on a
given day are forced one by one against the sandbox's emulators: another run added the domain
(SendCloud 41015), the record (DNSPod ``DomainRecordExist``) or the binding (HTTP 412) between
our read and our write; each is "already done" after a re-read, not a failure.
"""

from __future__ import annotations

import fcntl
import time
from collections import Counter

import pytest
import requests
from ansible.module_utils.mailops.dns.providers.dnspod import DnspodProvider
from ansible.module_utils.mailops.dns.records import make_record
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.platform import DesiredBinding, PlatformClient
from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient
from ansible.module_utils.mailops.sendcloud.domain import DomainService

from tests.helpers import reliability as rel
from tests.helpers.playbook import PlaybookRun, run_playbook, tenants
from tests.helpers.sandbox_fixture import start_sandbox


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory):
    handle = start_sandbox(tmp_path_factory.mktemp("concurrency-sandbox"), exit_after=1200)
    yield handle
    handle.stop()


def test_two_runs_on_one_tenant_at_once_create_nothing_twice(own_sandbox, tmp_path):
    sandbox = own_sandbox
    sandbox.reset()
    before = rel.zone_dumps(sandbox)
    sandbox.set_latency(30, jitter_ms=60)   # interleave the two runs' requests
    workdir = tmp_path / "work"             # one checkout: one credential dir, one lock
    first = rel.start_playbook(sandbox, workdir, "-l", "acme")
    second = rel.start_playbook(sandbox, workdir, "-l", "acme")
    outputs = [p.communicate(timeout=600)[0] for p in (first, second)]
    sandbox.clear_latency()
    for process, output in zip((first, second), outputs, strict=True):
        run = PlaybookRun(process.returncode, output, workdir)
        rel.assert_clean(run)
        assert run.returncode == 0, output[-4000:]

    # DNSPod and SendCloud answer a rejected duplicate with HTTP 200 too: judge the state
    figures = rel.check_converged(sandbox, workdir, before, only=["acme"])
    token = sandbox.seed["platform"]["tokens"]["acme"]
    binding = requests.get(f"{sandbox.platform_url}/api/v1/tenants/acme/binding",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    attempts = Counter(r["action"] for r in sandbox.requests(kind="write"))
    rel.record("concurrency-same-tenant", {
        "kind": "concurrency", "name": "two runs on one tenant at once",
        "summary": f"both succeeded; write attempts {dict(sorted(attempts.items()))}; "
                   f"binding revision {binding['revision']}; duplicates "
                   f"{len(figures.duplicates)}, keys lost {len(figures.keys_lost)}, "
                   f"keyless orphans {figures.orphan_api_users}"})
    assert binding["revision"] == 1
    figures.assert_ok()
    assert figures.orphan_api_users == 0


def test_a_run_on_another_tenant_does_not_wait_for_a_locked_tenant(own_sandbox, tmp_path):
    """acme's lock is held (as by a long run): acme's run waits at its API-user stage, while a
    globex run started after it finishes; releasing the lock lets acme finish too."""
    sandbox = own_sandbox
    sandbox.reset()
    workdir = tmp_path / "work"
    (workdir / "credentials").mkdir(parents=True)
    with open(workdir / "credentials" / ".acme.lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        acme = rel.start_playbook(sandbox, workdir, "-l", "acme")
        started = time.monotonic()
        globex = run_playbook(sandbox, workdir, "-l", "globex")
        globex_took = time.monotonic() - started
        assert globex.returncode == 0, globex.output[-4000:]
        assert acme.poll() is None, "acme finished while its lock was held"
        assert not sandbox.requests(action="apiuser/add", account="acme_admin")
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    output = acme.communicate(timeout=600)[0]
    assert acme.returncode == 0, output[-4000:]
    assert len(sandbox.requests(action="apiuser/add")) == 4
    rel.record("concurrency-other-tenant", {
        "kind": "concurrency", "name": "a run on another tenant while one tenant is locked",
        "summary": f"globex finished in {globex_took:.0f} s while acme waited for its lock; "
                   "acme finished once the lock was released"})


# -- the races, forced one at a time ------------------------------------------------------
def _account(sandbox, tenant: str) -> tuple[dict, Account]:
    spec = tenants(sandbox)[tenant]
    key = next(a["api_key"] for a in sandbox.seed["sendcloud"]["accounts"]
               if a["api_user"] == spec["sendcloud_api_user"])
    prefix = "api" if spec["sendcloud_edition"] == "overseas" else "apiv2"
    return spec, Account.build(spec["sendcloud_edition"], spec["sendcloud_api_user"], key,
                               f"{sandbox.sendcloud_url}/{prefix}")


def test_a_domain_another_run_added_after_our_read_is_adopted_not_a_failure(own_sandbox):
    sandbox = own_sandbox
    sandbox.reset()
    spec, account = _account(sandbox, "acme")
    other_run = DomainService(SendCloudClient(account, HttpClient("SendCloud", timeout=5)))
    ours = DomainService(SendCloudClient(account, HttpClient("SendCloud", timeout=5)))
    real_list, reads = ours.client.list_domains, []

    def read_before_the_other_add(names=None):
        reads.append(names)
        return [] if len(reads) == 1 else real_list(names)

    ours.client.list_domains = read_before_the_other_add
    other_run.ensure(spec["sending_domain"], check_mode=False)
    state = ours.ensure(spec["sending_domain"], check_mode=False)   # domain/add answers 41015
    assert state.exists and state.records
    assert [r["status"] for r in sandbox.requests(action="domain/add")] == [200, 200]
    listed = [d["name"] for d in other_run.client.list_domains()]
    assert listed.count(spec["sending_domain"]) == 1


def test_a_record_another_run_created_after_our_read_is_done_not_a_failure(own_sandbox):
    sandbox = own_sandbox
    sandbox.reset()
    entry = sandbox.dnspod_account("acme.example")
    provider = DnspodProvider(entry["secret_id"], entry["secret_key"],
                              endpoint=sandbox.dnspod_endpoint, scheme="http")
    record = make_record("news.acme.example.", "TXT", "v=DMARC1; p=none", ttl=600)
    provider.create("acme.example", record)   # the other run
    provider.create("acme.example", record)   # ours: DomainRecordExist, re-read, done
    assert len(sandbox.requests(action="CreateRecord")) == 2
    assert len([r for r in provider.list_at("acme.example", record.name)
                if r.record.same_data(record)]) == 1


def test_a_binding_another_run_wrote_after_our_read_is_done_not_a_failure(own_sandbox):
    sandbox = own_sandbox
    sandbox.reset()
    spec, account = _account(sandbox, "acme")
    users = {}
    client = SendCloudClient(account, HttpClient("SendCloud", timeout=5))
    DomainService(client).ensure(spec["sending_domain"], check_mode=False)
    for role, email_type in (("batch", 1), ("trigger", 0)):
        created = client.add_api_user({"name": f"acme_{role}", "emailType": email_type,
                                       "domainName": spec["sending_domain"]})
        users[role] = {"name": f"acme_{role}", "key": created["nameKey"]}
    desired = DesiredBinding(spec["sending_domain"], "domestic", users, spec["sender_address"],
                             spec["sender_name"], spec["reply_to_address"])
    platform = PlatformClient(f"{sandbox.platform_url}/api",
                              sandbox.seed["platform"]["tokens"]["acme"])
    platform.put_binding("acme", desired, revision=None)          # the other run
    written = platform.put_binding("acme", desired, revision=None)  # ours: 412, re-read, done
    assert written["revision"] == 1
    statuses = [r["status"] for r in sandbox.requests(action="PUT binding")]
    assert statuses == [200, 412]
