"""What the Route 53 client enforces itself because moto's server (the tests' Route 53) does not:
the batch rules Route 53 applies, GetChange until INSYNC, 5 requests per second."""

from __future__ import annotations

import pytest
from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.providers.route53 import (
    Route53Provider,
    change_for,
    check_batch,
)
from ansible.module_utils.mailops.dns.records import make_record
from ansible.module_utils.mailops.errors import ValidationError, WaitTimeoutError

NAME = "news.example.com"


def rrset(rtype: str, ttl: int, *values: str) -> dict:
    return {"Name": NAME + ".", "Type": rtype, "TTL": ttl,
            "ResourceRecords": [{"Value": value} for value in values]}


def change(action: str, rtype: str, ttl: int, *values: str) -> dict:
    return {"Action": action, "ResourceRecordSet": rrset(rtype, ttl, *values)}


def test_create_of_an_existing_rrset_is_refused_as_route53_refuses_it():
    served = {(NAME, "TXT"): rrset("TXT", 300, '"theirs"')}
    with pytest.raises(ValidationError, match="Tried to create resource record set "
                       r"\[name='news.example.com.', type='TXT'\] but it already exists"):
        check_batch([change("CREATE", "TXT", 300, '"ours"')], served)


@pytest.mark.parametrize("ttl, values", [(600, ['"a"']), (300, ['"a"', '"b"']), (300, ['"b"'])])
def test_a_delete_must_repeat_the_current_ttl_and_every_value(ttl, values):
    served = {(NAME, "TXT"): rrset("TXT", 300, '"a"')}
    with pytest.raises(ValidationError, match="do not match the current values"):
        check_batch([change("DELETE", "TXT", ttl, *values)], served)
    check_batch([change("DELETE", "TXT", 300, '"a"')], served)  # the exact one passes


def test_txt_must_be_quoted_strings_of_at_most_255_bytes():
    with pytest.raises(ValidationError, match="InvalidCharacterString"):
        check_batch([change("CREATE", "TXT", 300, "v=spf1 -all")], {})
    with pytest.raises(ValidationError, match="CharacterStringTooLong"):
        check_batch([change("CREATE", "TXT", 300, '"' + "k" * 256 + '"')], {})
    check_batch([change("CREATE", "TXT", 300, '"' + "k" * 255 + '" "' + "k" * 45 + '"')], {})


def test_a_cname_has_one_value():
    with pytest.raises(ValidationError, match="only one value"):
        check_batch([change("CREATE", "CNAME", 300, "a.example.net.", "b.example.net.")], {})


def test_an_upsert_sends_the_whole_rrset_with_the_foreign_records_it_keeps():
    served = rrset("TXT", 120, '"google-site-verification=abc"')
    ours = make_record(NAME + ".", "TXT", "v=spf1 include:spf.sendcloud.org ~all", ttl=120)
    sent = change_for(NAME, "TXT", served, [Change("create", None, ours, "new")])
    assert sent["Action"] == "UPSERT"
    assert [v["Value"] for v in sent["ResourceRecordSet"]["ResourceRecords"]] == [
        '"google-site-verification=abc"', '"v=spf1 include:spf.sendcloud.org ~all"']


def test_the_last_record_gone_deletes_the_rrset_as_it_is():
    served = rrset("MX", 300, "20 mx.other.example.")
    theirs = make_record(NAME + ".", "MX", "mx.other.example", ttl=300, priority=20)
    sent = change_for(NAME, "MX", served, [Change("delete", theirs, None, "replace",
                                                  record_id="20 mx.other.example.")])
    assert sent == {"Action": "DELETE", "ResourceRecordSet": served}


class FakeClient:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.asked = 0

    def get_change(self, Id):  # noqa: N803 - boto3's argument name
        self.asked += 1
        return {"ChangeInfo": {"Id": f"/change/{Id}", "Status": self.statuses.pop(0)}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def provider(client, clock: FakeClock, **options) -> Route53Provider:
    return Route53Provider(client=client, sleep=clock.sleep, clock=clock, **options)


def test_the_change_is_awaited_until_insync():
    clock = FakeClock()
    client = FakeClient(["PENDING", "PENDING", "INSYNC"])
    provider(client, clock).wait_insync({"Id": "/change/C123", "Status": "PENDING"})
    assert client.asked == 3


def test_a_change_that_stays_pending_fails_after_the_timeout_naming_it():
    clock = FakeClock()
    client = FakeClient(["PENDING"] * 100)
    with pytest.raises(WaitTimeoutError, match="change C123 is still PENDING after 30 s"):
        provider(client, clock, change_timeout=30).wait_insync(
            {"Id": "/change/C123", "Status": "PENDING"})
    assert clock.now >= 30


def test_requests_are_spaced_to_five_a_second():
    clock = FakeClock()
    client = FakeClient(["INSYNC"] * 20)
    r53 = provider(client, clock)
    for _ in range(20):
        r53.call("get_change", Id="C1")
    # a burst of 5, then one every 0.2 s
    assert clock.now == pytest.approx(3.0, abs=0.01)
