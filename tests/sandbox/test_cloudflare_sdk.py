"""The Cloudflare API v4 emulator, driven by the official ``cloudflare`` SDK (its wire format):
zones by name, records listed, paged, filtered, created, patched and deleted; Cloudflare's error
bodies; TXT content as stored; a token held to its zones; the rate limit; and its zones served
by the sandbox's DNS server."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid

import cloudflare
import dns.message
import dns.query
import pytest
from cloudflare import Cloudflare

from tests.helpers.playbook import REPO
from tests.helpers.sandbox_fixture import default_seed, start_sandbox

ZONE = "cfsdk.example"
TOKEN = "cf-sdk-test-token-0123456789abcdef"
OTHER_TOKEN = "cf-sdk-other-token-fedcba9876543210"


@pytest.fixture(scope="module")
def cf_sandbox(tmp_path_factory):
    seed = default_seed()
    seed["cloudflare"]["tokens"] += [
        {"token": TOKEN, "label": "sdk", "zones": [
            {"name": ZONE, "records": [{"name": "@", "type": "A", "value": "192.0.2.1"}]},
            {"name": "enterprise.cfsdk-ent.example", "plan": "enterprise"}]},
        {"token": OTHER_TOKEN, "label": "other", "zones": [{"name": "other.example"}]},
    ]
    handle = start_sandbox(tmp_path_factory.mktemp("cf-sdk"), seed=seed)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def cf(cf_sandbox) -> Cloudflare:
    return Cloudflare(api_token=TOKEN, base_url=cf_sandbox.cloudflare_url, max_retries=0)


@pytest.fixture(scope="module")
def zone_id(cf) -> str:
    return cf.zones.list(name=ZONE).result[0].id


def label() -> str:
    return f"r{uuid.uuid4().hex[:8]}.{ZONE}"


def error_of(raised: pytest.ExceptionInfo) -> tuple[int, int, str]:
    body = raised.value.body
    assert body["success"] is False and body["result"] is None
    item = body["errors"][0]
    detail = (item.get("error_chain") or [item])[0]
    return raised.value.status_code, detail["code"], detail["message"]


def test_zones_are_found_by_exact_name_and_only_the_tokens_own(cf, cf_sandbox):
    assert [z.name for z in cf.zones.list(name=ZONE).result] == [ZONE]
    assert cf.zones.list(name="cfsdk").result == []
    assert {z.name for z in cf.zones.list()} == {ZONE, "enterprise.cfsdk-ent.example"}
    other = Cloudflare(api_token=OTHER_TOKEN, base_url=cf_sandbox.cloudflare_url, max_retries=0)
    zone_id = cf.zones.list(name=ZONE).result[0].id
    with pytest.raises(cloudflare.PermissionDeniedError) as raised:
        list(other.dns.records.list(zone_id=zone_id))
    assert error_of(raised) == (403, 10000, "Authentication error")


def test_create_patch_delete_round_trip_txt_content_byte_for_byte(cf, zone_id):
    name = label()
    created = cf.dns.records.create(zone_id=zone_id, name=name, type="TXT",
                                    content='"v=spf1 -all"', ttl=1)
    assert (created.name, created.content, created.ttl, created.proxied) == (
        name, '"v=spf1 -all"', 1, False)
    assert len(created.id) == 32
    edited = cf.dns.records.edit(created.id, zone_id=zone_id, name=name, type="TXT",
                                 content='"v=spf1 ~all"', ttl=300)
    assert (edited.id, edited.content, edited.ttl) == (created.id, '"v=spf1 ~all"', 300)
    listed = list(cf.dns.records.list(zone_id=zone_id, name={"exact": name.upper()}, type="TXT"))
    assert [(r.id, r.content) for r in listed] == [(created.id, '"v=spf1 ~all"')]
    assert cf.dns.records.delete(created.id, zone_id=zone_id).id == created.id
    assert list(cf.dns.records.list(zone_id=zone_id, name={"exact": name})) == []


def test_a_quoted_string_over_255_bytes_is_split_and_an_unquoted_value_kept_as_sent(cf, zone_id):
    name = label()
    long = cf.dns.records.create(zone_id=zone_id, name=name, type="TXT",
                                 content='"' + "k" * 300 + '"', ttl=1)
    assert long.content == '"' + "k" * 255 + '" "' + "k" * 45 + '"'
    raw = cf.dns.records.create(zone_id=zone_id, name=name, type="TXT", content="plain text",
                                ttl=1)
    assert raw.content == "plain text"


def test_mx_has_a_top_level_priority_and_a_bare_host(cf, zone_id):
    created = cf.dns.records.create(zone_id=zone_id, name=label(), type="MX",
                                    content="mx.sendcloud.org.", priority=10, ttl=600)
    assert (created.content, created.priority) == ("mx.sendcloud.org", 10)
    with pytest.raises(cloudflare.BadRequestError) as raised:
        cf.dns.records.create(zone_id=zone_id, name=label(), type="MX", content="mx.example",
                              ttl=600)
    assert error_of(raised)[:2] == (400, 9110)


@pytest.mark.parametrize("ttl", [30, 59, 86401])
def test_a_ttl_other_than_1_outside_60_to_86400_is_refused_with_9021(cf, zone_id, ttl):
    with pytest.raises(cloudflare.BadRequestError) as raised:
        cf.dns.records.create(zone_id=zone_id, name=label(), type="TXT", content='"x"', ttl=ttl)
    assert error_of(raised) == (400, 9021, "TTL must be between 60 and 86400 seconds, or 1 for "
                                "Automatic.")
    assert raised.value.body["errors"][0]["code"] == 1004


def test_an_enterprise_zone_takes_30(cf):
    zone = cf.zones.list(name="enterprise.cfsdk-ent.example").result[0]
    assert zone.plan.legacy_id == "enterprise"
    created = cf.dns.records.create(zone_id=zone.id, name="a.enterprise.cfsdk-ent.example",
                                    type="TXT", content='"x"', ttl=30)
    assert created.ttl == 30


def test_documented_errors(cf, zone_id, cf_sandbox):
    name = label()
    cf.dns.records.create(zone_id=zone_id, name=name, type="TXT", content='"same"', ttl=1)
    with pytest.raises(cloudflare.BadRequestError) as raised:
        cf.dns.records.create(zone_id=zone_id, name=name, type="TXT", content='"same"', ttl=1)
    assert error_of(raised) == (400, 81058, "An identical record already exists.")
    with pytest.raises(cloudflare.BadRequestError) as raised:
        cf.dns.records.create(zone_id=zone_id, name=name, type="CNAME", content="x.example",
                              ttl=1)
    assert error_of(raised)[:2] == (400, 81053)
    with pytest.raises(cloudflare.BadRequestError) as raised:
        cf.dns.records.create(zone_id=zone_id, name=name, type="TXT", content='"x"', ttl=1,
                              proxied=True)
    assert error_of(raised)[:2] == (400, 9004)
    with pytest.raises(cloudflare.NotFoundError) as raised:
        cf.dns.records.delete("0" * 32, zone_id=zone_id)
    assert error_of(raised) == (404, 81044, "Record does not exist.")
    with pytest.raises(cloudflare.BadRequestError) as raised:
        list(cf.dns.records.list(zone_id="f" * 32))
    assert error_of(raised)[:2] == (400, 7003)
    bad = Cloudflare(api_token="not-a-token", base_url=cf_sandbox.cloudflare_url, max_retries=0)
    with pytest.raises(cloudflare.PermissionDeniedError) as raised:
        bad.zones.list()
    assert error_of(raised) == (403, 10000, "Authentication error")
    request = urllib.request.Request(cf_sandbox.cloudflare_url + "/zones")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - loopback
    body = json.loads(refused.value.read())
    assert refused.value.code == 400 and body["errors"][0]["code"] == 9106


def test_paging_and_the_page_past_the_end(cf, zone_id, cf_sandbox):
    name = label()
    for i in range(7):
        cf.dns.records.create(zone_id=zone_id, name=name, type="TXT", content=f'"v{i}"', ttl=1)
    first = cf.dns.records.list(zone_id=zone_id, name={"exact": name}, per_page=3)
    assert len(first.result) == 3
    assert (first.result_info.total_count, first.result_info.total_pages) == (7, 3)
    assert sorted(r.content for r in first) == sorted(f'"v{i}"' for i in range(7))  # 3 pages
    past = cf.dns.records.list(zone_id=zone_id, name={"exact": name}, per_page=3, page=4)
    assert past.result == []


def test_the_rate_limit_answers_429_with_retry_after(cf, cf_sandbox):
    cf_sandbox.cloudflare_throttle(count=1, retry_after=7)
    with pytest.raises(cloudflare.RateLimitError) as raised:
        cf.zones.list(name=ZONE)
    assert error_of(raised)[:2] == (429, 971)
    assert raised.value.response.headers["retry-after"] == "7"
    assert cf.zones.list(name=ZONE).result  # the next request goes through


def test_the_sandbox_dns_server_serves_the_zone(cf, zone_id, cf_sandbox):
    name = label()
    long_value = "p=" + "A" * 400
    cf.dns.records.create(zone_id=zone_id, name=name, type="TXT",
                          content=f'"{long_value[:255]}" "{long_value[255:]}"', ttl=1)
    cf.dns.records.create(zone_id=zone_id, name=name, type="MX", content="mx.sendcloud.org",
                          priority=10, ttl=600)
    txt = dns.query.udp(dns.message.make_query(name + ".", "TXT"), "127.0.0.1",
                        port=cf_sandbox.dns_port, timeout=5)
    (rrset,) = txt.answer
    (rdata,) = list(rrset)
    assert b"".join(rdata.strings).decode() == long_value and rrset.ttl == 300  # 1 = automatic
    mx = dns.query.udp(dns.message.make_query(name + ".", "MX"), "127.0.0.1",
                       port=cf_sandbox.dns_port, timeout=5)
    assert [r.to_text() for r in mx.answer[0]] == ["10 mx.sendcloud.org."]


def test_status_names_cloudflare(cf_sandbox):
    status = subprocess.run([sys.executable, "-m", "sandbox", "status", "--json"], cwd=REPO,
                            env={**cf_sandbox.env, "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=30)
    url = cf_sandbox.cloudflare_url.removesuffix("/client/v4")
    assert json.loads(status.stdout)["cloudflare"] == {"url": url, "healthy": True}
