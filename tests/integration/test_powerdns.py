"""dns_record_set and dns_propagation against a real PowerDNS Authoritative (HTTP API, gsqlite3).

The provider corpus (SPF merge, DKIM over 255 bytes, foreign DMARC under each policy, unrelated
records untouched, check equals apply, no write on a rerun, a changed record found) runs in
tests/integration/test_zone_corpus.py; these tests cover what is PowerDNS's own.
"""

from __future__ import annotations

import zlib

import dns.message
import dns.query
import pytest
from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.providers import build_provider
from ansible.module_utils.mailops.dns.record_set import run_propagation, run_record_set
from ansible.module_utils.mailops.dns.records import make_record
from ansible.module_utils.mailops.errors import AuthError, NotFoundError, ValidationError

from tests.helpers.ansible_module import run_module

pytestmark = pytest.mark.powerdns

DKIM_VALUE = "k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 9 + "IDAQAB"
SPF_VALUE = "v=spf1 include:spf.sendcloud.org ~all"


def sendcloud_records(domain: str) -> list[dict]:
    return [
        {"type": "TXT", "name": domain, "value": SPF_VALUE, "purpose": "spf"},
        {"type": "TXT", "name": f"s1._domainkey.{domain}", "value": DKIM_VALUE, "purpose": "dkim"},
        {"type": "MX", "name": domain, "value": "mx.sendcloud.net", "priority": 10, "purpose": "mx"},
    ]


def params(server, domain: str, **overrides) -> dict:
    return {"tenant": "acme", "state": "present", "zone": None,
            "records": sendcloud_records(domain), "ttl": 300, "provider": "powerdns",
            "on_conflict": "keep_and_fail", "nameservers": [server.nameserver],
            "powerdns_api_url": server.api_url, "powerdns_api_key": server.api_key,
            "powerdns_server_id": "localhost", **overrides}


@pytest.fixture
def zone(pdns_server, request) -> str:
    name = f"z{zlib.crc32(request.node.name.encode()):08x}.pdns.test"  # one zone per test
    pdns_server.create_zone(name)
    return name


def served_txt(server, name: str) -> list[list[bytes]]:
    response = dns.query.tcp(dns.message.make_query(name, "TXT"), server.host,
                             port=server.dns_port, timeout=5)
    return [list(rdata.strings) for rrset in response.answer for rdata in rrset]


def test_records_are_written_in_one_patch_and_a_rerun_writes_nothing(pdns_server, zone):
    domain = f"news.{zone}"
    planned = run_record_set(params(pdns_server, domain), check_mode=True)
    serial = pdns_server.zone(zone)["serial"]
    applied = run_record_set(params(pdns_server, domain), check_mode=False)
    after = pdns_server.zone(zone)["serial"]

    assert planned["zone"] == zone and applied["changes"] == planned["changes"]
    assert len(applied["changes"]) == 3 and after != serial
    second = run_record_set(params(pdns_server, domain), check_mode=False)
    assert second["changed"] is False and pdns_server.zone(zone)["serial"] == after
    # the DKIM key is served in character-strings of at most 255 bytes, joining to the value
    (strings,) = served_txt(pdns_server, f"s1._domainkey.{domain}")
    assert len(strings) >= 2 and all(len(s) <= 255 for s in strings)
    assert b"".join(strings).decode() == DKIM_VALUE


def test_it_answers_dns_itself_so_propagation_is_awaited_end_to_end(pdns_server, zone):
    domain = f"news.{zone}"
    run_record_set(params(pdns_server, domain), check_mode=False)
    waited = run_propagation({"records": sendcloud_records(domain), "zone": zone,
                              "nameservers": [pdns_server.nameserver], "timeout": 10,
                              "interval": 1}, check_mode=False)
    assert waited["complete"] is True


