"""The cloudflare provider against the sandbox's Cloudflare emulator: a plan applied and a rerun
that writes nothing; 429s honoured with the shared backoff (retry-after respected); a create
whose answer was lost is not sent twice; the token from CLOUDFLARE_API_TOKEN; a refused token
named without being shown; the zone's TTL floor; an AnsiballZ module run at -vvvv that never
shows the token."""

from __future__ import annotations

import pytest
from ansible.module_utils.mailops.dns.providers import build_provider
from ansible.module_utils.mailops.dns.providers.cloudflare import CloudflareProvider
from ansible.module_utils.mailops.dns.record_set import run_record_set
from ansible.module_utils.mailops.errors import AuthError, RateLimitedError

from tests.helpers.ansible_module import run_module
from tests.helpers.sandbox_fixture import default_seed, start_sandbox

TOKEN = "cf-provider-test-token-00112233445566778899"
ZONE = "cfprov.example"
DMARC = "v=DMARC1; p=none; rua=mailto:dmarc-reports@sendcloud.org; fo=1"


@pytest.fixture(scope="module")
def cf_sandbox(tmp_path_factory):
    seed = default_seed()
    seed["cloudflare"]["tokens"].append({"token": TOKEN, "label": "provider", "zones": [
        {"name": ZONE, "records": [
            {"name": "@", "type": "TXT", "value": '"keep-me"', "ttl": 1},
            {"name": "send", "type": "TXT", "value": "v=spf1 include:_spf.google.com ~all",
             "ttl": 1}]},
        {"name": "ent.cfprov-ent.example", "plan": "enterprise"}]})
    handle = start_sandbox(tmp_path_factory.mktemp("cf-provider"), seed=seed)
    try:
        yield handle
    finally:
        handle.stop()


def params(sandbox, domain: str, **extra) -> dict:
    return {
        "tenant": "cf", "state": "present", "zone": None, "ttl": 600,
        "on_conflict": "keep_and_fail", "nameservers": [], "provider": "cloudflare",
        "cloudflare_api_token": TOKEN, "cloudflare_api_base_url": sandbox.cloudflare_url,
        "records": [
            {"name": domain, "type": "TXT", "value": "v=spf1 include:spf.sendcloud.org ~all",
             "purpose": "spf"},
            {"name": f"_dmarc.{domain}", "type": "TXT", "value": DMARC, "purpose": "dmarc"},
            {"name": f"sendcloud._domainkey.{domain}", "type": "TXT",
             "value": "k=rsa; p=" + "B" * 392, "purpose": "dkim"},
            {"name": domain, "type": "MX", "value": "mx.sendcloud.org", "priority": 10,
             "purpose": "mx"},
        ],
        **extra,
    }


def writes(sandbox) -> int:
    return len([r for r in sandbox.requests(kind="write") if r["component"] == "cloudflare"])


def test_a_plan_is_applied_merging_spf_and_a_rerun_writes_nothing(cf_sandbox):
    wanted = params(cf_sandbox, f"send.{ZONE}")
    planned = run_record_set(wanted, check_mode=True)
    assert [(c["action"], c["type"], c["name"]) for c in planned["changes"]] == [
        ("update", "TXT", f"send.{ZONE}"), ("create", "TXT", f"_dmarc.send.{ZONE}"),
        ("create", "TXT", f"sendcloud._domainkey.send.{ZONE}"), ("create", "MX", f"send.{ZONE}")]
    before = writes(cf_sandbox)
    applied = run_record_set(wanted, check_mode=False)
    assert applied["changes"] == planned["changes"]
    assert writes(cf_sandbox) == before + 4  # one request per record, no batch
    again = run_record_set(wanted, check_mode=False)
    assert again["changed"] is False and writes(cf_sandbox) == before + 4
    provider = build_provider(wanted)
    dkim = [e for e in provider.list_records(ZONE, {f"sendcloud._domainkey.send.{ZONE}"})]
    assert dkim[0].record.value == "k=rsa; p=" + "B" * 392
    spf = provider.list_records(ZONE, {f"send.{ZONE}"})
    assert {e.record.value for e in spf if e.record.type == "TXT"} == {
        "v=spf1 include:_spf.google.com include:spf.sendcloud.org ~all"}
    apex = provider.list_records(ZONE, {ZONE})
    assert [e.record.value for e in apex] == ["keep-me"]


