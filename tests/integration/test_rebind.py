"""rebind.yml on the sandbox: guards, zero sending gap, resumability, audit — real playbook runs."""

from __future__ import annotations

import json
import os
import pwd
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.helpers import reliability as rel
from tests.helpers.playbook import run_playbook, tenants
from tests.helpers.sandbox_fixture import default_seed, start_sandbox

pytestmark = pytest.mark.slow


def window(opens_in_hours: float, hours: float) -> str:
    """A change window relative to the real clock (a real rebind runs at the real time), as
    extra vars."""
    start = datetime.now(UTC) + timedelta(hours=opens_in_hours)
    end = start + timedelta(hours=hours)
    return json.dumps({"rebind_window": {
        "start_day": start.strftime("%A").lower(), "start": start.strftime("%H:%M"),
        "end_day": end.strftime("%A").lower(), "end": end.strftime("%H:%M"), "timezone": "UTC"}})


IN_WINDOW = window(-1, 4)
OUTSIDE_WINDOW = window(6, 1)
REHEARSED_OUTSIDE = "rebind_now=2026-11-26T10:00:00+08:00"   # a Thursday morning in Shanghai


def rebind(sandbox, workdir, tenant: str, new_domain: str, sender: str, *extra: str,
           env: dict[str, str] | None = None):
    # rebind_retire_after=0: the old domain retires in the run that switches (a test of the grace
    # period sets its own)
    return run_playbook(sandbox, workdir, "-l", tenant, "-e", f"rebind_tenants={tenant}",
                        "-e", f"sending_domain={new_domain}", "-e", "rebind_retire_after=0",
                        "-e", f"sender_address={sender}@{new_domain}", *extra,
                        playbook="rebind.yml",
                        extra_env={"MAILOPS_AUDIT_LOG": str(workdir / "audit.jsonl"),
                                   "MAILOPS_BACKUP_DIR": str(workdir / "backups"), **(env or {})})


def binding_history(sandbox, tenant: str) -> dict:
    token = sandbox.seed["platform"]["tokens"][tenant]
    return requests.get(f"{sandbox.platform_url}/api/v1/tenants/{tenant}/binding/history",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10).json()


def served(sandbox, zone: str, host: str, rtype: str) -> list[str]:
    result = sandbox.dnspod_call(zone, "DescribeRecordList", {"Domain": zone, "Limit": 3000})
    return [r["Value"] for r in result["RecordList"] if r["Name"] == host and r["Type"] == rtype]


def globex_key(sandbox) -> str:
    return next(a["api_key"] for a in sandbox.seed["sendcloud"]["accounts"]
                if a["api_user"] == "globex_admin")


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.requests() if r["kind"] == "write"]


def audit(workdir) -> list[dict]:
    return [json.loads(line) for line in (workdir / "audit.jsonl").read_text().splitlines()]


@pytest.fixture
def onboarded(sandbox, tmp_path):
    sandbox.reset()
    assert run_playbook(sandbox, tmp_path).returncode == 0
    sandbox.clear_requests()
    return tmp_path


def test_a_domestic_rebind_switches_with_zero_gap_and_retires_the_old_records(sandbox, onboarded):
    done = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                  "-e", "change_ticket=CHG-42", "-e", IN_WINDOW)
    assert done.returncode == 0, done.output[-3000:]
    history = binding_history(sandbox, "acme")
    assert history["sending_gap_seconds"] == 0
    assert [h["sending_domain"] for h in history["history"]] == ["news.acme.example", "mail2.acme.example"]
    assert served(sandbox, "acme.example", "news", "MX") == []
    assert served(sandbox, "acme.example", "mail2", "MX") == ["mx.sendcloud.org."]
    assert served(sandbox, "acme.example", "@", "TXT") == ["google-site-verification=acme-keep-me"]
    outcomes = [(e["outcome"], e["ticket"], e["tenants"]) for e in audit(onboarded)]
    assert outcomes == [("started", "CHG-42", ["acme"]), ("switched", "CHG-42", ["acme"]),
                        ("retiring", "CHG-42", ["acme"]), ("completed", "CHG-42", ["acme"])]
    backup = json.loads(next((onboarded / "backups" / "acme").iterdir()).read_text())
    assert backup["sendcloud_domain"]["name"] == "news.acme.example"
    assert {r["type"] for r in backup["records_at_dns_provider"]} == {"TXT", "MX"}
    assert sorted(u["name"] for u in backup["api_users"]) == ["acme_batch", "acme_trigger"]
    assert all(u["domain"] == "news.acme.example" for u in backup["api_users"])
    report = json.loads((onboarded / "reports" / "acme.json").read_text())
    assert report["status"] == "verified and bound"
    assert report["domain"]["name"] == report["binding"]["sending_domain"] == "mail2.acme.example"
    assert {u["name"]: u["key_stored"] for u in report["api_users"]} == {
        "acme_batch": True, "acme_trigger": True}
    index = json.loads((onboarded / "reports" / "index.json").read_text())
    assert {t["tenant_id"] for t in index["tenants"]} == {"acme", "globex", "initech"}