def test_a_foreign_record_in_the_rrset_stays_as_stored(pdns_server, zone):
    domain = f"news.{zone}"
    foreign = '"google-site-verification=abc" "second string"'
    pdns_server.patch(zone, [{"name": f"{domain}.", "type": "TXT", "ttl": 120,
                              "changetype": "REPLACE",
                              "records": [{"content": foreign, "disabled": False}]}])
    applied = run_record_set(params(pdns_server, domain), check_mode=False)

    assert [(c["action"], c["type"]) for c in applied["changes"]] == [
        ("create", "TXT"), ("create", "TXT"), ("create", "MX")]
    rrset = next(r for r in pdns_server.zone(zone)["rrsets"]
                 if r["name"] == f"{domain}." and r["type"] == "TXT")
    assert foreign in [record["content"] for record in rrset["records"]]
    assert rrset["ttl"] == 120  # ours joined the RRset at its TTL, the foreign one unchanged
    assert run_record_set(params(pdns_server, domain), check_mode=False)["changed"] is False


def test_a_patch_that_fails_applies_nothing(pdns_server, zone):
    provider = build_provider(params(pdns_server, f"news.{zone}"))
    ours = make_record(f"news.{zone}.", "TXT", SPF_VALUE, ttl=300)
    blocked = make_record(f"www.{zone}.", "CNAME", "target.example.net", ttl=300)
    pdns_server.patch(zone, [{"name": f"www.{zone}.", "type": "TXT", "ttl": 300,
                              "changetype": "REPLACE",
                              "records": [{"content": '"there"', "disabled": False}]}])
    serial = pdns_server.zone(zone)["serial"]

    with pytest.raises(ValidationError, match="PowerDNS rejected") as raised:
        provider.apply_changes(zone, [Change("create", None, ours, "ours"),
                                      Change("create", None, blocked, "blocked")])
    assert "Conflicts with pre-existing RRset" in raised.value.provider_message
    assert pdns_server.zone(zone)["serial"] == serial
    assert provider.list_records(zone, {f"news.{zone}"}) == []


def test_a_wrong_api_key_is_an_auth_error_naming_the_option(pdns_server, zone):
    with pytest.raises(AuthError, match="API key was not accepted") as raised:
        run_record_set(params(pdns_server, f"news.{zone}", powerdns_api_key="wrong"),
                       check_mode=True)
    assert "powerdns_api_key" in raised.value.hint


def test_a_zone_the_server_does_not_hold_is_named(pdns_server):
    with pytest.raises(NotFoundError, match="no such zone"):
        run_record_set(params(pdns_server, "news.absent.test", zone="absent.test"),
                       check_mode=True)


def test_the_api_key_and_url_come_from_the_environment_when_not_set(pdns_server, zone,
                                                                    monkeypatch):
    monkeypatch.setenv("PDNS_SERVER_URL", pdns_server.api_url)
    monkeypatch.setenv("PDNS_API_KEY", pdns_server.api_key)
    given = params(pdns_server, f"news.{zone}", powerdns_api_url=None, powerdns_api_key=None)
    assert run_record_set(given, check_mode=True)["zone"] == zone


@pytest.mark.parametrize("stored", ["one string", "split elsewhere"])
def test_a_long_dkim_stored_in_another_split_is_unchanged(pdns_server, zone, stored):
    """PowerDNS keeps TXT content verbatim: one quoted string over 255 bytes (served split at
    255), or strings split where another tool split them. Either reads as the same value."""
    domain = f"news.{zone}"
    content = (f'"{DKIM_VALUE}"' if stored == "one string"
               else " ".join(f'"{DKIM_VALUE[i:i + 100]}"' for i in range(0, len(DKIM_VALUE), 100)))
    pdns_server.patch(zone, [{"name": f"s1._domainkey.{domain}.", "type": "TXT", "ttl": 300,
                              "changetype": "REPLACE",
                              "records": [{"content": content, "disabled": False}]}])
    planned = run_record_set(params(pdns_server, domain), check_mode=True)
    dkim = next(r for r in planned["records"] if r["purpose"] == "dkim")
    assert dkim["action"] == "unchanged"


def test_an_ansible_module_run_at_vvvv_never_shows_the_api_key(pdns_server, zone, tmp_path):
    """``ansible localhost -m dns_record_set`` as a module: AnsiballZ must carry the provider
    file, and the key, an option with no_log, is masked wherever Ansible shows arguments."""
    args = {key: value for key, value in params(pdns_server, f"news.{zone}").items()
            if value is not None}
    run = run_module("dns_record_set", args, tmp_path, "-vvvv", in_process=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0 and '"changed": true' in output, output[-3000:]
    assert pdns_server.api_key not in output
