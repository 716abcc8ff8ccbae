"""dns_record_set against Route 53 as moto's server plays it (boto3, the real wire protocol).

The provider corpus runs in tests/integration/test_zone_corpus.py; these tests cover what is
Route 53's own. Where Route 53 answers something moto never does (Throttling, refused
credentials), the answer is put on the wire in Route 53's XML by a botocore ``before-send``
hook, so botocore parses it as it would parse Route 53's.
"""

from __future__ import annotations

import zlib

import pytest
from ansible.module_utils.mailops.dns.providers import build_provider
from ansible.module_utils.mailops.dns.record_set import run_record_set
from ansible.module_utils.mailops.errors import AuthError, NotFoundError, RateLimitedError

from tests.helpers.ansible_module import run_module
from tests.helpers.moto_fixture import ACCESS_KEY_ID, SECRET_ACCESS_KEY

DKIM_VALUE = "k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 9 + "IDAQAB"
SPF_VALUE = "v=spf1 include:spf.sendcloud.org ~all"
ERROR_XML = ('<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/'
             '2013-04-01/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}'
             '</Message></Error><RequestId>0b1c2d3e</RequestId></ErrorResponse>')


def sendcloud_records(domain: str) -> list[dict]:
    return [
        {"type": "TXT", "name": domain, "value": SPF_VALUE, "purpose": "spf"},
        {"type": "TXT", "name": f"s1._domainkey.{domain}", "value": DKIM_VALUE, "purpose": "dkim"},
        {"type": "MX", "name": domain, "value": "mx.sendcloud.net", "priority": 10, "purpose": "mx"},
    ]


def params(server, domain: str, **overrides) -> dict:
    return {"tenant": "acme", "state": "present", "zone": None,
            "records": sendcloud_records(domain), "ttl": 300, "provider": "route53",
            "on_conflict": "keep_and_fail", "nameservers": [],
            "route53_access_key_id": ACCESS_KEY_ID,
            "route53_secret_access_key": SECRET_ACCESS_KEY,
            "route53_endpoint_url": server.endpoint_url, **overrides}


@pytest.fixture
def zone(moto_route53, request) -> str:
    name = f"z{zlib.crc32(request.node.name.encode()):08x}.r53.test"  # one zone per test
    moto_route53.create_zone(name)
    return name


class FakeWire:
    """A botocore ``before-send`` hook answering the first ``times`` requests with a Route 53
    error instead of sending them."""

    def __init__(self, status: int, code: str, message: str, times: int) -> None:
        self.status, self.body, self.left = status, ERROR_XML.format(code=code, message=message), times
        self.answered = 0

    def __call__(self, request, **kwargs):
        from botocore.awsrequest import AWSResponse

        if self.left == 0:
            return None
        self.left -= 1
        self.answered += 1
        return AWSResponse(request.url, self.status, {"Content-Type": "text/xml"},
                           RawBody(self.body.encode()))


class RawBody:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs):
        yield self.data


def test_records_are_written_in_one_batch_and_a_rerun_writes_nothing(moto_route53, zone):
    domain = f"news.{zone}"
    planned = run_record_set(params(moto_route53, domain), check_mode=True)
    writes = moto_route53.writes()
    applied = run_record_set(params(moto_route53, domain), check_mode=False)

    assert applied["changes"] == planned["changes"] and len(applied["changes"]) == 3
    assert moto_route53.writes() == writes + 1
    second = run_record_set(params(moto_route53, domain), check_mode=False)
    assert second["changed"] is False and moto_route53.writes() == writes + 1
    stored = {(r["Name"], r["Type"]): [v["Value"] for v in r["ResourceRecords"]]
              for r in moto_route53.rrsets(zone)}
    (dkim,) = stored[(f"s1._domainkey.{domain}.", "TXT")]
    strings = dkim[1:-1].split('" "')
    assert len(strings) >= 2 and all(len(s) <= 255 for s in strings)  # as Route 53 wants it
    assert "".join(strings) == DKIM_VALUE


