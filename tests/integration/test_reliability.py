"""Faults never lose or duplicate anything.

Each seed onboards the sandbox tenants with 20 % injected faults on every API (HTTP 500,
timeouts, connection resets, commit-then-drop). Every run either converges or fails with a
readable message (no traceback) and converges on a bounded number of reruns; afterwards no
domain, API user or record exists twice, every key is stored and authenticates, the bindings
hold the stored keys and no unmanaged record changed.

CI runs ``MAILOPS_RELIABILITY_SEEDS`` seeds (default 2); ``make reliability`` runs 20 and writes
the figures to docs/reliability.md.
"""

from __future__ import annotations

import pytest

from tests.helpers import reliability as rel
from tests.helpers.sandbox_fixture import start_sandbox

CI_SEEDS = 2


def _seed_params() -> list:
    return [pytest.param(seed, marks=[pytest.mark.slow] if index >= CI_SEEDS else [])
            for index, seed in enumerate(rel.seeds())]


@pytest.mark.parametrize("seed", _seed_params())
def test_onboarding_under_faults_converges_without_duplicates_or_lost_keys(seed, tmp_path):
    # own sandbox per seed: seeds run side by side on the xdist workers
    sandbox = start_sandbox(tmp_path / "sandbox", exit_after=600)
    try:
        before = rel.zone_dumps(sandbox)
        sandbox.clear_requests()
        sandbox.set_faults(rel.fault_rules(), seed=seed)
        try:
            runs = rel.converge(sandbox, tmp_path / "work")
        except AssertionError:
            rel.record(f"faults-seed{seed:03d}", {
                "kind": "faults", "seed": seed, "converged": False,
                "runs": rel.MAX_RERUNS + 1, "faults": rel.faults_fired(sandbox),
                "requests": len(sandbox.requests())})
            raise
        faults = rel.faults_fired(sandbox)
        requests_made = len(sandbox.requests())
        sandbox.clear_faults()
        figures = rel.check_converged(sandbox, tmp_path / "work", before)
    finally:
        sandbox.stop()
    rel.record(f"faults-seed{seed:03d}", {
        "kind": "faults", "seed": seed, "runs": len(runs), "faults": faults,
        "requests": requests_made, "figures": figures.counts(),
        "rerun_because": rel.failure_messages(runs[:-1])})
    figures.assert_ok()
    assert sum(faults.values()) > 0


def test_bounded_retries_name_the_api_the_action_and_the_last_error(sandbox):
    """Every attempt fails: capped, jittered backoff, then a message naming API, action, error."""
    from ansible.module_utils.mailops.errors import TransientError
    from ansible.module_utils.mailops.http import HttpClient, RetryPolicy
    from ansible.module_utils.mailops.platform import PlatformClient
    from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient

    slept: list[float] = []
    policy = RetryPolicy(sleep=slept.append)
    account = Account.build("domestic", "acme_admin", "-", f"{sandbox.sendcloud_url}/apiv2")
    sendcloud = SendCloudClient(account, HttpClient("SendCloud", timeout=5, retry=policy))
    platform = PlatformClient(f"{sandbox.platform_url}/api", "-",
                              HttpClient("marketing platform", timeout=5, retry=policy))
    sandbox.set_faults([{"component": "sendcloud", "kind": "http_500"},
                        {"component": "platform", "kind": "reset"}])
    try:
        with pytest.raises(TransientError) as sendcloud_error:
            sendcloud.list_domains()
        with pytest.raises(TransientError) as platform_error:
            platform.get_binding("acme")
    finally:
        sandbox.clear_faults()
    assert "SendCloud domain/list: gave up after 5 attempts; last error: HTTP 500" in str(
        sendcloud_error.value)
    assert ("marketing platform GET binding: gave up after 5 attempts; last error: "
            "connection reset") in str(platform_error.value)
    assert len(slept) == 8                        # 4 pauses per call, none after the last try
    assert all(0 <= s <= policy.max_delay for s in slept) and len(set(slept)) == 8


@pytest.mark.bind
def test_onboarding_records_over_rfc2136_change_no_unmanaged_record(bind_server):
    """The BIND zones, dumped whole by AXFR before and after: only our records changed."""
    from ansible.module_utils.mailops.dns.record_set import run_record_set

    from tests.integration.test_rfc2136_bind import module_params, seed

    domain = "reliability.example.test"
    seed(bind_server, "example.test",
         (domain, "TXT", '"v=spf1 include:_spf.example.test -all"'),
         (domain, "TXT", '"google-site-verification=keep"'),
         (domain, "A", "192.0.2.30"),
         (f"_dmarc.{domain}", "TXT", '"not-a-dmarc-record"'),
         (f"www.{domain}", "CNAME", "example.test."))
    before = {zone: bind_server.axfr(zone) for zone in bind_server.zones}
    params = module_params(bind_server, domain)
    first = run_record_set(params, check_mode=False)
    second = run_record_set(params, check_mode=False)
    after = {zone: bind_server.axfr(zone) for zone in bind_server.zones}

    assert first["changed"] and not second["changed"]
    removed = {line for zone in before for line in before[zone] - after[zone]}
    added = {line for zone in after for line in after[zone] - before[zone]}
    assert len(removed) == 1 and "v=spf1 include:_spf.example.test -all" in removed.pop()
    assert len(added) == 4   # the merged SPF, DKIM, DMARC and MX, nothing else
    unmanaged_changed = [line for line in added
                         if not line.startswith((f"{domain}. ", f"s1._domainkey.{domain}. ",
                                                 f"_dmarc.{domain}. "))]
    assert unmanaged_changed == []
    rel.record("dns-bind", {"kind": "bind", "zones": len(before),
                            "records_before": sum(map(len, before.values())),
                            "unmanaged_changed": len(unmanaged_changed)})
