"""dns_record_set and dns_propagation against a real BIND9 over RFC 2136 with TSIG."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import dns.update
import pytest
from ansible.module_utils.mailops.dns.propagation import wait_for_records
from ansible.module_utils.mailops.dns.record_set import run_record_set
from ansible.module_utils.mailops.dns.records import make_record
from ansible.module_utils.mailops.dns.resolver import parse_nameserver
from ansible.module_utils.mailops.errors import AuthError, WaitTimeoutError

pytestmark = pytest.mark.bind

REPO = Path(__file__).resolve().parents[2]
DKIM_VALUE = "k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 9 + "IDAQAB"
SPF_VALUE = "v=spf1 include:spf.sendcloud.org ~all"
DMARC_VALUE = "v=DMARC1; p=none; rua=mailto:dmarc@sendcloud.example"


def sendcloud_records(domain: str) -> list[dict]:
    return [
        {"type": "TXT", "name": domain, "value": SPF_VALUE, "purpose": "spf"},
        {"type": "TXT", "name": f"s1._domainkey.{domain}", "value": DKIM_VALUE, "purpose": "dkim"},
        {"type": "TXT", "name": f"_dmarc.{domain}", "value": DMARC_VALUE, "purpose": "dmarc"},
        {
            "type": "MX",
            "name": domain,
            "value": "mx.sendcloud.net",
            "priority": 10,
            "purpose": "mx",
        },
    ]


def module_params(bind_server, domain: str, **overrides) -> dict:
    params = {
        "tenant": "acme",
        "zone": None,
        "records": sendcloud_records(domain),
        "ttl": 300,
        "provider": "rfc2136",
        "on_conflict": "keep_and_fail",
        "nameservers": [bind_server.nameserver],
        "rfc2136_server": bind_server.host,
        "rfc2136_port": bind_server.port,
        "rfc2136_key_name": bind_server.key_name,
        "rfc2136_key_secret": bind_server.key_secret,
        "rfc2136_key_algorithm": bind_server.key_algorithm,
    }
    params.update(overrides)
    return params


def seed(bind_server, zone: str, *lines: tuple[str, str, str]) -> None:
    """Add foreign records (name, type, presentation rdata) with a direct signed UPDATE."""
    update = dns.update.UpdateMessage(
        zone + ".", keyring=bind_server.keyring(), keyname=bind_server.key_name
    )
    for name, rdtype, rdata in lines:
        update.add(name + ".", 300, rdtype, rdata)
    response = dns.query.tcp(update, bind_server.host, port=bind_server.port, timeout=5)
    assert response.rcode() == 0


def served_txt_strings(bind_server, name: str) -> list[tuple[bytes, ...]]:
    query = dns.message.make_query(name + ".", "TXT")
    response = dns.query.tcp(query, bind_server.host, port=bind_server.port, timeout=5)
    return [tuple(rdata.strings) for rrset in response.answer for rdata in rrset]


def soa_serial(bind_server, zone: str) -> int:
    query = dns.message.make_query(zone + ".", "SOA")
    response = dns.query.tcp(query, bind_server.host, port=bind_server.port, timeout=5)
    return response.answer[0][0].serial


def test_creates_the_four_records_with_a_long_dkim_split_into_strings(bind_server):
    result = run_record_set(module_params(bind_server, "news.example.test"), check_mode=False)

    assert result["zone"] == "example.test"
    assert result["counts"] == {"create": 4, "update": 0, "delete": 0, "unchanged": 0}
    dkim_strings = served_txt_strings(bind_server, "s1._domainkey.news.example.test")
    assert len(dkim_strings) == 1 and len(dkim_strings[0]) == 2
    assert b"".join(dkim_strings[0]).decode() == DKIM_VALUE
    assert served_txt_strings(bind_server, "news.example.test") == [(SPF_VALUE.encode(),)]


def test_second_run_is_unchanged_and_sends_no_update(bind_server):
    params = module_params(bind_server, "again.example.test")
    run_record_set(params, check_mode=False)
    serial_after_first_run = soa_serial(bind_server, "example.test")

    second = run_record_set(params, check_mode=False)

    assert second["changed"] is False
    assert second["counts"]["unchanged"] == 4
    assert soa_serial(bind_server, "example.test") == serial_after_first_run


def test_check_mode_predicts_apply_and_writes_nothing(bind_server):
    params = module_params(bind_server, "plan.bind-b.test")
    serial_before = soa_serial(bind_server, "bind-b.test")

    planned = run_record_set(params, check_mode=True)

    assert planned["changed"] is True and planned["status"] == "planned"
    assert soa_serial(bind_server, "bind-b.test") == serial_before
    applied = run_record_set(params, check_mode=False)
    assert applied["changes"] == planned["changes"]


def test_foreign_records_at_the_same_names_stay_untouched(bind_server):
    domain = "news.bind-a.test"
    seed(
        bind_server,
        "bind-a.test",
        (domain, "TXT", '"google-site-verification=abc123"'),
        (domain, "A", "192.0.2.10"),
        (f"_dmarc.{domain}", "TXT", '"not-a-dmarc-record"'),
    )
    before = bind_server.axfr("bind-a.test")

    result = run_record_set(module_params(bind_server, domain), check_mode=False)

    after = bind_server.axfr("bind-a.test")
    ours = {line for line in after - before}
    assert before <= after
    assert len(ours) == 4
    assert result["counts"]["delete"] == 0


def test_existing_spf_is_merged_not_duplicated(bind_server):
    domain = "merge.bind-a.test"
    seed(bind_server, "bind-a.test", (domain, "TXT", '"v=spf1 include:_spf.google.com -all"'))

    result = run_record_set(module_params(bind_server, domain), check_mode=False)

    spf_action = [r for r in result["records"] if r["purpose"] == "spf"][0]["action"]
    assert spf_action == "update"
    served = [b"".join(strings).decode() for strings in served_txt_strings(bind_server, domain)]
    assert served == ["v=spf1 include:_spf.google.com include:spf.sendcloud.org -all"]


def served_ttls(bind_server, name: str, rdtype: str) -> list[int]:
    query = dns.message.make_query(name + ".", rdtype)
    response = dns.query.tcp(query, bind_server.host, port=bind_server.port, timeout=5)
    return [rrset.ttl for rrset in response.answer]


def test_check_mode_predicts_the_ttl_of_an_rrset_shared_with_foreign_records(bind_server):
    domain = "ttl-join.bind-a.test"
    seed(bind_server, "bind-a.test", (domain, "MX", "5 mail.other.example."))
    params = module_params(bind_server, domain, ttl=600, on_conflict="keep_and_warn")

    planned = run_record_set(params, check_mode=True)
    applied = run_record_set(params, check_mode=False)

    mx_change = [c for c in planned["changes"] if c["type"] == "MX"][0]
    assert mx_change["after"]["ttl"] == 300 and "TTL 300 of the RRset" in mx_change["reason"]
    dkim_change = [c for c in planned["changes"] if c["purpose"] == "dkim"][0]
    assert dkim_change["after"]["ttl"] == 600
    assert applied["changes"] == planned["changes"]
    assert served_ttls(bind_server, domain, "MX") == [300]  # the foreign MX was not re-timed
    assert served_ttls(bind_server, f"s1._domainkey.{domain}", "TXT") == [600]


def test_zone_of_a_delegated_subzone_is_found_by_soa_lookup(bind_server):
    result = run_record_set(module_params(bind_server, "mail.sub.example.test"), check_mode=True)

    assert result["zone"] == "sub.example.test"


def test_propagation_wait_succeeds_and_reports_per_nameserver(bind_server):
    domain = "wait.bind-b.test"
    params = module_params(bind_server, domain)
    run_record_set(params, check_mode=False)
    records = [
        make_record(
            r["name"], r["type"], r["value"], priority=r.get("priority"), purpose=r["purpose"]
        )
        for r in params["records"]
    ]

    result = wait_for_records(records, [parse_nameserver(bind_server.nameserver)], timeout=10)

    report = result.to_dict()
    assert report["complete"] is True
    assert report["nameservers"][0]["nameserver"] == bind_server.nameserver
    assert all(check["ok"] for check in report["nameservers"][0]["records"])


def test_propagation_timeout_names_the_missing_record(bind_server):
    missing = make_record("_dmarc.nowhere.bind-b.test", "TXT", "v=DMARC1; p=none", purpose="dmarc")

    with pytest.raises(WaitTimeoutError) as caught:
        wait_for_records(
            [missing], [parse_nameserver(bind_server.nameserver)], timeout=0.6, max_interval=0.2
        )

    assert "_dmarc.nowhere.bind-b.test" in str(caught.value)
    assert bind_server.nameserver in str(caught.value)
    assert "serves nothing" in str(caught.value)


def run_ansible_module(args: dict, workdir: Path, *options: str, in_process: bool) -> dict:
    """``ansible localhost -m dns_record_set`` with the repo's library and module_utils, and
    with its action plugins (the module's code in Ansible's worker) or without (a module)."""
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_CONFIG"}   # no repo vault ids
    env.update(
        ANSIBLE_LIBRARY=str(REPO / "library"),
        ANSIBLE_MODULE_UTILS=str(REPO / "module_utils"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="0",
    )
    if in_process:
        env["ANSIBLE_ACTION_PLUGINS"] = str(REPO / "action_plugins")
    command = [
        str(Path(sys.executable).parent / "ansible"),
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-m",
        "dns_record_set",
        "-a",
        json.dumps(args),
        *options,
    ]
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, cwd=workdir
    )
    _, _, result_json = completed.stdout.partition(" => ")
    assert result_json, completed.stdout + completed.stderr
    result_json, _, after_result = result_json.partition("\n}\n")
    return {**json.loads(result_json + "\n}"), "_stdout": completed.stdout}


@pytest.mark.parametrize("in_process, domain", [(False, "ansible.bind-b.test"),
                                                (True, "worker.bind-b.test")])
def test_ansible_module_run_creates_then_is_idempotent(bind_server, tmp_path, in_process, domain):
    args = module_params(bind_server, domain)
    args = {key: value for key, value in args.items() if value is not None}

    planned = run_ansible_module(args, tmp_path, "--check", "--diff", in_process=in_process)
    first = run_ansible_module(args, tmp_path, in_process=in_process)
    second = run_ansible_module(args, tmp_path, in_process=in_process)

    assert planned["changed"] is True and "+++ after: zone bind-b.test" in planned["_stdout"]
    assert planned["changes"] == first["changes"]
    assert first.get("failed") is not True, first.get("msg")
    assert first["changed"] is True and first["counts"]["create"] == 4
    assert second["changed"] is False
    assert bind_server.key_secret not in json.dumps(first)


def test_wrong_tsig_secret_is_an_auth_error_naming_key_and_server(bind_server):
    wrong_secret = base64.b64encode(b"not-the-right-secret-at-all-1234").decode()
    params = module_params(bind_server, "auth.bind-b.test", rfc2136_key_secret=wrong_secret)

    with pytest.raises(AuthError) as caught:
        run_record_set(params, check_mode=False)

    message = str(caught.value)
    assert bind_server.key_name in message and bind_server.nameserver in message
    assert wrong_secret not in message