def test_the_old_domain_is_served_through_its_grace_period_then_retired(sandbox, onboarded):
    """rebind_retire_after: the old domain's SPF, DKIM and MX stay served after the switch, for
    mail in flight; plan, report and audit say until when; retire.yml retires it once due, in or
    out of the window, and --check with a rehearsed time says what is due."""
    done = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                  "-e", "change_ticket=CHG-42", "-e", IN_WINDOW, "-e", "rebind_retire_after=120s")
    assert done.returncode == 0, done.output[-3000:]
    assert binding_history(sandbox, "acme")["history"][-1]["sending_domain"] == "mail2.acme.example"
    assert served(sandbox, "acme.example", "news", "MX") == ["mx.sendcloud.org."]
    switched = audit(onboarded)[-1]
    assert switched["outcome"] == "switched"
    serves_until = datetime.fromisoformat(switched["serves_until"])
    said = f"old domain news.acme.example serves until {serves_until.isoformat()}"
    report = json.loads((onboarded / "reports" / "acme.json").read_text())
    assert report["retiring"] == {"old_domain": "news.acme.example", "serves_until": serves_until.isoformat()}
    assert said in (onboarded / "reports" / "acme.md").read_text()
    moved = ("-l", "acme", "-e", "sending_domain=mail2.acme.example",
             "-e", "sender_address=marketing@mail2.acme.example")
    env = {"MAILOPS_AUDIT_LOG": str(onboarded / "audit.jsonl")}
    planned = run_playbook(sandbox, onboarded, *moved, "--check", extra_env=env)
    assert planned.returncode == 0 and planned.plan("check")["retiring"]["acme"]["old_domain"] == "news.acme.example"
    audited = run_playbook(sandbox, onboarded, *moved, playbook="playbooks/audit.yml", extra_env=env)
    assert audited.returncode == 0, audited.output[-3000:]   # served on purpose: not drift
    assert said in (onboarded / "reports" / "audit" / "audit.md").read_text()
    sandbox.clear_requests()
    for rehearsed, what in ((serves_until - timedelta(seconds=10), "until then nothing is done"),
                            (serves_until + timedelta(seconds=1), "it is due: this run retires it")):
        check = run_playbook(sandbox, onboarded, *moved, "-e", f"rebind_now={rehearsed.isoformat()}",
                             "--check", playbook="retire.yml", extra_env=env)
        assert check.returncode == 0 and f"{said}; {what}" in " ".join(check.output.split()), check.output[-3000:]
    assert writes(sandbox) == []
    time.sleep(max(0.0, (serves_until - datetime.now(UTC)).total_seconds()) + 1)
    retired = run_playbook(sandbox, onboarded, *moved, "-e", OUTSIDE_WINDOW, playbook="retire.yml",
                           extra_env=env)
    assert retired.returncode == 0, retired.output[-3000:]
    assert served(sandbox, "acme.example", "news", "MX") == []
    assert served(sandbox, "acme.example", "mail2", "MX") == ["mx.sendcloud.org."]
    assert [e["outcome"] for e in audit(onboarded)][-3:] == ["switched", "retiring", "completed"]
    assert audit(onboarded)[-1]["ticket"] == "CHG-42"
    report = json.loads((onboarded / "reports" / "acme.json").read_text())
    assert "retiring" not in report and "serves until" not in (onboarded / "reports" / "acme.md").read_text()


