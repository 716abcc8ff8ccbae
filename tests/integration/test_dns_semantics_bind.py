"""The sending-domain stage against a zone that already holds records, on a real BIND9 (RFC 2136,
TSIG), with the SendCloud emulator verifying over DNS at that BIND (issue 21, points 1-5).

Each test has a SendCloud account of its own (5 domains per account) and a sending domain of
its own below ``bind-b.test``.
"""

from __future__ import annotations

import itertools
from typing import Any

import dns.query
import dns.update
import pytest
from ansible.module_utils.mailops import audit
from ansible.module_utils.mailops.gitops_plan import needs_apply
from ansible.module_utils.mailops.report import compose
from ansible.module_utils.mailops.stages.sending_domain import run_sending_domain

from tests.helpers.sandbox_fixture import _http, default_seed, start_sandbox
from tests.integration.test_rfc2136_bind import seed, served_txt_strings

pytestmark = pytest.mark.bind

ZONE = "bind-b.test"
SENDCLOUD_DMARC = "v=DMARC1; p=none; rua=mailto:dmarc@sendcloud.org"
ACCOUNTS = 8
_account_numbers = itertools.count()


@pytest.fixture(scope="module")
def sendcloud(tmp_path_factory, bind_server):
    """The sandbox, its SendCloud emulator checking ``bind-b.test`` at the BIND server."""
    seeded = default_seed()
    template = seeded["sendcloud"]["accounts"][0]   # domestic, layout domestic (dmarc bit 32)
    seeded["sendcloud"]["accounts"] += [
        dict(template, api_user=f"dns{n}_admin", api_key=f"{n + 1:032x}") for n in range(ACCOUNTS)]
    handle = start_sandbox(tmp_path_factory.mktemp("dns-semantics"), seeded)
    route_to_bind(handle, bind_server)
    yield handle
    handle.stop()


def route_to_bind(handle, bind_server) -> None:
    _http("PUT", f"{handle.sendcloud_url}/_sandbox/sendcloud/dns-routes",
          {"zone": ZONE, "host": bind_server.host, "port": bind_server.port})


def reset(handle, bind_server) -> None:
    """A sandbox as seeded (the platform binds acme to no domain yet), still checking at BIND."""
    handle.reset()
    route_to_bind(handle, bind_server)


def stage_params(sendcloud, bind_server, domain: str, on_conflict: str,
                 **dns: Any) -> dict[str, Any]:
    number = next(_account_numbers)
    return {
        "sendcloud": {"edition": "domestic", "api_base": f"{sendcloud.sendcloud_url}/apiv2",
                      "api_user": f"dns{number}_admin", "api_key": f"{number + 1:032x}",
                      "timeout": 10.0},
        "domain": {"name": domain, "click_tracking": False, "verify_layout": "auto",
                   "verify_timeout": 30.0, "verify_interval": 0.5},
        "dns": {"tenant": domain.split(".")[0], "zone": ZONE, "ttl": 300,
                "provider": "rfc2136", "on_conflict": on_conflict,
                "nameservers": [bind_server.nameserver],
                "dnspod_secret_id": None, "dnspod_secret_key": None,
                "dnspod_api_endpoint": "dnspod.tencentcloudapi.com", "dnspod_api_scheme": "https",
                "rfc2136_server": bind_server.host, "rfc2136_port": bind_server.port,
                "rfc2136_key_name": bind_server.key_name,
                "rfc2136_key_secret": bind_server.key_secret,
                "rfc2136_key_algorithm": bind_server.key_algorithm,
                "manual_change_dir": None, "propagation_timeout": 30.0, **dns},
        "wait": True,
    }


def audited(params: dict[str, Any], report: dict[str, Any] | None) -> dict[str, Any]:
    """The audit's findings for the tenant: its stage planned as playbooks/audit.yml plans it."""
    plan = run_sending_domain(dict(params, dns=dict(params["dns"], conflicts_as_findings=True),
                                   wait=False), True)
    return audit.tenant_findings("t", {"sending_domain": plan}, report)


def signed_update(bind_server) -> dns.update.UpdateMessage:
    return dns.update.UpdateMessage(ZONE + ".", keyring=bind_server.keyring(),
                                    keyname=bind_server.key_name)


def send(bind_server, update: dns.update.UpdateMessage) -> None:
    response = dns.query.tcp(update, bind_server.host, port=bind_server.port, timeout=5)
    assert response.rcode() == 0


def outcome(result: dict[str, Any], purpose: str) -> dict[str, Any]:
    return next(r for r in result["dns"]["records"] if r["purpose"] == purpose)