def test_429s_are_waited_out_with_the_shared_backoff_honouring_retry_after(cf_sandbox):
    slept: list[float] = []
    provider = CloudflareProvider(TOKEN, cf_sandbox.cloudflare_url, sleep=slept.append)
    cf_sandbox.cloudflare_throttle(count=2, retry_after=3)
    assert provider.find_zone(f"x.{ZONE}") == ZONE
    assert provider.calls == 3 and len(slept) == 2 and min(slept) >= 3
    cf_sandbox.cloudflare_throttle(count=10, retry_after=1)
    fresh = CloudflareProvider(TOKEN, cf_sandbox.cloudflare_url, sleep=slept.append,
                               max_attempts=3)
    with pytest.raises(RateLimitedError, match="rate limited after 3 attempts"):
        fresh.find_zone(f"x.{ZONE}")
    cf_sandbox.cloudflare_throttle(count=0)


def test_a_create_whose_answer_was_lost_is_not_sent_twice(cf_sandbox):
    domain = f"lost.{ZONE}"
    cf_sandbox.set_faults([{"component": "cloudflare", "action": "dns_records.create",
                            "kind": "commit_then_drop", "count": 1}])
    wanted = params(cf_sandbox, domain)
    wanted["records"] = wanted["records"][1:2]
    try:
        applied = run_record_set(wanted, check_mode=False)
    finally:
        cf_sandbox.clear_faults()
    assert [c["action"] for c in applied["changes"]] == ["create"]
    creates = [r for r in cf_sandbox.requests(action="dns_records.create")
               if r["params"].get("name") == f"_dmarc.{domain}"]
    assert [r["fault"] for r in creates] == ["commit_then_drop"]  # sent once: re-read, found
    provider = build_provider(wanted)
    served = provider.list_records(ZONE, {f"_dmarc.{domain}"})
    assert [e.record.value for e in served] == [DMARC]


def test_the_token_comes_from_cloudflare_api_token(cf_sandbox):
    given = {"provider": "cloudflare", "cloudflare_api_base_url": cf_sandbox.cloudflare_url}
    provider = build_provider(given, environ={"CLOUDFLARE_API_TOKEN": TOKEN})
    assert provider.find_zone(f"send.{ZONE}") == ZONE


def test_a_refused_token_is_named_and_never_shown(cf_sandbox):
    secret = "cf-wrong-token-must-not-appear-0000"
    provider = CloudflareProvider(secret, cf_sandbox.cloudflare_url)
    with pytest.raises(AuthError) as raised:
        provider.find_zone(f"send.{ZONE}")
    text = str(raised.value) + str(raised.value.hint)
    assert "Zone > DNS > Edit" in text and "cloudflare_api_token" in text
    assert secret not in text


def test_the_ttl_floor_is_the_zones(cf_sandbox):
    provider = CloudflareProvider(TOKEN, cf_sandbox.cloudflare_url)
    assert provider.min_ttl(ZONE) == 60
    assert provider.min_ttl("ent.cfprov-ent.example") == 30


def test_an_ansible_module_run_at_vvvv_never_shows_the_token(cf_sandbox, tmp_path):
    """As a module: AnsiballZ must carry the provider file and the SDK must be importable (the
    worker's in-process path runs at -vvvv in test_sandbox_cloudflare.py)."""
    args = {key: value for key, value in params(cf_sandbox, f"module.{ZONE}").items()
            if value is not None}
    run = run_module("dns_record_set", args, tmp_path, "-vvvv", in_process=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0 and '"changed": true' in output, output[-3000:]
    assert TOKEN not in output
    assert "AnsiballZ_dns_record_set.py" in output  # run as a module, not in the worker