def test_the_api_users_keep_their_keys_across_the_rebind(sandbox, onboarded):
    before = {r["action"] for r in writes(sandbox)}
    rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
           "-e", "change_ticket=CHG-42", "-e", IN_WINDOW)
    actions = [r["action"] for r in writes(sandbox)]
    assert "apiuser/add" not in actions and actions.count("apiuser/update") == 2, (before, actions)
    stored = rel.credentials(onboarded, "acme")["api_users"]
    assert all("domain" not in entry for entry in stored.values()), stored   # no stale copy


def test_between_re_pointing_the_api_users_and_the_switch_no_other_request_is_made(sandbox, onboarded):
    """That interval is a send with the new envelope and the old From: every read is made
    before it (docs/rebind.md)."""
    done = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                  "-e", "change_ticket=CHG-42", "-e", IN_WINDOW)
    assert done.returncode == 0, done.output[-3000:]
    log = [(r["component"], r["action"]) for r in sandbox.requests()]
    first = log.index(("sendcloud", "apiuser/update"))
    switch = log.index(("platform", "PUT binding"))
    assert log[first:switch] == [("sendcloud", "apiuser/update")] * 2, log[first - 3:switch + 1]


def test_an_overseas_rebind_can_delete_the_old_domain(sandbox, onboarded):
    done = rebind(sandbox, onboarded, "globex", "mail.globex.example", "hello",
                  "-e", "change_ticket=CHG-7", "-e", IN_WINDOW, "-e", "rebind_retire_old=domain")
    assert done.returncode == 0, done.output[-3000:]
    listed = requests.post(f"{sandbox.sendcloud_url}/api/domain/list",
                           data={"apiUser": "globex_admin", "apiKey": globex_key(sandbox)},
                           timeout=10).json()["info"]["dataList"]
    assert [d["name"] for d in listed] == ["mail.globex.example"]
    assert binding_history(sandbox, "globex")["sending_gap_seconds"] == 0
    assert audit(onboarded)[-1]["retired"] == "domain"


def test_the_audit_log_says_a_domestic_domain_was_kept_not_retired(sandbox, onboarded):
    done = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                  "-e", "change_ticket=CHG-7", "-e", IN_WINDOW, "-e", "rebind_retire_old=domain")
    assert done.returncode == 0, done.output[-3000:]
    assert "news.acme.example is kept at SendCloud" in " ".join(done.output.split())
    completed = audit(onboarded)[-1]
    assert (completed["outcome"], completed["retired"]) == ("completed", "records")


def test_a_completed_rebind_run_again_writes_nothing(sandbox, onboarded):
    args = ("-e", "change_ticket=CHG-42", "-e", IN_WINDOW)
    assert rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing", *args).returncode == 0
    sandbox.clear_requests()
    again = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing", *args)
    assert again.returncode == 0 and writes(sandbox) == []