# --- point 1: keep_and_warn can succeed ----------------------------------------------------------
def test_a_kept_foreign_dmarc_record_is_not_waited_for_and_the_run_succeeds(sendcloud, bind_server):
    domain = f"keep.{ZONE}"
    seed(bind_server, ZONE, (f"_dmarc.{domain}", "TXT", '"v=DMARC1; p=reject"'))
    params = stage_params(sendcloud, bind_server, domain, "keep_and_warn",
                          propagation_timeout=5.0)

    applied = run_sending_domain(params, False)   # before: WaitTimeoutError on _dmarc

    dmarc = outcome(applied, "dmarc")
    assert (dmarc["action"], dmarc["kept"]["value"], dmarc["by_policy"]) == (
        "kept", "v=DMARC1; p=reject", True)
    assert [r["purpose"] for r in applied["records_to_await"]] == ["spf", "dkim", "mx"]
    assert served_txt_strings(bind_server, f"_dmarc.{domain}") == [(b"v=DMARC1; p=reject",)]
    # the emulator counts any one DMARC record (the reference documents no value to match)
    assert applied["domain"]["items"] == {"dkim": True, "spf": True, "mx": True, "dmarc": True}
    report = compose(applied, {}, {}, None, [])
    assert [(k["name"], k["kept_value"], k["verified"]) for k in report["kept"]] == [
        (f"_dmarc.{domain}", "v=DMARC1; p=reject", True)]

    again = run_sending_domain(params, False)
    assert again["changed"] is False and again["propagation"] is None
    assert not needs_apply({"sending_domain": again})
    findings = audited(params, report)
    assert findings["drift"] == []
    assert findings["kept"] == [f"TXT _dmarc.{domain} 'v=DMARC1; p=reject' (dns_on_conflict: "
                                "keep_and_warn); SendCloud verifies dmarc: yes"]


def test_the_audit_counts_a_kept_record_as_drift_only_when_it_changes_or_goes(sendcloud,
                                                                              bind_server):
    domain = f"keep-drift.{ZONE}"
    seed(bind_server, ZONE, (f"_dmarc.{domain}", "TXT", '"v=DMARC1; p=reject"'))
    params = stage_params(sendcloud, bind_server, domain, "keep_and_warn")
    report = compose(run_sending_domain(params, False), {}, {}, None, [])
    assert audited(params, report)["drift"] == []

    change = signed_update(bind_server)
    change.delete(f"_dmarc.{domain}.", "TXT", '"v=DMARC1; p=reject"')
    change.add(f"_dmarc.{domain}.", 300, "TXT", '"v=DMARC1; p=quarantine"')
    send(bind_server, change)
    assert audited(params, report)["drift"] == [
        f"TXT _dmarc.{domain}: the kept foreign record changed since the last run: was "
        "'v=DMARC1; p=reject', now 'v=DMARC1; p=quarantine'"]

    gone = signed_update(bind_server)
    gone.delete(f"_dmarc.{domain}.", "TXT")
    send(bind_server, gone)
    drift = audited(params, report)["drift"]
    assert f"TXT _dmarc.{domain}: the kept foreign record 'v=DMARC1; p=reject' is gone" in drift
    assert any(item.startswith(f"dns_record TXT _dmarc.{domain}: would create") for item in drift)


# --- point 2: a pre-staged record equal to SendCloud's is adopted ---------------------------------
def test_a_pre_staged_dmarc_record_equal_to_sendclouds_is_adopted(sendcloud, bind_server):
    domain = f"staged.{ZONE}"
    seed(bind_server, ZONE, (f"_dmarc.{domain}", "TXT", f'"{SENDCLOUD_DMARC}"'))
    params = stage_params(sendcloud, bind_server, domain, "keep_and_fail")

    planned = run_sending_domain(params, True)   # before: ConflictError "a different DMARC record"

    dmarc = outcome(planned, "dmarc")
    assert dmarc["action"] == "decided_at_apply"
    assert dmarc["reason"].startswith("may conflict: decided at apply")
    applied = run_sending_domain(params, False)
    assert outcome(applied, "dmarc")["action"] == "unchanged"
    assert not [c for c in applied["dns"]["changes"] if c["purpose"] == "dmarc"]
    assert applied["domain"]["verified"] is True
    assert served_txt_strings(bind_server, f"_dmarc.{domain}") == [(SENDCLOUD_DMARC.encode(),)]


