"""TXT values: 255-byte character-strings, joining, quoting and tolerant parsing."""

from __future__ import annotations

from ansible.module_utils.mailops.dns.txt import join_txt, parse_txt, quote_txt, split_txt

DKIM_VALUE = "k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A" * 13


def test_short_value_is_one_string():
    assert split_txt("v=spf1 -all") == [b"v=spf1 -all"]


def test_long_value_is_split_at_255_bytes():
    chunks = split_txt(DKIM_VALUE)
    assert [len(chunk) for chunk in chunks] == [255, len(DKIM_VALUE) - 255]


def test_split_never_cuts_a_utf8_sequence():
    value = "a" * 254 + "é" + "b"  # é is two bytes: it would straddle byte 255
    chunks = split_txt(value)
    assert chunks[0] == b"a" * 254
    assert all(chunk.decode("utf-8") for chunk in chunks)


def test_join_restores_the_logical_value():
    assert join_txt(split_txt(DKIM_VALUE)) == DKIM_VALUE


def test_quote_escapes_quotes_and_backslashes():
    assert quote_txt('say "hi" \\o/') == '"say \\"hi\\" \\\\o/"'


def test_quote_splits_long_values_into_several_strings():
    assert quote_txt(DKIM_VALUE).count('" "') == 1


def test_escapes_are_never_split_from_their_character():
    value = '"' * 300
    quoted = quote_txt(value)
    assert parse_txt(quoted) == value


def test_quote_then_parse_round_trips():
    for value in (DKIM_VALUE, 'a "quoted" \\ value', "unicode ✓ value", ""):
        assert parse_txt(quote_txt(value)) == value


def test_parse_tolerates_split_strings():
    assert parse_txt('"v=spf1 include:a" " ~all"') == "v=spf1 include:a ~all"


def test_parse_keeps_a_raw_unquoted_value():
    assert parse_txt("v=DMARC1; p=none") == "v=DMARC1; p=none"


def test_parse_decodes_decimal_escapes():
    assert parse_txt('"a\\059b"') == "a;b"


def test_parse_joins_split_strings_returned_without_their_outer_quotes():
    # DNSPod returns a value entered as "a" "b" as a" "b
    assert parse_txt('v=spf1 ip4:192.0.2.1 " "include:a ~all') == "v=spf1 ip4:192.0.2.1 include:a ~all"


def test_parse_keeps_a_raw_value_with_quotes_or_backslashes_as_data():
    assert parse_txt('v=DMARC1; p=none; rua="x"') == 'v=DMARC1; p=none; rua="x"'
    assert parse_txt("token\\with\\backslashes") == "token\\with\\backslashes"
