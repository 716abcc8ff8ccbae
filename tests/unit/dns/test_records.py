"""Record names and values are normalised before comparison; TTLs are clamped."""

from __future__ import annotations

import pytest
from ansible.module_utils.mailops.dns.records import (
    clamp_ttls,
    clamp_warnings,
    make_record,
    normalize_name,
    record_from_dict,
    relative_name,
)
from ansible.module_utils.mailops.errors import ValidationError


def test_apex_at_sign_is_the_zone():
    assert normalize_name("@", "Example.COM.") == "example.com"


def test_relative_name_is_resolved_against_the_zone():
    assert normalize_name("_dmarc.news", "example.com") == "_dmarc.news.example.com"


def test_name_already_inside_the_zone_is_kept():
    assert normalize_name("News.Example.com", "example.com") == "news.example.com"


def test_trailing_dot_means_absolute():
    assert normalize_name("mail.other.net.", "example.com") == "mail.other.net"


def test_unicode_labels_become_punycode():
    assert normalize_name("Bücher.example.com") == "xn--bcher-kva.example.com"


def test_unicode_labels_follow_idna_2008_as_dnspython_does():
    import dns.name

    assert normalize_name("Straße.example") == "xn--strae-oqa.example"
    assert normalize_name("邮件.例子.cn") == "xn--5nq051n.xn--fsqu00a.cn"
    for name in ("straße.example", "邮件.例子.cn"):
        assert normalize_name(name) == dns.name.from_unicode(name).to_text(omit_final_dot=True)


def test_without_the_idna_package_the_idna_2003_codec_is_used(monkeypatch):
    import dns.name

    monkeypatch.setattr(dns.name, "have_idna_2008", False)

    assert normalize_name("straße.example") == "strasse.example"


def test_a_label_idna_2008_refuses_is_a_validation_error():
    with pytest.raises(ValidationError, match="invalid label"):
        normalize_name("a\u200db.example")  # a joiner IDNA 2008 refuses here (2003 drops it)


def test_relative_name_of_the_apex_is_at_sign():
    assert relative_name("example.com", "example.com") == "@"


def test_name_outside_the_zone_is_refused():
    with pytest.raises(ValidationError):
        relative_name("news.other.com", "example.com")


def test_mx_target_is_lowercased_without_trailing_dot():
    record = make_record("example.com", "mx", "MX.SendCloud.NET.", priority=5)
    assert (record.type, record.value, record.priority) == ("MX", "mx.sendcloud.net", 5)


def test_quoted_txt_input_is_read_as_its_logical_value():
    assert make_record("example.com", "TXT", '"v=spf1 " "-all"').value == "v=spf1 -all"


def test_null_value_means_known_after_apply():
    record = record_from_dict(
        {"type": "TXT", "name": "s1._domainkey", "value": None, "purpose": "dkim"},
        "example.com",
        600,
    )
    assert record.value is None and record.to_dict()["value"] == "(known after apply)"


def test_purpose_is_inferred_when_missing():
    assert make_record("_dmarc.example.com", "TXT", "v=DMARC1; p=none").purpose == "dmarc"


def test_ttl_below_the_minimum_is_clamped_with_a_warning():
    records, raised = clamp_ttls([make_record("example.com", "TXT", "x", ttl=60)], 600)
    assert records[0].ttl == 600 and [record.ttl for record in raised] == [60]
    warnings = clamp_warnings(raised, 600, "zone z")
    assert "TXT example.com (TTL 60)" in warnings[0] and "using 600" in warnings[0]


def test_ttl_at_or_above_the_minimum_is_kept_silently():
    records, raised = clamp_ttls([make_record("example.com", "TXT", "x", ttl=600)], 600)
    assert records[0].ttl == 600 and raised == [] and clamp_warnings(raised, 600, "z") == []