def test_a_pre_staged_dmarc_record_with_another_policy_still_stops_the_plan(sendcloud,
                                                                           bind_server):
    from ansible.module_utils.mailops.errors import ConflictError

    domain = f"staged-reject.{ZONE}"
    seed(bind_server, ZONE, (f"_dmarc.{domain}", "TXT", '"v=DMARC1; p=reject"'))
    params = stage_params(sendcloud, bind_server, domain, "keep_and_fail")
    with pytest.raises(ConflictError, match="a different DMARC record"):
        run_sending_domain(params, True)


# --- point 4: the audit plans each tenant with its own policy ------------------------------------
def test_under_replace_the_audit_reports_the_overwrite_not_a_kept_record(sendcloud, bind_server):
    domain = f"replace.{ZONE}"
    params = stage_params(sendcloud, bind_server, domain, "replace")
    report = compose(run_sending_domain(params, False), {}, {}, None, [])
    change = signed_update(bind_server)
    change.delete(f"_dmarc.{domain}.", "TXT")
    change.add(f"_dmarc.{domain}.", 300, "TXT", '"v=DMARC1; p=reject"')
    send(bind_server, change)

    findings = audited(params, report)

    assert findings["kept"] == [] and not any("kept" in item for item in findings["drift"])
    assert any(item.startswith(f"dns_record TXT _dmarc.{domain}: would update (replace the "
                               "different DMARC record)") for item in findings["drift"])


# --- point 3: one SPF include matching rule with the SendCloud emulator ---------------------------
def test_an_spf_include_written_another_way_is_rewritten_and_then_verifies(sendcloud, bind_server):
    domain = f"spf-case.{ZONE}"
    seed(bind_server, ZONE, (domain, "TXT", '"v=spf1 ip4:192.0.2.1 include:SPF.SendCloud.ORG. ~all"'))
    params = stage_params(sendcloud, bind_server, domain, "keep_and_fail")
    params["domain"]["verify_timeout"] = 10.0

    planned = run_sending_domain(params, True)
    spf_change = next(c for c in planned["dns"]["changes"] if c["purpose"] == "spf")
    assert spf_change["reason"].startswith("rewrite include:SPF.SendCloud.ORG. as "
                                           "include:spf.sendcloud.org")
    applied = run_sending_domain(params, False)   # before: nothing written, spf never verified

    assert applied["domain"]["items"]["spf"] is True
    assert served_txt_strings(bind_server, domain) == [
        (b"v=spf1 ip4:192.0.2.1 include:spf.sendcloud.org ~all",)]
    assert run_sending_domain(params, False)["changed"] is False


# --- point 5: DNS credentials checked when nothing is written -------------------------------------
def soa_serial(bind_server) -> int:
    from tests.integration.test_rfc2136_bind import soa_serial as serial_of

    return serial_of(bind_server, ZONE)


def test_a_wrong_tsig_secret_fails_a_run_that_writes_nothing_when_asked(sendcloud, bind_server):
    import base64

    from ansible.module_utils.mailops.errors import AuthError

    domain = f"creds.{ZONE}"
    params = stage_params(sendcloud, bind_server, domain, "keep_and_fail")
    run_sending_domain(params, False)
    wrong = base64.b64encode(b"not the server's key, 32 bytes!!").decode()
    rotated = dict(params, dns=dict(params["dns"], rfc2136_key_secret=wrong))
    assert run_sending_domain(rotated, True)["dns"]["changed"] is False   # reads are unsigned

    with pytest.raises(AuthError, match="rejected the TSIG signature of key"):
        run_sending_domain(dict(rotated, dns=dict(rotated["dns"], check_credentials="fail")), True)
    findings = audit.tenant_findings("t", {"sending_domain": run_sending_domain(
        dict(rotated, dns=dict(rotated["dns"], check_credentials="report")), True)})
    assert any(item.startswith("the DNS credentials do not authenticate: ")
               for item in findings["drift"]), findings["drift"]


def test_the_credential_check_writes_nothing_and_takes_the_algorithm_in_any_case(sendcloud,
                                                                               bind_server):
    domain = f"creds-ok.{ZONE}"
    params = stage_params(sendcloud, bind_server, domain, "keep_and_fail",
                          rfc2136_key_algorithm="HMAC-SHA256")   # before: "not supported"
    run_sending_domain(params, False)
    serial = soa_serial(bind_server)
    checked = run_sending_domain(dict(params, dns=dict(params["dns"], check_credentials="fail")),
                                 False)
    assert checked["dns"]["credentials"] == {"ok": True}
    assert soa_serial(bind_server) == serial


