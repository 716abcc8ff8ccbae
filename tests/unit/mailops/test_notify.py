"""Notifications through apprise: delivered to a local HTTP receiver by apprise's generic JSON
target (json://), DingTalk's signature checked against its documented algorithm, a failing target
only warns, and no target URL (they hold tokens) reaches a result, a warning or a log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.parse

import pytest
import responses
import time_machine
from ansible.module_utils.mailops.notify import message
from ansible.module_utils.mailops.stages.notify import run_notify

from tests.helpers.webhook import Receiver

APPLIED = {"changed_tenants": ["acme", "globex", "initech"], "failed": {"initech": "binding stage: HTTP 500"},
           "tenants": {"acme": {"counts": {"create": 8, "update": 0}},
                       "globex": {"counts": {"create": 0, "update": 1}}}}
REBIND = {"tenant": "acme", "ticket": "CHG-42", "old_domain": "news.acme.example",
          "new_domain": "mail2.acme.example"}


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.stop()


def notify(targets, event="rebind_window_start", check_mode=False, **params):
    return run_notify({"targets": targets, "event": event, "record_file": None, "rebind": REBIND,
                       "report": "reports/index.html", **params}, check_mode)


def test_the_json_target_gets_the_title_and_the_lines(receiver):
    result = notify([receiver.url()])
    assert result["sent"] == 1 and not result.get("warnings")
    [posted] = receiver.received
    assert posted["path"] == "/hooks/ops-7f3a9c2e"
    assert posted["body"]["title"] == "mailops rebind started: acme (CHG-42)"
    assert "moving news.acme.example to mail2.acme.example" in posted["body"]["message"]
    assert "report: reports/index.html" in posted["body"]["message"]


def test_an_apply_message_names_what_changed_what_failed_and_the_report(tmp_path, receiver):
    applied = tmp_path / "applied.json"
    applied.write_text(json.dumps(APPLIED))
    result = notify([receiver.url()], event="apply", record_file=str(applied))
    assert result["title"] == "mailops apply: 2 tenant(s) changed, 1 failed"
    assert result["body"].splitlines() == [
        "changed: acme (8 created)", "changed: globex (1 updated)",
        "failed: initech: binding stage: HTTP 500", "report: reports/index.html"]
    assert receiver.received[0]["body"]["message"] == result["body"]


def test_a_failing_target_warns_without_its_url_and_the_others_still_get_the_message(receiver, caplog):
    receiver.status = 500
    second = Receiver()
    try:
        with caplog.at_level(logging.DEBUG):
            result = notify([receiver.url("hooks/secret-token-1234"), "json://127.0.0.1:1/closed",
                             "not a url at all", second.url()])
    finally:
        second.stop()
    assert result["sent"] == 1 and len(second.received) == 1
    warnings = result["warnings"]
    assert [w.split(" (")[0] for w in warnings] == [
        "notification target 1", "notification target 2", "notification target 3"]
    assert "is not a URL apprise understands" in warnings[2]
    assert "target 1 (json) was not delivered" in warnings[0]
    everything = json.dumps(result) + caplog.text
    assert "secret-token-1234" not in everything and "127.0.0.1:1/" not in everything


def test_check_mode_and_no_target_send_nothing(receiver):
    assert notify([receiver.url()], check_mode=True)["sent"] == 0
    assert notify([])["sent"] == 0
    assert receiver.received == []


def test_a_missing_record_warns_and_never_fails(tmp_path, receiver):
    result = notify([receiver.url()], event="audit", record_file=str(tmp_path / "absent.json"))
    assert result["sent"] == 0 and "no notification sent" in result["warnings"][0]
    assert receiver.received == []


def documented_dingtalk_sign(timestamp: str, secret: str) -> str:
    """DingTalk's robot security settings ('加签'), as its documentation's Python example
    computes it: HmacSHA256 of 'timestamp\\nsecret' keyed with the secret, Base64, URL-encoded."""
    string_to_sign = f"{timestamp}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


@responses.activate
def test_dingtalk_is_signed_as_its_documentation_says():
    secret = "SEC" + "3a7f" * 16
    token = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    responses.add(responses.POST, "https://oapi.dingtalk.com/robot/send", json={"errcode": 0})
    with time_machine.travel(1764979200.123, tick=False):
        result = notify([f"dingtalk://{secret}@{token}/"])
    assert result["sent"] == 1, result
    [call] = responses.calls
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(call.request.url).query)
    assert query["access_token"] == [token] and query["timestamp"] == ["1764979200123"]
    # parse_qs decodes once: compare the sign as sent, before decoding
    sent_sign = urllib.parse.urlsplit(call.request.url).query.split("sign=")[1].split("&")[0]
    assert sent_sign == documented_dingtalk_sign("1764979200123", secret)
    assert json.loads(call.request.body)["msgtype"] in ("text", "markdown")
    assert secret not in json.dumps(result) and token not in json.dumps(result)


def test_every_event_has_a_title_and_names_the_report():
    for event in ("rebind_window_start", "rebind_window_end", "rebind_failed"):
        title, body = message(event, {**REBIND, "error": "binding stage: HTTP 500"}, "R")
        assert "acme" in title and body.endswith("report: R")
    title, body = message("audit", {"drifted_tenants": ["acme"], "failed_tenants": [],
                                    "tenants": {"acme": {"drift": ["MX news: would update"]}}}, "A")
    assert title.startswith("mailops audit: drift in 1") and "MX news: would update" in body
