from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests
import responses
from ansible.module_utils.mailops.errors import (
    AuthError,
    ConflictError,
    MailopsError,
    TransientError,
)
from ansible.module_utils.mailops.http import HttpClient, RetryPolicy
from ansible.module_utils.mailops.sendcloud.account import account_info
from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient

from tests.unit.mailops import sendcloud_fixtures as fx


def client(edition: str = "domestic", base: str | None = None) -> SendCloudClient:
    retry = RetryPolicy(attempts=3, sleep=lambda _s: None)
    return SendCloudClient(Account.build(edition, "acme_admin", "SECRET-KEY", base),
                           HttpClient("SendCloud", retry=retry))


@responses.activate
def test_credentials_travel_in_the_form_body_never_in_the_url():
    responses.post(f"{fx.DOMESTIC_BASE}/userinfo/get", json=fx.DOMESTIC_USERINFO)
    client().user_info()
    call = responses.calls[0]
    assert "SECRET-KEY" not in call.request.url
    assert parse_qs(call.request.body)["apiKey"] == ["SECRET-KEY"]


@responses.activate
def test_domestic_user_info_reads_the_misspelled_available_balance():
    responses.post(f"{fx.DOMESTIC_BASE}/userinfo/get", json=fx.DOMESTIC_USERINFO)
    account = account_info(client())
    assert account["available_balance"] == 40.5
    assert account["kyc"] == {"website_verified": True, "business_verified": False}
    assert (account["quota"], account["quota_used"], account["quota_remaining"]) == (2500, 2, 2498)


@responses.activate
def test_negative_reputation_means_zero_quota():
    responses.post(f"{fx.OVERSEAS_BASE}/userinfo/get", json=fx.OVERSEAS_USERINFO)
    account = account_info(client("overseas"))
    assert account["quota"] == 0 and account["quota_remaining"] == 0
    assert account["remaining_mails"] == 500


@responses.activate
def test_auth_failure_says_when_the_other_edition_accepts_the_credentials():
    responses.post(f"{fx.DOMESTIC_BASE}/userinfo/get", json=fx.AUTH_FAILED)
    responses.post(f"{fx.OVERSEAS_BASE}/userinfo/get", json=fx.OVERSEAS_USERINFO)
    with pytest.raises(AuthError) as caught:
        account_info(client())
    assert "set sendcloud_edition: overseas" in str(caught.value)
    assert "SECRET-KEY" not in str(caught.value)


@responses.activate
def test_auth_failure_on_both_editions_is_reported_with_the_api_code():
    responses.post("http://127.0.0.1:1/apiv2/userinfo/get", json=fx.AUTH_FAILED)
    responses.post("http://127.0.0.1:1/api/userinfo/get", json=fx.AUTH_FAILED)
    with pytest.raises(AuthError, match="40005"):
        account_info(client(base="http://127.0.0.1:1/apiv2"))


@responses.activate
def test_domain_limit_code_becomes_a_conflict_naming_the_limit():
    responses.post(f"{fx.DOMESTIC_BASE}/domain/add", json=fx.error(41012, "域名数量超限"))
    with pytest.raises(ConflictError, match="at most 5 sending domains"):
        client().add_domain("news.acme.example")


@pytest.mark.parametrize(("action", "code", "hint"), [
    ("apiuser/add", 41119, "an API user name is global across SendCloud accounts"),
    ("domain/add", 41015, "a domain name is global across SendCloud accounts")])
@responses.activate
def test_a_generic_creation_failure_names_its_usual_cause(action, code, hint):
    responses.post(f"{fx.DOMESTIC_BASE}/{action}",
                   json={"result": False, "statusCode": code, "message": "failed", "info": {}})
    with pytest.raises(MailopsError) as raised:
        client().call(action, {"name": "acme_batch"}, write=True)
    assert raised.value.code == str(code) and hint in raised.value.hint


@responses.activate
def test_reads_are_retried_on_5xx_then_succeed():
    responses.post(f"{fx.DOMESTIC_BASE}/domain/list", status=503)
    responses.post(f"{fx.DOMESTIC_BASE}/domain/list", json=fx.domain_list(fx.NEW_DOMAIN))
    assert client().list_domains()[0]["name"] == "news.acme.example"
    assert len(responses.calls) == 2


@responses.activate
def test_reads_give_up_after_the_attempts_with_the_api_and_action_named():
    for _ in range(3):
        responses.post(f"{fx.DOMESTIC_BASE}/domain/list", body=requests.ConnectionError("reset"))
    with pytest.raises(TransientError, match="SendCloud domain/list: gave up after 3 attempts"):
        client().list_domains()


@responses.activate
def test_retry_after_is_honoured_within_bounds():
    slept: list[float] = []
    retry = RetryPolicy(attempts=2, sleep=slept.append, max_retry_after=30)
    sc = SendCloudClient(Account.build("domestic", "u", "k"), HttpClient("SendCloud", retry=retry))
    responses.post(f"{fx.DOMESTIC_BASE}/domain/list", status=429, headers={"Retry-After": "7"})
    responses.post(f"{fx.DOMESTIC_BASE}/domain/list", json=fx.domain_list())
    sc.list_domains()
    assert slept == [7.0]


def test_backoff_is_capped_and_jittered():
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    delays = [policy.backoff(attempt) for attempt in range(12) for _ in range(20)]
    assert max(delays) <= 8.0
    assert len(set(delays)) > 100


def test_an_unsure_write_is_re_read_before_each_new_attempt_and_gives_up_bounded():
    from ansible.module_utils.mailops.http import AmbiguousWriteError, write_then_reread

    calls: list[str] = []

    def write():
        calls.append("write")
        raise AmbiguousWriteError("SendCloud domain/add: connection reset")

    def landed():
        calls.append("read")
        return False

    slept: list[float] = []
    with pytest.raises(AmbiguousWriteError, match="domain/add"):
        write_then_reread(write, landed, RetryPolicy(attempts=3, sleep=slept.append))
    assert calls == ["write", "read"] * 3
    assert len(slept) == 2 and all(0 <= s <= 8.0 for s in slept)


def test_an_unsure_write_found_landed_is_not_sent_again():
    from ansible.module_utils.mailops.http import AmbiguousWriteError, write_then_reread

    attempts = []

    def write():
        attempts.append(1)
        raise AmbiguousWriteError("lost reply")

    assert write_then_reread(write, lambda: True, RetryPolicy(attempts=5, sleep=lambda _s: None)) is None
    assert len(attempts) == 1