def rfc2136_tenant(workdir, bind_server, domain: str, key_secret: str,
                   on_conflict: str = "keep_and_fail") -> tuple[str, ...]:
    """Playbook arguments for acme moved onto the BIND server (provider rfc2136)."""
    import yaml

    from tests.helpers.playbook import REPO

    extra = workdir / "rfc2136.yml"
    extra.write_text(yaml.safe_dump({"all": {"hosts": {"acme": {
        "sending_domain": domain, "sender_address": f"marketing@{domain}",
        "dns_on_conflict": on_conflict,
        "dns_provider": "rfc2136", "dns_zone": ZONE, "dns_nameservers": [bind_server.nameserver],
        "rfc2136_server": bind_server.host, "rfc2136_port": bind_server.port,
        "rfc2136_key_name": bind_server.key_name, "rfc2136_key_secret": key_secret,
        "credentials_vault_password_file": str(REPO / "inventories/sandbox/.vault_pass"),
    }}}}))
    return ("-i", "inventories/sandbox", "-i", str(extra), "-l", "acme")


@pytest.mark.slow
def test_the_audit_and_a_plan_asked_to_check_keys_refuse_a_wrong_tsig_secret(sendcloud,
                                                                            bind_server, tmp_path):
    import base64
    import json

    from tests.helpers.playbook import run_playbook

    reset(sendcloud, bind_server)
    domain = f"tsig-audit.{ZONE}"
    right = rfc2136_tenant(tmp_path, bind_server, domain, bind_server.key_secret)
    assert run_playbook(sendcloud, tmp_path, *right).returncode == 0
    assert run_playbook(sendcloud, tmp_path, *right, playbook="playbooks/audit.yml").returncode == 0
    serial = soa_serial(bind_server)

    wrong = rfc2136_tenant(tmp_path, bind_server, domain,
                           base64.b64encode(b"a rotated key, not the server's").decode())
    assert run_playbook(sendcloud, tmp_path, *wrong, "--check").returncode == 0   # not asked
    asked = run_playbook(sendcloud, tmp_path, *wrong, "--check", "-e", "preflight_check_keys=true")
    assert asked.returncode != 0 and "rejected the TSIG signature of key" in asked.output
    audited = run_playbook(sendcloud, tmp_path, *wrong, playbook="playbooks/audit.yml")
    assert audited.returncode != 0   # before: 0, the audit's reads being unsigned
    drift = json.loads((tmp_path / "reports" / "audit" / "audit.json").read_text())[
        "tenants"]["acme"]["drift"]
    assert any(item.startswith("the DNS credentials do not authenticate: ") for item in drift), drift
    assert soa_serial(bind_server) == serial   # the checks wrote nothing


@pytest.mark.slow
def test_onboarding_with_keep_and_warn_past_a_foreign_dmarc_on_bind_and_a_green_audit(
        sendcloud, bind_server, tmp_path):
    """The issue's scenario end to end: before, onboard.yml failed after the whole propagation
    timeout waiting for the DMARC record it chose not to write, and the audit always exited 2."""
    import json

    from tests.helpers.playbook import run_playbook

    reset(sendcloud, bind_server)
    domain = f"keep-play.{ZONE}"
    seed(bind_server, ZONE, (f"_dmarc.{domain}", "TXT", '"v=DMARC1; p=reject"'))
    args = rfc2136_tenant(tmp_path, bind_server, domain, bind_server.key_secret, "keep_and_warn")
    onboarded = run_playbook(sendcloud, tmp_path, *args, "-e", "dns_propagation_timeout=20")
    assert onboarded.returncode == 0, onboarded.output[-3000:]
    assert "- kept: TXT _dmarc." in (tmp_path / "plans" / "latest-apply" / "plan.md").read_text()
    report = json.loads((tmp_path / "reports" / "acme.json").read_text())
    assert [k["kept_value"] for k in report["kept"]] == ["v=DMARC1; p=reject"]
    audit_file = tmp_path / "reports" / "audit" / "audit.json"
    assert run_playbook(sendcloud, tmp_path, *args, playbook="playbooks/audit.yml").returncode == 0
    assert json.loads(audit_file.read_text())["tenants"]["acme"]["kept"]

    change = signed_update(bind_server)
    change.delete(f"_dmarc.{domain}.", "TXT")
    change.add(f"_dmarc.{domain}.", 300, "TXT", '"v=DMARC1; p=quarantine"')
    send(bind_server, change)
    assert run_playbook(sendcloud, tmp_path, *args, playbook="playbooks/audit.yml").returncode != 0
    assert json.loads(audit_file.read_text())["tenants"]["acme"]["drift"] == [
        f"TXT _dmarc.{domain}: the kept foreign record changed since the last run: was "
        "'v=DMARC1; p=reject', now 'v=DMARC1; p=quarantine'"]
