from __future__ import annotations

import pytest
import requests
import responses
from ansible.module_utils.mailops.errors import ConflictError, WaitTimeoutError
from ansible.module_utils.mailops.http import HttpClient, RetryPolicy
from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient
from ansible.module_utils.mailops.sendcloud.domain import (
    DomainService,
    decode_verify,
    detect_layout,
    records_from_domain,
    required_purposes,
)

from tests.unit.mailops import sendcloud_fixtures as fx

LIST = f"{fx.DOMESTIC_BASE}/domain/list"
ADD = f"{fx.DOMESTIC_BASE}/domain/add"


def service(click: bool = False) -> DomainService:
    http = HttpClient("SendCloud", retry=RetryPolicy(attempts=2, sleep=lambda _s: None))
    return DomainService(SendCloudClient(Account.build("domestic", "u", "k"), http), click)


def test_layout_is_detected_from_the_verify_key_field_and_the_edition():
    assert detect_layout(fx.OLD_LAYOUT_DOMAIN, "domestic") == "domestic_v1"
    assert detect_layout(fx.NEW_DOMAIN, "domestic") == "domestic"
    assert detect_layout(fx.NEW_DOMAIN, "overseas") == "overseas"


@pytest.mark.parametrize(("layout", "verify", "expected"), [
    ("domestic", 39, {"dkim": True, "spf": True, "mx": True, "dmarc": True}),
    ("domestic", 7, {"dkim": True, "spf": True, "mx": True, "dmarc": False}),
    ("overseas", 23, {"dkim": True, "spf": True, "mx": True, "dmarc": True}),
    ("overseas", 22, {"dkim": False, "spf": True, "mx": True, "dmarc": True}),
    ("domestic_v1", 15, {"dkim": True, "spf": True, "mx": True, "verify": False}),
])
def test_verify_bits_decode_per_layout(layout, verify, expected):
    assert decode_verify(verify, layout, required_purposes(layout, False)) == expected


def test_tracking_cname_is_required_only_with_click_tracking_on_the_old_layout():
    assert "tracking" not in required_purposes("domestic_v1", click_tracking=False)
    assert "tracking" in required_purposes("domestic_v1", click_tracking=True)
    assert "tracking" not in required_purposes("domestic", click_tracking=True)


def test_records_are_normalised_for_the_dns_stage():
    records = records_from_domain(fx.NEW_DOMAIN, required_purposes("domestic", False))
    by_purpose = {r["purpose"]: r for r in records}
    assert set(by_purpose) == {"spf", "dkim", "mx", "dmarc"}
    assert by_purpose["mx"] == {"purpose": "mx", "type": "MX", "name": "news.acme.example",
                                "value": "mx.sendcloud.org", "priority": 10}
    assert by_purpose["dkim"]["name"] == "sendcloud._domainkey.news.acme.example"
    assert by_purpose["dkim"]["value"] == fx.DKIM_VALUE


def test_old_layout_returns_the_verify_txt_and_the_tracking_cname():
    records = records_from_domain(fx.OLD_LAYOUT_DOMAIN, required_purposes("domestic_v1", True))
    by_purpose = {r["purpose"]: r for r in records}
    assert by_purpose["verify"]["type"] == "TXT"
    assert by_purpose["tracking"] == {"purpose": "tracking", "type": "CNAME",
                                      "name": "sctrack.notify.initech.example",
                                      "value": "track.sendcloud.net", "priority": None}


@responses.activate
def test_existing_domain_is_not_added_again():
    responses.post(LIST, json=fx.domain_list(fx.NEW_DOMAIN))
    state = service().ensure("news.acme.example", check_mode=False)
    assert not state.created and state.exists
    assert [c.request.url for c in responses.calls] == [LIST]


@responses.activate
def test_missing_domain_is_added_and_its_records_returned():
    responses.post(LIST, json=fx.domain_list())
    responses.post(ADD, json=fx.ok({"data": fx.NEW_DOMAIN}))
    state = service().ensure("news.acme.example", check_mode=False)
    assert state.created and len(state.records) == 4


@responses.activate
def test_check_mode_plans_the_domain_with_values_known_after_apply():
    responses.post(LIST, json=fx.domain_list())
    state = service().ensure("news.acme.example", check_mode=True)
    assert state.created and not state.exists
    assert {r["purpose"]: r["value"] for r in state.records} == {
        "spf": None, "dkim": None, "mx": None, "dmarc": None}
    assert len(responses.calls) == 1


@responses.activate
def test_the_five_domain_limit_is_refused_before_adding():
    others = [dict(fx.NEW_DOMAIN, name=f"d{i}.example") for i in range(5)]
    responses.post(LIST, json=fx.domain_list(*others))
    with pytest.raises(ConflictError, match="limit of 5 domains"):
        service().ensure("news.acme.example", check_mode=True)


@responses.activate
def test_an_add_whose_connection_broke_is_re_read_not_repeated():
    responses.post(LIST, json=fx.domain_list())
    responses.post(ADD, body=requests.ConnectionError("Connection reset by peer"))
    responses.post(LIST, json=fx.domain_list(fx.NEW_DOMAIN))
    state = service().ensure("news.acme.example", check_mode=False)
    assert state.created
    assert [c.request.url for c in responses.calls] == [LIST, ADD, LIST]


@responses.activate
def test_wait_polls_until_every_item_verifies():
    responses.post(LIST, json=fx.domain_list(dict(fx.NEW_DOMAIN, verify=7)))
    responses.post(LIST, json=fx.domain_list(dict(fx.NEW_DOMAIN, verify=39)))
    slept: list[float] = []
    state, polls = service().wait_verified("news.acme.example", 60, 1, sleep=slept.append)
    assert state.verified and polls == 2 and slept == [1]


@responses.activate
def test_wait_times_out_naming_the_failing_items():
    responses.post(LIST, json=fx.domain_list(dict(fx.NEW_DOMAIN, verify=6)))
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(WaitTimeoutError, match="failing items: dkim, dmarc"):
        service().wait_verified("news.acme.example", 10, 1, sleep=sleep, clock=lambda: now[0])
