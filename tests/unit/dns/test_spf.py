"""SPF: merge SendCloud's include into an existing record, count DNS lookups."""

from __future__ import annotations

import pytest
from ansible.module_utils.mailops.dns.spf import (
    contains_desired,
    count_dns_lookups,
    is_spf,
    merge_spf,
    other_forms,
    remove_terms,
)
from ansible.module_utils.mailops.errors import ValidationError

SENDCLOUD_SPF = "v=spf1 include:spf.sendcloud.org ~all"


def test_merge_inserts_the_include_before_all_keeping_the_qualifier():
    merged = merge_spf("v=spf1 ip4:192.0.2.0/24 include:_spf.google.com -all", SENDCLOUD_SPF)
    assert (
        merged == "v=spf1 ip4:192.0.2.0/24 include:_spf.google.com include:spf.sendcloud.org -all"
    )


def test_merge_into_a_record_without_all_appends():
    assert merge_spf("v=spf1 mx", SENDCLOUD_SPF) == "v=spf1 mx include:spf.sendcloud.org"


def test_merge_goes_before_a_redirect():
    merged = merge_spf("v=spf1 mx redirect=_spf.example.com", SENDCLOUD_SPF)
    assert merged == "v=spf1 mx include:spf.sendcloud.org redirect=_spf.example.com"


def test_an_include_in_another_case_is_not_sendclouds_form():
    assert not contains_desired("v=spf1 INCLUDE:spf.sendcloud.org -all", SENDCLOUD_SPF)


def test_lookups_count_include_a_mx_ptr_exists_redirect_not_ip4_or_all():
    value = "v=spf1 include:a.example a mx:b.example ptr exists:%{i}.x ip4:1.2.3.4 redirect=r ~all"
    assert count_dns_lookups(value) == 6


def test_merge_over_ten_lookups_is_refused():
    full = "v=spf1 " + " ".join(f"include:s{i}.example" for i in range(10)) + " -all"
    with pytest.raises(ValidationError) as caught:
        merge_spf(full, SENDCLOUD_SPF, "news.example.com")
    assert "11 DNS lookups" in str(caught.value) and "news.example.com" in str(caught.value)


def test_spf_recognition_needs_space_or_end_after_the_version():
    assert is_spf("v=spf1 -all") and is_spf("V=SPF1")
    assert not is_spf("v=spf10 -all") and not is_spf("google-site-verification=x")


@pytest.mark.parametrize(
    "written",
    ["include:spf.sendcloud.org.", "~include:spf.sendcloud.org", "+include:SPF.SendCloud.org.",
     "?include:spf.sendcloud.org", "include:SPF.SendCloud.ORG."],
)
def test_include_written_another_way_is_rewritten_in_place_not_added_again(written):
    existing = f"v=spf1 ip4:192.0.2.0/24 {written} -all"
    assert not contains_desired(existing, SENDCLOUD_SPF)
    assert other_forms(existing, SENDCLOUD_SPF) == {written: "include:spf.sendcloud.org"}
    assert merge_spf(existing, SENDCLOUD_SPF) == "v=spf1 ip4:192.0.2.0/24 include:spf.sendcloud.org -all"


def test_the_pass_qualifier_is_sendclouds_form():
    assert contains_desired("v=spf1 +include:spf.sendcloud.org -all", SENDCLOUD_SPF)


def test_a_second_form_beside_sendclouds_own_is_dropped():
    existing = "v=spf1 include:SPF.SendCloud.ORG. include:spf.sendcloud.org -all"
    assert merge_spf(existing, SENDCLOUD_SPF) == "v=spf1 include:spf.sendcloud.org -all"


def test_an_include_of_another_target_is_not_ours():
    assert not contains_desired("v=spf1 include:spf.sendcloud.org.cn -all", SENDCLOUD_SPF)


def test_retiring_takes_out_the_include_however_it_is_written():
    existing = "v=spf1 mx ~include:SPF.sendcloud.org. -all"
    assert remove_terms(existing, SENDCLOUD_SPF) == "v=spf1 mx -all"
