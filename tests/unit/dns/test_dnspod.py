"""DNSPod provider: the HTTP conversation pinned at the requests boundary (official SDK signs)."""

from __future__ import annotations

import pytest
import responses
from ansible.module_utils.mailops.dns.plan import plan_changes
from ansible.module_utils.mailops.dns.providers.dnspod import DnspodProvider
from ansible.module_utils.mailops.dns.records import ExistingRecord, make_record
from ansible.module_utils.mailops.errors import AuthError, RateLimitedError

from .dnspod_fixtures import (
    AUTH_FAILED,
    CREATED,
    DELETED,
    DKIM_VALUE,
    DOMAIN_LIST,
    FREE_DOMAIN,
    MODIFIED,
    NO_DATA_OF_RECORD,
    PAID_DOMAIN,
    RATE_LIMITED,
    RECORD_EXISTS,
    RECORD_ID_INVALID,
    SECRET_ID,
    SECRET_KEY,
    ZONE,
    DnspodStub,
    DropConnection,
    item,
    record_list,
)

SENDING = f"news.{ZONE}"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def stub():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield DnspodStub(mock)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def provider(sleeps) -> DnspodProvider:
    return DnspodProvider(SECRET_ID, SECRET_KEY, sleep=sleeps.append)


def mx_record(priority: int = 10):
    return make_record(SENDING, "MX", "mx.sendcloud.net", ttl=600, priority=priority, purpose="mx")


def test_listing_pages_past_100_records(stub, provider):
    first_page = [item(i, "news", "TXT", f"token-{i}") for i in range(100)]
    second_page = [item(100 + i, "news", "TXT", f"token-{100 + i}") for i in range(5)]
    stub.on("DescribeRecordList", record_list(first_page, 105), record_list(second_page, 105))

    found = provider.list_records(ZONE, {SENDING})

    assert len(found) == 105
    assert [p["Offset"] for p in stub.params("DescribeRecordList")] == [0, 100]
    assert stub.params("DescribeRecordList")[0]["Subdomain"] == "news"
    assert stub.params("DescribeRecordList")[0]["SubDomain"] == "news"


def test_no_data_of_record_reads_as_no_records(stub, provider):
    stub.on("DescribeRecordList", NO_DATA_OF_RECORD)

    assert provider.list_records(ZONE, {SENDING}) == []


def test_listing_refilters_on_exact_name_and_managed_types(stub, provider):
    stub.on(
        "DescribeRecordList",
        record_list(
            [
                item(1, "news", "TXT", "v=spf1 -all"),
                item(2, "news2", "TXT", "fuzzy match"),
                item(3, "news", "A", "192.0.2.1"),
                item(4, "news", "MX", "MX.SendCloud.net.", mx=5),
            ]
        ),
    )

    found = provider.list_records(ZONE, {SENDING})

    assert [(e.record_id, e.record.type, e.record.value) for e in found] == [
        ("1", "TXT", "v=spf1 -all"),
        ("4", "MX", "mx.sendcloud.net"),
    ]
    assert found[1].record.priority == 5


def test_quoted_split_txt_from_the_api_reads_as_the_joined_value(stub, provider):
    stub.on(
        "DescribeRecordList", record_list([item(1, "s1._domainkey.news", "TXT", '"k=rsa;" "p=AB"')])
    )

    found = provider.list_records(ZONE, {f"s1._domainkey.{SENDING}"})

    assert found[0].record.value == "k=rsa;p=AB"


def test_split_dkim_returned_without_outer_quotes_is_unchanged(stub, provider):
    # entered at DNSPod as "k=rsa;p=AAA…" "AAA…", returned with the outer quotes stripped
    split = f'{DKIM_VALUE[:255]}" "{DKIM_VALUE[255:]}'
    dkim_name = f"s1._domainkey.{SENDING}"
    stub.on("DescribeRecordList", record_list([item(1, "s1._domainkey.news", "TXT", split)]))
    desired = make_record(dkim_name, "TXT", DKIM_VALUE, ttl=600, purpose="dkim")

    plan = plan_changes([desired], provider.list_records(ZONE, {dkim_name}))

    assert plan.changes == [] and plan.outcomes[0].action == "unchanged"


def test_split_spf_returned_without_outer_quotes_is_read_whole(stub, provider):
    split = 'v=spf1 ip4:192.0.2.0/24 " "include:spf.sendcloud.org ~all'
    stub.on("DescribeRecordList", record_list([item(1, "news", "TXT", split)]))
    desired = make_record(SENDING, "TXT", "v=spf1 include:spf.sendcloud.org ~all", ttl=600,
                          purpose="spf")

    plan = plan_changes([desired], provider.list_records(ZONE, {SENDING}))

    assert plan.changes == [] and plan.outcomes[0].action == "unchanged"


def test_disabled_record_is_drift_and_is_reenabled(stub, provider):
    stub.on(
        "DescribeRecordList",
        record_list([item(7, "news", "MX", "mx.sendcloud.net", mx=10, status="DISABLE")]),
    )
    existing = provider.list_records(ZONE, {SENDING})

    plan = plan_changes([mx_record()], existing)

    assert [change.action for change in plan.changes] == ["update"]


def test_create_sends_default_line_ttl_and_mx(stub, provider):
    stub.on("CreateRecord", CREATED)
    plan = plan_changes([mx_record()], [])

    provider.apply_changes(ZONE, plan.changes)

    assert stub.params("CreateRecord") == [
        {
            "Domain": ZONE,
            "SubDomain": "news",
            "RecordType": "MX",
            "RecordLine": "默认",
            "RecordLineId": "0",
            "Value": "mx.sendcloud.net",
            "TTL": 600,
            "MX": 10,
        }
    ]


