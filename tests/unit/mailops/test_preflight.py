from __future__ import annotations

import pytest
from ansible.module_utils.mailops import preflight


def findings() -> preflight.Findings:
    return preflight.Findings("acme")


@pytest.mark.parametrize(("domain", "problem"), [
    ("news_letter.acme.example", "label 'news_letter'"),
    ("news letter.acme.example", "label 'news letter'"),
    ("news!.acme.example", "label 'news!'"),
    ("mail.sendcloud-partner.example", "contains 'sendcloud'"),
    ("ifaxin.example", "contains 'ifaxin'"),
    ("localhost", "is not a domain name"),
    ("a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 63, "characters long"),
])
def test_invalid_sending_domains_are_refused_with_the_reason(domain, problem):
    found = findings()
    preflight.check_domain(domain, found)
    assert any(problem in error and "tenant acme: sending_domain" in error for error in found.errors)


def test_chinese_domain_gets_the_punycode_hint():
    found = findings()
    preflight.check_domain("新闻.例子.example", found)
    assert "xn--" in found.errors[0]


def test_the_punycode_hint_is_idna_2008_as_registries_write_it():
    found = findings()
    preflight.check_domain("straße.example", found)
    assert "'xn--strae-oqa.example'" in found.errors[0]   # IDNA 2003 gave 'strasse.example'


def test_trailing_dot_and_case_are_normalised_with_a_note():
    found = findings()
    assert preflight.normalise_domain("News.Acme.Example.", found) == "news.acme.example"
    assert len(found.notes) == 2


def test_mailbox_like_names_warn():
    found = findings()
    preflight.check_domain("smtp.acme.example", found)
    assert not found.errors and "mailbox host" in found.warnings[0]


def test_a_domain_that_already_receives_mail_is_refused_unless_allowed():
    refused, allowed = findings(), findings()
    preflight.check_existing_mail("acme.example", "acme.example", ["mail.acme.example"], False, refused)
    preflight.check_existing_mail("acme.example", "acme.example", ["mail.acme.example"], True, allowed)
    assert "already receives mail" in refused.errors[0]
    assert not allowed.errors and any("allow_existing_mx" in w for w in allowed.warnings)


def test_sendcloud_mx_is_not_foreign():
    assert preflight.foreign_mx(["mx.sendcloud.org.", "mail.acme.example"]) == ["mail.acme.example"]


def test_apex_sending_domain_warns():
    found = findings()
    preflight.check_existing_mail("acme.example", "acme.example", [], False, found)
    assert "apex" in found.warnings[0]


@pytest.mark.parametrize(("mode", "errors", "warnings"), [("fail", 1, 0), ("warn", 0, 1)])
def test_sender_outside_the_sending_domain_fails_or_warns_by_setting(mode, errors, warnings):
    found = findings()
    preflight.check_address("sender_address", "hi@acme.example", "news.acme.example", found,
                            must_match_domain=True, mismatch_is_error=(mode == "fail"))
    assert (len(found.errors), len(found.warnings)) == (errors, warnings)


def test_invalid_address_is_refused():
    found = findings()
    preflight.check_address("reply_to_address", "not-an-address", "news.acme.example", found,
                            must_match_domain=False, mismatch_is_error=False)
    assert "not a valid e-mail address" in found.errors[0]


def test_negative_reputation_fails_and_explains():
    found = findings()
    account = {"reputation": -1.0, "kyc": {}, "quota_remaining": 0, "available_balance": None}
    preflight.check_account(account, {}, found)
    assert "quota is 0" in found.errors[0]


def test_a_balance_below_the_minimum_warns_and_is_flagged_for_the_fleet_page():
    found = findings()
    low = {"reputation": 80.0, "kyc": {}, "quota_remaining": 10, "available_balance": 5.0}
    preflight.check_account(low, {"min_balance": 10}, found)
    assert low["balance_low"] is True and "available balance 5.0 is below 10" in found.warnings[0]
    enough = {**low, "available_balance": 50.0}
    preflight.check_account(enough, {"min_balance": 10}, findings())
    assert enough["balance_low"] is False
    unchecked = {"reputation": 80.0, "kyc": {}, "quota_remaining": 10, "available_balance": 5.0}
    preflight.check_account(unchecked, {}, findings())
    assert "balance_low" not in unchecked   # no threshold: neither low nor fine


def test_same_name_for_both_roles_is_refused():
    found = findings()
    preflight.check_api_user_names({"batch": "acme_user", "trigger": "acme_user"}, found)
    assert "same name" in found.errors[0]


def test_a_domain_in_no_zone_is_reported_with_the_other_problems(monkeypatch):
    from ansible.module_utils.mailops.dns import zone
    from ansible.module_utils.mailops.errors import NotFoundError
    from ansible.module_utils.mailops.stages.preflight import PreflightFailed, run_preflight

    def no_zone(fqdn, _nameservers=None):
        raise NotFoundError(f"no zone found for {fqdn} at 127.0.0.1:53", hint="check the spelling")

    monkeypatch.setattr(zone, "find_zone", no_zone)
    params = {"tenant_id": "globex", "sending_domain": "send2.globex.exmaple", "zone": None,
              "nameservers": ["127.0.0.1:53"], "allow_existing_mx": False,
              "sender_address": "hello@send2.globex.example", "reply_to_address": "help@globex.example",
              "sender_domain_mismatch": "fail", "api_user_names": {"batch": "globex_batch",
                                                                   "trigger": "globex_trigger"},
              "check_account": False}
    with pytest.raises(PreflightFailed) as failed:
        run_preflight(params)
    assert [problem.split(":")[1].strip() for problem in failed.value.problems] == [
        "sender_address", "sending_domain"]
    assert "no zone found for send2.globex.exmaple" in failed.value.problems[1]