def test_onboarding_plans_nothing_for_a_tenant_whose_domain_awaits_its_rebind(sandbox, onboarded):
    """The merge request that changes a bound tenant's domain is the rebind's first step: from
    then until the rebind runs, onboard.yml (the pipeline's plan and apply) says a rebind is
    pending and stays green, and writes nothing for that tenant."""
    moved = ("-l", "acme", "-e", "sending_domain=mail2.acme.example",
             "-e", "sender_address=marketing@mail2.acme.example")
    planned = run_playbook(sandbox, onboarded, *moved, "--check", "--diff")
    assert planned.returncode == 0, planned.output[-3000:]
    plan = planned.plan("check")
    assert plan["rebind_pending"] == {"acme": {"bound_domain": "news.acme.example",
                                               "sending_domain": "mail2.acme.example"}}
    assert plan["tenants"]["acme"]["changes"] == [] and plan["failed"] == {}
    assert "rebind pending" in (onboarded / "plans" / "latest-check" / "plan.md").read_text()
    assert "ansible-playbook rebind.yml -l acme -e rebind_tenants=acme -e change_ticket=ID" in planned.output
    applied = run_playbook(sandbox, onboarded, *moved)
    assert applied.returncode == 0, applied.output[-3000:]
    assert applied.recap()["acme"]["failed"] == 0 and writes(sandbox) == []
    report = json.loads((onboarded / "reports" / "acme.json").read_text())
    assert report["status"] == "rebind pending"
    assert report["domain"]["name"] == report["binding"]["sending_domain"] == "news.acme.example"
    assert report["rebind_pending"]["sending_domain"] == "mail2.acme.example"
    assert "Rebind pending: bound to news.acme.example" in (onboarded / "reports" / "acme.md").read_text()
    # the audit lists the pending rebind apart and checks the domain that sends meanwhile
    audited = run_playbook(sandbox, onboarded, *moved, playbook="playbooks/audit.yml")
    assert audited.returncode == 0, audited.output[-3000:]
    audit_json = json.loads((onboarded / "reports" / "audit" / "audit.json").read_text())
    assert audit_json["rebind_pending_tenants"] == ["acme"]
    assert audit_json["tenants"]["acme"]["verified"] is True
    dmarc = sandbox.dnspod_call("acme.example", "DescribeRecordList", {
        "Domain": "acme.example", "Subdomain": "_dmarc.news"})["RecordList"][0]
    change = {"Domain": "acme.example", "RecordId": dmarc["RecordId"], "SubDomain": "_dmarc.news",
              "RecordType": "TXT", "RecordLine": dmarc["Line"], "TTL": dmarc["TTL"]}
    sandbox.dnspod_call("acme.example", "ModifyRecord", {**change, "Value": "v=DMARC1; p=reject"})
    drifted = run_playbook(sandbox, onboarded, *moved, playbook="playbooks/audit.yml")
    sandbox.dnspod_call("acme.example", "ModifyRecord", {**change, "Value": dmarc["Value"]})
    assert drifted.returncode != 0
    drift = json.loads((onboarded / "reports" / "audit" / "audit.json").read_text())["tenants"]["acme"]["drift"]
    assert any("_dmarc.news.acme.example" in item for item in drift), drift
    sandbox.clear_requests()
    assert rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                  "-e", "change_ticket=CHG-42", "-e", IN_WINDOW).returncode == 0
    sandbox.clear_requests()
    after = run_playbook(sandbox, onboarded, *moved)
    assert after.returncode == 0 and writes(sandbox) == []
    report = json.loads((onboarded / "reports" / "acme.json").read_text())
    assert report["status"] == "verified and bound" and "rebind_pending" not in report


def test_the_tenant_role_applied_on_its_own_writes_nothing_for_a_pending_rebind(sandbox, onboarded):
    """As its check mode predicts: the role (molecule's converge uses it) never moves a bound
    tenant either."""
    playbook = onboarded / "role.yml"
    playbook.write_text("- hosts: tenants\n  connection: local\n  gather_facts: false\n"
                        "  roles: [mailops_defaults, tenant]\n")
    moved = ("-l", "acme", "-e", "sending_domain=mail2.acme.example",
             "-e", "sender_address=marketing@mail2.acme.example")
    planned = run_playbook(sandbox, onboarded, *moved, "--check", playbook=str(playbook))
    applied = run_playbook(sandbox, onboarded, *moved, playbook=str(playbook))
    assert planned.returncode == applied.returncode == 0, applied.output[-3000:]
    assert planned.recap()["acme"]["changed"] == applied.recap()["acme"]["changed"] == 0
    assert writes(sandbox) == [] and "rebind.yml" in applied.output


def test_outside_the_window_the_rebind_is_refused_before_any_write(sandbox, onboarded):
    refused = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                     "-e", "change_ticket=CHG-42", "-e", OUTSIDE_WINDOW)
    assert refused.returncode != 0 and "outside the change window" in refused.output
    assert writes(sandbox) == []