def test_long_dkim_is_sent_raw_as_one_unquoted_value(stub, provider):
    stub.on("CreateRecord", CREATED)
    dkim = make_record(f"s1._domainkey.{SENDING}", "TXT", DKIM_VALUE, ttl=600, purpose="dkim")

    provider.apply_changes(ZONE, plan_changes([dkim], []).changes)

    assert stub.params("CreateRecord")[0]["Value"] == DKIM_VALUE


def test_domain_record_exist_is_confirmed_by_a_reread_and_treated_as_done(stub, provider):
    stub.on("CreateRecord", RECORD_EXISTS)
    stub.on("DescribeRecordList", record_list([item(5, "news", "MX", "mx.sendcloud.net", mx=10)]))

    result = provider.apply_changes(ZONE, plan_changes([mx_record()], []).changes)

    assert stub.actions() == ["CreateRecord", "DescribeRecordList"]
    assert result.status == "applied"


def test_modify_sends_every_field_because_it_overwrites(stub, provider):
    stub.on("ModifyRecord", MODIFIED)
    existing = [ExistingRecord(mx_record(priority=20), record_id="1001")]

    provider.apply_changes(ZONE, plan_changes([mx_record()], existing).changes)

    assert stub.params("ModifyRecord") == [
        {
            "Domain": ZONE,
            "SubDomain": "news",
            "RecordType": "MX",
            "RecordLine": "默认",
            "RecordLineId": "0",
            "Value": "mx.sendcloud.net",
            "TTL": 600,
            "MX": 10,
            "RecordId": 1001,
            "Status": "ENABLE",
        }
    ]


def test_delete_of_an_already_gone_record_is_done(stub, provider):
    stub.on("DeleteRecord", RECORD_ID_INVALID)
    foreign = ExistingRecord(make_record(SENDING, "MX", "mail.other.example", priority=5), "77")

    provider.apply_changes(ZONE, plan_changes([mx_record()], [foreign], "replace").changes[:1])

    assert stub.params("DeleteRecord") == [{"Domain": ZONE, "RecordId": 77}]


def test_rate_limited_call_backs_off_then_succeeds(stub, provider, sleeps):
    stub.on("CreateRecord", RATE_LIMITED, RATE_LIMITED, CREATED)

    provider.apply_changes(ZONE, plan_changes([mx_record()], []).changes)

    assert stub.actions() == ["CreateRecord"] * 3
    assert len(sleeps) == 2 and all(delay > 0 for delay in sleeps)


def test_rate_limit_gives_up_after_bounded_attempts_naming_the_action(stub, provider):
    stub.on("CreateRecord", *[RATE_LIMITED] * 5)

    with pytest.raises(RateLimitedError) as caught:
        provider.apply_changes(ZONE, plan_changes([mx_record()], []).changes)

    assert "CreateRecord" in str(caught.value) and "RequestLimitExceeded" in str(caught.value)
    assert len(stub.calls) == 5


def test_auth_error_names_the_cause_and_fix_without_the_secret(stub, provider):
    stub.on("DescribeRecordList", AUTH_FAILED)

    with pytest.raises(AuthError) as caught:
        provider.list_records(ZONE, {SENDING})

    message = str(caught.value)
    assert "AuthFailure.SecretIdNotFound" in message and "dnspod_secret_id" in message
    assert SECRET_KEY not in message


def test_dropped_connection_on_create_is_reread_before_retry(stub, provider):
    stub.on("CreateRecord", DropConnection)
    stub.on(
        "DescribeRecordList", record_list([item(9001, "news", "MX", "mx.sendcloud.net", mx=10)])
    )

    provider.apply_changes(ZONE, plan_changes([mx_record()], []).changes)

    assert stub.actions() == ["CreateRecord", "DescribeRecordList"]


def test_dropped_connection_without_the_write_retries_once_more(stub, provider):
    stub.on("CreateRecord", DropConnection, CREATED)
    stub.on("DescribeRecordList", NO_DATA_OF_RECORD)

    provider.apply_changes(ZONE, plan_changes([mx_record()], []).changes)

    assert stub.actions() == ["CreateRecord", "DescribeRecordList", "CreateRecord"]


def test_min_ttl_comes_from_the_plan_grade(stub, provider):
    stub.on("DescribeDomain", FREE_DOMAIN)

    assert provider.min_ttl(ZONE) == 600


def test_paid_plan_allows_lower_ttl(stub, provider):
    stub.on("DescribeDomain", PAID_DOMAIN)

    assert provider.min_ttl(ZONE) == 1


def test_zone_is_the_longest_suffix_match_of_the_account_domains(stub, provider):
    stub.on("DescribeDomainList", DOMAIN_LIST)

    assert provider.find_zone(f"mail.{SENDING}") == ZONE


def test_delete_then_create_order_under_replace(stub, provider):
    stub.on("DeleteRecord", DELETED)
    stub.on("CreateRecord", CREATED)
    foreign = ExistingRecord(make_record(SENDING, "MX", "mail.other.example", priority=5), "77")

    provider.apply_changes(ZONE, plan_changes([mx_record()], [foreign], "replace").changes)

    assert stub.actions() == ["DeleteRecord", "CreateRecord"]