def test_a_foreign_txt_at_our_name_stays_in_the_upserted_rrset(moto_route53, zone):
    domain = f"news.{zone}"
    client = moto_route53.client()
    client.change_resource_record_sets(
        HostedZoneId=moto_route53.zone_id(zone), ChangeBatch={"Changes": [{
            "Action": "CREATE", "ResourceRecordSet": {
                "Name": domain, "Type": "TXT", "TTL": 120,
                "ResourceRecords": [{"Value": '"google-site-verification=abc"'}]}}]})

    run_record_set(params(moto_route53, domain), check_mode=False)

    txt = next(r for r in moto_route53.rrsets(zone) if r["Name"] == f"{domain}." and r["Type"] == "TXT")
    values = sorted(v["Value"] for v in txt["ResourceRecords"])
    assert values == sorted(['"google-site-verification=abc"', f'"{SPF_VALUE}"'])
    assert txt["TTL"] == 120  # ours joined the RRset at its TTL
    assert run_record_set(params(moto_route53, domain), check_mode=True)["changed"] is False


def test_throttling_is_retried_with_the_shared_backoff(moto_route53, zone):
    slept: list[float] = []
    provider = build_provider(params(moto_route53, f"news.{zone}"))
    provider.sleep = slept.append
    provider.bucket.sleep = slept.append
    wire = FakeWire(400, "Throttling", "Rate exceeded", times=2)
    provider.client.meta.events.register("before-send.route53", wire)

    result = run_record_set(params(moto_route53, f"news.{zone}"), check_mode=False,
                            provider=provider)

    assert result["status"] == "applied" and wire.answered == 2
    assert len(slept) >= 2 and all(0 < delay <= 20 for delay in slept[:2])


def test_throttling_that_does_not_end_is_a_rate_limited_error(moto_route53, zone):
    provider = build_provider(params(moto_route53, f"news.{zone}"))
    provider.sleep = provider.bucket.sleep = lambda delay: None
    provider.client.meta.events.register("before-send.route53",
                                         FakeWire(400, "Throttling", "Rate exceeded", times=99))
    with pytest.raises(RateLimitedError, match="throttled after 5 attempts"):
        run_record_set(params(moto_route53, f"news.{zone}"), check_mode=True, provider=provider)


def test_refused_credentials_name_the_iam_permissions(moto_route53, zone):
    provider = build_provider(params(moto_route53, f"news.{zone}"))
    provider.client.meta.events.register(
        "before-send.route53",
        FakeWire(403, "InvalidClientTokenId", "The security token included in the request is "
                 "invalid.", times=1))
    with pytest.raises(AuthError, match="credentials were not accepted") as raised:
        run_record_set(params(moto_route53, f"news.{zone}"), check_mode=True, provider=provider)
    assert "route53:ChangeResourceRecordSets" in raised.value.hint


def test_a_zone_the_account_does_not_hold_is_named(moto_route53):
    with pytest.raises(NotFoundError, match="no public hosted zone absent.test"):
        run_record_set(params(moto_route53, "news.absent.test", zone="absent.test"),
                       check_mode=True)


def test_credentials_and_endpoint_come_from_aws_environment_variables(moto_route53, zone,
                                                                      monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ROUTE_53", moto_route53.endpoint_url)
    given = params(moto_route53, f"news.{zone}", route53_access_key_id=None,
                   route53_secret_access_key=None, route53_endpoint_url=None)
    assert run_record_set(given, check_mode=True)["zone"] == zone


def test_a_given_hosted_zone_id_names_the_zone(moto_route53, zone):
    pinned = params(moto_route53, f"news.{zone}",
                    route53_hosted_zone_id=moto_route53.zone_id(zone))
    assert run_record_set(pinned, check_mode=True)["zone"] == zone


def test_an_ansible_module_run_at_vvvv_never_shows_the_secret_key(moto_route53, zone, tmp_path):
    """As a module: AnsiballZ must carry the provider file (the worker's in-process path runs
    at -vvvv in test_sandbox_route53.py)."""
    args = {key: value for key, value in params(moto_route53, f"news.{zone}").items()
            if value is not None}
    run = run_module("dns_record_set", args, tmp_path, "-vvvv", in_process=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0 and '"changed": true' in output, output[-3000:]
    assert SECRET_ACCESS_KEY not in output