def test_an_emergency_outside_the_window_runs_and_is_recorded(sandbox, onboarded):
    done = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                  "-e", "change_ticket=CHG-42", "-e", OUTSIDE_WINDOW, "-e", "rebind_emergency=true",
                  "-e", '{"rebind_emergency_reason": "old domain blacklisted"}')
    assert done.returncode == 0, done.output[-3000:]
    assert all(e["emergency"] and e["emergency_reason"] == "old domain blacklisted"
               for e in audit(onboarded))


def test_a_rehearsed_time_is_refused_in_a_real_run_before_any_write(sandbox, onboarded):
    refused = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                     "-e", "change_ticket=CHG-42", "-e", IN_WINDOW, "-e", REHEARSED_OUTSIDE)
    assert refused.returncode != 0
    assert "rebind_now (2026-11-26T10:00:00+08:00) rehearses a time with --check only" in refused.output
    assert writes(sandbox) == []
    assert not (onboarded / "audit.jsonl").exists()


def test_a_rehearsal_says_whether_the_window_would_let_the_apply_run(sandbox, onboarded):
    rehearsed = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                       "-e", REHEARSED_OUTSIDE, "--check")
    assert rehearsed.returncode == 0, rehearsed.output[-3000:]
    assert "the apply would be refused now: 2026-11-26T10:00+08:00 is outside the change window" \
        in " ".join(rehearsed.output.split())


def test_nothing_to_rebind_is_said_not_silent(sandbox, onboarded):
    unchanged = run_playbook(sandbox, onboarded, "-l", "acme", "-e", "change_ticket=CHG-42",
                             "-e", IN_WINDOW, playbook="rebind.yml",
                             extra_env={"MAILOPS_AUDIT_LOG": str(onboarded / "audit.jsonl")})
    assert unchanged.returncode == 0, unchanged.output[-3000:]
    assert "nothing to rebind for acme: the platform already sends from news.acme.example" \
        in " ".join(unchanged.output.split())
    assert writes(sandbox) == []


def test_nothing_to_rebind_outside_the_window_is_a_no_op_not_a_refusal(sandbox, onboarded):
    """Issue 21, point 11: it asked for an emergency flag (and, without a ticket, a ticket)."""
    for extra in (["-e", "change_ticket=CHG-42"], []):
        unchanged = run_playbook(sandbox, onboarded, "-l", "acme", "-e", OUTSIDE_WINDOW, *extra,
                                 playbook="rebind.yml",
                                 extra_env={"MAILOPS_AUDIT_LOG": str(onboarded / "audit.jsonl")})
        assert unchanged.returncode == 0, unchanged.output[-3000:]
        assert "nothing to rebind for acme" in " ".join(unchanged.output.split())
    assert writes(sandbox) == []
    assert not (onboarded / "audit.jsonl").exists()


def test_check_mode_plans_the_rebind_at_any_time_without_writing(sandbox, onboarded):
    planned = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                     "-e", OUTSIDE_WINDOW, "--check", "--diff")
    assert planned.returncode == 0, planned.output[-3000:]
    assert writes(sandbox) == []


@pytest.mark.parametrize("failing_action", ["apiuser/update", "PUT */binding", "DeleteRecord"])
def test_a_rebind_that_fails_at_a_step_resumes_and_converges(sandbox, onboarded, failing_action):
    sandbox.set_faults([{"component": "*", "action": failing_action, "kind": "http_500", "count": 20}])
    failed = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                    "-e", "change_ticket=CHG-42", "-e", IN_WINDOW)
    sandbox.clear_faults()
    assert failed.returncode != 0
    assert audit(onboarded)[-1]["outcome"] == "failed"
    resumed = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                     "-e", "change_ticket=CHG-42", "-e", IN_WINDOW)
    assert resumed.returncode == 0, resumed.output[-3000:]
    assert audit(onboarded)[-1]["outcome"] == "completed"
    assert served(sandbox, "acme.example", "news", "MX") == []
    assert binding_history(sandbox, "acme")["history"][-1]["sending_domain"] == "mail2.acme.example"
    assert binding_history(sandbox, "acme")["sending_gap_seconds"] == 0


def api_user_domains(sandbox, tenant: str) -> dict[str, str]:
    account = next(a for a in sandbox.seed["sendcloud"]["accounts"] if a["api_user"] == f"{tenant}_admin")
    users = requests.post(f"{sandbox.sendcloud_url}/apiv2/apiuser/list", timeout=10, data={
        "apiUser": account["api_user"], "apiKey": account["api_key"]}).json()["info"]["dataList"]
    return {u["name"]: u["domainName"] for u in users}


def test_a_rebind_stopped_before_the_switch_is_undone_by_putting_the_old_domain_back(sandbox, onboarded):
    """The API users moved to mail2 before the binding write failed; the inventory is put back
    to news: rebind.yml re-points them back and retires mail2, and onboard.yml is then a no-op."""
    sandbox.set_faults([{"component": "*", "action": "PUT */binding", "kind": "http_500", "count": 20}])
    failed = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                    "-e", "change_ticket=CHG-42", "-e", IN_WINDOW)
    sandbox.clear_faults()
    assert failed.returncode != 0
    assert set(api_user_domains(sandbox, "acme").values()) == {"mail2.acme.example"}
    undone = rebind(sandbox, onboarded, "acme", "news.acme.example", "marketing",
                    "-e", "change_ticket=CHG-43", "-e", IN_WINDOW)
    assert undone.returncode == 0, undone.output[-3000:]
    assert set(api_user_domains(sandbox, "acme").values()) == {"news.acme.example"}
    assert [(e["outcome"], e["old_domain"]) for e in audit(onboarded)][-4:] == [
        ("started", "mail2.acme.example"), ("switched", "mail2.acme.example"),
        ("retiring", "mail2.acme.example"), ("completed", "mail2.acme.example")]
    assert served(sandbox, "acme.example", "mail2", "MX") == []
    assert served(sandbox, "acme.example", "news", "MX") == ["mx.sendcloud.org."]
    assert binding_history(sandbox, "acme")["sending_gap_seconds"] == 0
    sandbox.clear_requests()
    again = run_playbook(sandbox, onboarded, "-l", "acme")
    assert again.returncode == 0, again.output[-3000:]
    assert writes(sandbox) == []


@pytest.fixture
def two_zone_sandbox(tmp_path):
    """acme's DNSPod account holds a second zone, acmemail.example, to rebind into."""
    seed = default_seed()
    account = next(a for a in seed["dnspod"]["accounts"]
                   if any(z["name"] == "acme.example" for z in a["zones"]))
    account["zones"].append({"name": "acmemail.example", "grade": "DP_Free", "records": []})
    handle = start_sandbox(tmp_path / "sandbox", seed=seed, exit_after=900)
    try:
        yield handle
    finally:
        handle.stop()


def test_a_rebind_into_another_zone_retires_the_old_records_where_they_are(
        two_zone_sandbox, tmp_path):
    """dns_zone names the new domain's zone; the old domain's records are in the old zone."""
    sandbox = two_zone_sandbox
    onboard = run_playbook(sandbox, tmp_path, "-l", "acme", "-e", "dns_zone=acme.example")
    assert onboard.returncode == 0, onboard.output[-3000:]
    assert served(sandbox, "acme.example", "news", "MX")
    done = rebind(sandbox, tmp_path, "acme", "news.acmemail.example", "marketing",
                  "-e", "change_ticket=CHG-42", "-e", IN_WINDOW, "-e", "dns_zone=acmemail.example")
    assert done.returncode == 0, done.output[-3000:]
    assert served(sandbox, "acmemail.example", "news", "MX")
    for host, rtype in (("news", "MX"), ("news", "TXT"), ("_dmarc.news", "TXT")):
        assert served(sandbox, "acme.example", host, rtype) == [], (host, rtype)
    assert served(sandbox, "acme.example", "@", "MX") == ["mail.acme.example."]


def test_the_rebind_s_report_is_the_one_the_next_onboard_run_keeps(sandbox, onboarded):
    """globex's new domain gives a preflight warning (its mailbox-like name); the report the
    rebind writes has it, so the no-op onboard run after it rewrites nothing."""
    new = ("-e", "sending_domain=mail.globex.example", "-e", "sender_address=hello@mail.globex.example")
    done = rebind(sandbox, onboarded, "globex", "mail.globex.example", "hello",
                  "-e", "change_ticket=CHG-42", "-e", IN_WINDOW)
    assert done.returncode == 0, done.output[-3000:]
    report = onboarded / "reports" / "globex.json"
    written = report.read_text()
    assert json.loads(written)["warnings"], written
    again = run_playbook(sandbox, onboarded, "-l", "globex", *new)
    assert again.returncode == 0, again.output[-3000:]
    assert report.read_text() == written


def test_the_audit_log_names_the_operator_when_user_is_not_set(sandbox, onboarded):
    done = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                  "-e", "change_ticket=CHG-42", "-e", IN_WINDOW, env={"USER": "", "LOGNAME": ""})
    assert done.returncode == 0, done.output[-3000:]
    assert {entry["operator"] for entry in audit(onboarded)} == {pwd.getpwuid(os.getuid()).pw_name}


def test_a_rebind_without_a_tenant_named_is_refused_before_any_write(sandbox, onboarded):
    refused = run_playbook(sandbox, onboarded, "-e", "sending_domain=mail2.acme.example",
                           "-e", "change_ticket=CHG-42", "-e", IN_WINDOW, playbook="rebind.yml",
                           extra_env={"MAILOPS_AUDIT_LOG": str(onboarded / "audit.jsonl")})
    assert refused.returncode != 0
    assert "rebind.yml needs -l TENANT" in " ".join(refused.output.split())
    assert writes(sandbox) == [] and not (onboarded / "audit.jsonl").exists()


@pytest.mark.parametrize("limit, named", [("tenants", "acme"), ("acme,globex", "acme"), ("acme", "")],
                         ids=["a group", "one tenant too many", "none named"])
def test_a_rebind_moves_exactly_the_tenants_its_ticket_names_or_nothing(sandbox, onboarded, limit, named):
    # only acme's domain changes (an extra var is every tenant's: a template keeps the others')
    domains = {host: spec["sending_domain"] for host, spec in tenants(sandbox).items()}
    domains["acme"] = "mail2.acme.example"
    refused = run_playbook(sandbox, onboarded, "-l", limit, "-e", f"rebind_tenants={named}",
                           "-e", json.dumps({"sending_domain": f"{{{{ {domains}[inventory_hostname] }}}}"}),
                           "-e", "change_ticket=CHG-42",
                           "-e", IN_WINDOW, playbook="rebind.yml",
                           extra_env={"MAILOPS_AUDIT_LOG": str(onboarded / "audit.jsonl")})
    assert refused.returncode != 0
    said = " ".join(refused.output.split())
    assert ("rebind_tenants is not set" in said if not named
            else "rebind_tenants (acme) is not what -l matched (acme,globex" in said), said[-2000:]
    assert writes(sandbox) == [] and not (onboarded / "audit.jsonl").exists()


def test_a_mistyped_emergency_flag_is_an_error_not_false(sandbox, onboarded):
    refused = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                     "-e", "change_ticket=CHG-42", "-e", OUTSIDE_WINDOW, "-e", "rebind_emergency=ture")
    assert refused.returncode != 0
    assert "emergency" in refused.output and "outside the change window" not in refused.output
    assert writes(sandbox) == []


def test_a_bad_input_stops_the_rebind_before_the_backup_and_the_audit_log(sandbox, onboarded):
    refused = rebind(sandbox, onboarded, "acme", "mail2.acme.example", "marketing",
                     "-e", "change_ticket=CHG-42", "-e", IN_WINDOW, "-e", '{"reply_to_address": "help at acme"}')
    assert refused.returncode != 0
    assert "reply_to_address: 'help at acme' is not a valid e-mail address" in refused.output
    assert writes(sandbox) == []
    assert not (onboarded / "audit.jsonl").exists() and not (onboarded / "backups").exists()
