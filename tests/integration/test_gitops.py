"""GitOps: plans a pipeline can pin, safety rails, and the drift audit — real playbook runs."""

from __future__ import annotations

import json

import pytest

from tests.helpers.playbook import REPO, run_playbook, tenants

pytestmark = pytest.mark.slow


def writes(sandbox) -> list[dict]:
    return [r for r in sandbox.requests() if r["kind"] == "write"]


@pytest.fixture
def fresh(sandbox, tmp_path):
    sandbox.reset()
    sandbox.clear_requests()
    return tmp_path


def test_apply_refuses_a_plan_other_than_the_reviewed_one_before_any_write(sandbox, fresh):
    refused = run_playbook(sandbox, fresh, "-e", "expected_plan_checksum=0000reviewed")
    assert refused.returncode != 0
    assert "the plan changed since it was reviewed" in refused.output
    assert writes(sandbox) == []


def test_a_refused_pin_fails_the_tenants_concerned_and_keeps_latest_apply_on_the_last_apply(
        sandbox, fresh):
    """acme is onboarded and has nothing to change: the refusal is not reported against it. The
    tenants the apply would have worked on fail with the reason and their reports say refused;
    the refused plan is marked so, and latest-apply stays on acme's apply."""
    assert run_playbook(sandbox, fresh, "-l", "acme").returncode == 0
    last_apply = (fresh / "plans" / "latest-apply").resolve()
    acme_report = (fresh / "reports" / "acme.json").read_text()
    sandbox.clear_requests()
    refused = run_playbook(sandbox, fresh, "-e", "expected_plan_checksum=0000reviewed")
    assert refused.returncode != 0
    assert writes(sandbox) == []
    assert "fatal: [acme]" not in refused.output
    recap = refused.recap()
    assert recap["acme"]["failed"] == 0 and recap["globex"]["failed"] == 1 == recap["initech"]["failed"]
    assert "refused (plan changed since review): the plan changed since it was reviewed" in refused.output
    assert "tenants concerned: globex, initech" in refused.output
    assert (fresh / "plans" / "latest-apply").resolve() == last_apply
    refused_dir = refused.newest_plan_dir("apply")
    assert refused_dir != last_apply and f"{refused_dir}/plan.md" in refused.output
    plan = json.loads((refused_dir / "plan.json").read_text())
    assert plan["refused"]["reason"] == "plan changed since review"
    assert plan["refused"]["tenants"] == ["globex", "initech"]
    assert "**refused** (plan changed since review)" in (refused_dir / "plan.md").read_text()
    assert not (refused_dir / "applied.json").exists()
    globex = json.loads((fresh / "reports" / "globex.json").read_text())
    assert globex["status"] == "refused" and globex["error"] == "refused: plan changed since review"
    assert (fresh / "reports" / "acme.json").read_text() == acme_report


def test_an_empty_pin_is_refused_not_taken_for_no_pin(sandbox, fresh):
    """A CI variable that is not set gives -e expected_plan_checksum= : that must not apply
    unpinned."""
    refused = run_playbook(sandbox, fresh, "-e", "expected_plan_checksum=")
    assert refused.returncode != 0
    assert "the pinned checksum (expected_plan_checksum) is empty" in refused.output
    assert writes(sandbox) == []


def test_apply_goes_ahead_when_the_pinned_checksum_matches(sandbox, fresh):
    planned = run_playbook(sandbox, fresh, "--check")
    checksum = (fresh / "plans" / "latest-check" / "checksum").read_text().strip()
    applied = run_playbook(sandbox, fresh, "-e", f"expected_plan_checksum={checksum}")
    assert planned.returncode == 0 and applied.returncode == 0, applied.output[-2000:]
    assert len(writes(sandbox)) > 0


def test_a_merge_job_rerun_with_its_pin_resumes_the_tenants_not_applied_then_is_a_no_op(
        sandbox, fresh):
    """globex's binding fails in the pinned apply; the re-run with the same pin applies the rest
    of globex's reviewed plan (acme is done); a third run with it has nothing to do, a success."""
    limit = ("-l", "acme,globex")
    assert run_playbook(sandbox, fresh, "--check", *limit).returncode == 0
    pin = "expected_plan_checksum=" + (fresh / "plans" / "latest-check" / "checksum").read_text().strip()
    sandbox.set_faults([{"component": "platform", "action": "PUT */tenants/globex/binding",
                         "kind": "http_500", "count": None}])
    try:
        partial = run_playbook(sandbox, fresh, *limit, "-e", pin)
    finally:
        sandbox.clear_faults()
    assert partial.returncode != 0 and partial.recap()["globex"]["failed"] == 1
    sandbox.clear_requests()
    resumed = run_playbook(sandbox, fresh, *limit, "-e", pin)
    assert resumed.returncode == 0, resumed.output[-3000:]
    assert {(w["action"], w["account"]) for w in writes(sandbox)} == {("PUT binding", "globex")}
    assert resumed.plan("apply")["resumes"]["tenants"] == ["globex"]
    sandbox.clear_requests()
    again = run_playbook(sandbox, fresh, *limit, "-e", pin)
    assert again.returncode == 0, again.output[-3000:]
    assert writes(sandbox) == []


def test_more_changed_tenants_than_the_threshold_needs_force(sandbox, fresh):
    refused = run_playbook(sandbox, fresh, "-e", "max_changed_tenants=1")
    assert refused.returncode != 0
    assert "refusing to apply without -e force=true: 3 tenants would change" in refused.output
    assert writes(sandbox) == []
    forced = run_playbook(sandbox, fresh, "-e", "max_changed_tenants=1", "-e", "force=true")
    assert forced.returncode == 0, forced.output[-2000:]


def test_the_plan_says_why_a_tenant_failed_planning(sandbox, fresh):
    sandbox.set_faults([{"component": "platform", "action": "*/tenants/acme/*", "kind": "http_500"}])
    try:
        planned = run_playbook(sandbox, fresh, "--check")
    finally:
        sandbox.clear_faults()
    assert planned.returncode != 0
    plan = json.loads((fresh / "plans" / "latest-check" / "plan.json").read_text())
    assert set(plan["failed"]) == {"acme"} and "HTTP 500" in plan["failed"]["acme"], plan["failed"]
    row = next(line for line in (fresh / "plans" / "latest-check" / "plan.md").read_text().splitlines()
               if line.startswith("| acme |"))
    assert row.startswith("| acme | failed: binding stage:") and "HTTP 500" in row, row


def test_check_mode_reports_what_would_need_force_without_failing(sandbox, fresh):
    planned = run_playbook(sandbox, fresh, "--check", "-e", "max_changed_tenants=1")
    assert planned.returncode == 0
    plan = json.loads((fresh / "plans" / "latest-check" / "plan.json").read_text())
    assert plan["requires_force"] == ["3 tenants would change, more than max_changed_tenants=1"]


def audit_of_drift(sandbox, workdir) -> dict:
    """audit.yml after a change made behind the project's back: it fails, writes nothing, and
    its report is returned."""
    sandbox.clear_requests()
    drifted = run_playbook(sandbox, workdir, playbook="playbooks/audit.yml")
    assert drifted.returncode != 0
    assert writes(sandbox) == []
    return json.loads((workdir / "reports" / "audit" / "audit.json").read_text())


def test_audit_passes_after_onboarding_and_fails_on_a_record_changed_behind_its_back(sandbox, fresh):
    assert run_playbook(sandbox, fresh).returncode == 0
    clean = run_playbook(sandbox, fresh, playbook="playbooks/audit.yml")
    assert clean.returncode == 0, clean.output[-2000:]
    records = sandbox.dnspod_call("acme.example", "DescribeRecordList",
                                  {"Domain": "acme.example", "Subdomain": "_dmarc.news",
                                   "SubDomain": "_dmarc.news"})["RecordList"]
    dmarc = records[0]
    sandbox.dnspod_call("acme.example", "ModifyRecord", {
        "Domain": "acme.example", "RecordId": dmarc["RecordId"], "SubDomain": "_dmarc.news",
        "RecordType": "TXT", "RecordLine": "默认", "Value": "v=DMARC1; p=reject", "TTL": 600})
    audit = audit_of_drift(sandbox, fresh)
    assert audit["drifted_tenants"] == ["acme"]
    assert any("_dmarc.news.acme.example" in item for item in audit["tenants"]["acme"]["drift"])


def test_an_audit_that_fails_for_every_tenant_still_writes_the_report_with_the_reasons(
        sandbox, fresh):
    assert run_playbook(sandbox, fresh).returncode == 0
    assert run_playbook(sandbox, fresh, playbook="playbooks/audit.yml").returncode == 0
    sandbox.set_faults([{"component": "platform", "kind": "http_500", "count": None}])
    try:
        failed = run_playbook(sandbox, fresh, playbook="playbooks/audit.yml")
    finally:
        sandbox.clear_faults()
    assert failed.returncode != 0
    audit = json.loads((fresh / "reports" / "audit" / "audit.json").read_text())
    assert audit["failed_tenants"] == ["acme", "globex", "initech"] and audit["drifted_tenants"] == []
    assert "could not check everything for acme, globex, initech" in failed.output
    for tenant in audit["failed_tenants"]:
        findings = audit["tenants"][tenant]
        assert findings["drift"] == [] and list(findings["failed_probes"]) == ["binding"]
        assert "HTTP 500" in findings["failed_probes"]["binding"], findings
    assert "0 of 3 tenants drifted, 3 could not be checked in full" in (fresh / "reports" / "audit" / "audit.md").read_text()


def test_an_audit_whose_binding_probe_fails_still_makes_every_other_probe(sandbox, fresh):
    """The platform fails for acme: its binding is marked as not checked, and the DMARC record
    changed behind the project's back is still found by the plan and the nameservers, and the
    stored keys still checked."""
    assert run_playbook(sandbox, fresh).returncode == 0
    dmarc = sandbox.dnspod_call("acme.example", "DescribeRecordList", {
        "Domain": "acme.example", "Subdomain": "_dmarc.news", "SubDomain": "_dmarc.news"})["RecordList"][0]
    sandbox.dnspod_call("acme.example", "ModifyRecord", {
        "Domain": "acme.example", "RecordId": dmarc["RecordId"], "SubDomain": "_dmarc.news",
        "RecordType": "TXT", "RecordLine": "默认", "Value": "v=DMARC1; p=reject", "TTL": 600})
    sandbox.set_faults([{"component": "platform", "action": "*/tenants/acme/*", "kind": "http_500"}])
    sandbox.clear_requests()
    try:
        run = run_playbook(sandbox, fresh, playbook="playbooks/audit.yml")
    finally:
        sandbox.clear_faults()
    assert run.returncode != 0 and writes(sandbox) == []
    audit = json.loads((fresh / "reports" / "audit" / "audit.json").read_text())
    assert audit["failed_tenants"] == ["acme"] and audit["drifted_tenants"] == ["acme"]
    acme = audit["tenants"]["acme"]
    assert list(acme["failed_probes"]) == ["binding"] and "HTTP 500" in acme["failed_probes"]["binding"]
    assert any(item.startswith("TXT _dmarc.news.acme.example: the onboarding stops here "
                               "(dns_on_conflict: keep_and_fail)") for item in acme["drift"]), acme["drift"]
    assert any("does not serve TXT _dmarc.news.acme.example" in item for item in acme["drift"])
    key_checks = {r["params"].get("apiUser") for r in sandbox.requests(action="userinfo/get")}
    assert {"acme_batch", "acme_trigger"} <= key_checks, key_checks
    # the binding was read once, with its retries (5 attempts), not again by the binding stage
    acme_binding = [r for r in sandbox.requests(component="platform") if "/tenants/acme/" in r["path"]]
    assert len(acme_binding) == 5, acme_binding
    assert "- could not check binding: " in (fresh / "reports" / "audit" / "audit.md").read_text()


def test_audit_reports_a_foreign_mx_added_beside_ours(sandbox, fresh):
    """onboard.yml's default (keep_and_fail) would stop on it, so the audit must not pass it."""
    assert run_playbook(sandbox, fresh).returncode == 0
    sandbox.dnspod_call("acme.example", "CreateRecord", {
        "Domain": "acme.example", "SubDomain": "news", "RecordType": "MX", "RecordLine": "默认",
        "Value": "mx.other.example.", "MX": 5, "TTL": 600})
    audit = audit_of_drift(sandbox, fresh)
    assert audit["drifted_tenants"] == ["acme"]
    assert any(item.startswith("MX news.acme.example: the onboarding stops here (dns_on_conflict: "
                               "keep_and_fail)") and "MX news.acme.example 5 mx.other.example" in item
               for item in audit["tenants"]["acme"]["drift"]), audit["tenants"]["acme"]


def put_customer_dmarc(sandbox) -> None:
    sandbox.dnspod_call("acme.example", "CreateRecord", {
        "Domain": "acme.example", "SubDomain": "_dmarc.news", "RecordType": "TXT",
        "RecordLine": "默认", "Value": "v=DMARC1; p=reject; rua=mailto:sec@acme.example", "TTL": 600})
    sandbox.clear_requests()


def test_a_customer_dmarc_before_the_first_run_stops_the_plan_not_the_apply(sandbox, fresh):
    put_customer_dmarc(sandbox)
    stopped = run_playbook(sandbox, fresh, "-l", "acme")
    assert stopped.returncode != 0
    assert "a different DMARC record" in stopped.output
    assert writes(sandbox) == []   # no domain/add before the conflict was found


def test_replacing_a_customer_dmarc_on_a_first_run_needs_force(sandbox, fresh):
    put_customer_dmarc(sandbox)
    replace = ("-l", "acme", "-e", "dns_on_conflict=replace")
    refused = run_playbook(sandbox, fresh, *replace)
    assert refused.returncode != 0
    assert "refusing to apply without -e force=true" in refused.output
    assert writes(sandbox) == []
    forced = run_playbook(sandbox, fresh, *replace, "-e", "force=true")
    assert forced.returncode == 0, forced.output[-3000:]


def test_the_pipeline_scripts_plan_then_apply_the_reviewed_plan(sandbox, fresh):
    import subprocess

    from tests.helpers.playbook import REPO, playbook_env

    env = playbook_env(sandbox, fresh)
    planned = subprocess.run([str(REPO / "scripts/gitops-plan")], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=600)
    assert planned.returncode == 0, planned.stdout[-2000:] + planned.stderr[-2000:]
    assert writes(sandbox) == []
    checksum = (fresh / "plans" / "latest-check" / "checksum").read_text().strip()
    assert f"checksum: {checksum}" in planned.stdout
    applied = subprocess.run([str(REPO / "scripts/gitops-apply"), checksum], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=600)
    assert applied.returncode == 0, applied.stdout[-2000:]
    assert len(writes(sandbox)) > 0


def binding_change(plan: dict, tenant: str) -> dict:
    return next(c for c in plan["tenants"][tenant]["changes"] if c["object"] == "binding")


def test_the_plan_shows_the_binding_before_and_after(sandbox, fresh):
    first = run_playbook(sandbox, fresh, "--check", "-l", "acme")
    assert first.returncode == 0, first.output[-2000:]
    created = binding_change(first.plan("check"), "acme")
    assert created["action"] == "create" and created["before"] is None
    assert created["after"]["sending_domain"] == tenants(sandbox)["acme"]["sending_domain"]
    assert run_playbook(sandbox, fresh, "-l", "acme").returncode == 0
    renamed = run_playbook(sandbox, fresh, "--check", "-l", "acme", "-e", "sender_name=AcmeNews")
    assert renamed.returncode == 0, renamed.output[-2000:]
    updated = binding_change(renamed.plan("check"), "acme")
    assert updated["action"] == "update"
    assert updated["before"]["sender_name"] != "AcmeNews"
    assert updated["after"]["sender_name"] == "AcmeNews"
    assert updated["before"]["sending_domain"] == updated["after"]["sending_domain"]


def test_a_first_run_plans_the_merge_into_an_spf_record_already_there(sandbox, fresh):
    """Before domain/add, SendCloud's include is unknown; the plan still shows the merge (the
    record keeps its mechanisms), and the apply writes that merge with the real include."""
    sandbox.dnspod_call("acme.example", "CreateRecord", {
        "Domain": "acme.example", "SubDomain": "news", "RecordType": "TXT", "RecordLine": "默认",
        "Value": "v=spf1 include:_spf.google.com ~all"})
    planned = run_playbook(sandbox, fresh, "--check", "-l", "acme")
    assert planned.returncode == 0, planned.output[-2000:]
    plan = json.loads((fresh / "plans" / "latest-check" / "plan.json").read_text())
    spf = next(c for c in plan["tenants"]["acme"]["changes"]
               if c["object"] == "dns_record" and c["after"]["purpose"] == "spf")
    assert spf["action"] == "update"
    assert spf["after"]["value"] == "v=spf1 include:_spf.google.com include:(known-after-apply) ~all"
    applied = run_playbook(sandbox, fresh, "-l", "acme")
    assert applied.returncode == 0, applied.output[-2000:]
    listed = sandbox.dnspod_call("acme.example", "DescribeRecordList", {
        "Domain": "acme.example", "Subdomain": "news", "RecordType": "TXT"})
    spf_values = [r["Value"] for r in listed["RecordList"] if r["Value"].startswith("v=spf1")]
    assert spf_values == ["v=spf1 include:_spf.google.com include:spf.sendcloud.org ~all"]


def test_a_check_run_leaves_no_file_behind_but_its_plan(sandbox, fresh):
    planned = run_playbook(sandbox, fresh, "--check")
    assert planned.returncode == 0, planned.output[-2000:]
    assert sorted(p.name for p in fresh.iterdir()) == ["plans"]


def test_a_check_run_creates_no_lock_file_for_a_tenant_never_applied(sandbox, fresh):
    assert run_playbook(sandbox, fresh, "-l", "acme").returncode == 0
    planned = run_playbook(sandbox, fresh, "--check")
    assert planned.returncode == 0, planned.output[-2000:]
    assert sorted(p.name for p in (fresh / "credentials").iterdir()) == [".acme.lock", "acme.vault.yml"]


def test_audit_names_a_foreign_dkim_key_beside_ours(sandbox, fresh):
    """Two TXT records at the DKIM selector: a verifier may take the other one."""
    assert run_playbook(sandbox, fresh).returncode == 0
    listed = sandbox.dnspod_call("acme.example", "DescribeRecordList", {
        "Domain": "acme.example", "RecordType": "TXT"})
    selector = next(r["Name"] for r in listed["RecordList"] if "_domainkey" in r["Name"])
    sandbox.dnspod_call("acme.example", "CreateRecord", {
        "Domain": "acme.example", "SubDomain": selector, "RecordType": "TXT", "RecordLine": "默认",
        "Value": "v=DKIM1; k=rsa; p=FOREIGNKEY"})
    audit = audit_of_drift(sandbox, fresh)
    assert audit["drifted_tenants"] == ["acme"]
    assert any("p=FOREIGNKEY" in item and "DKIM selector" in item
               for item in audit["tenants"]["acme"]["drift"]), audit["tenants"]["acme"]


def with_policy(workdir, policy: str) -> tuple[str, ...]:
    """Playbook arguments that give acme ``dns_on_conflict: policy`` in the inventory (a play
    variable of audit.yml would override it there, an extra variable would not show it)."""
    extra = workdir / f"{policy}.yml"
    extra.write_text(f"all:\n  hosts:\n    acme:\n      dns_on_conflict: {policy}\n"
                     "      credentials_vault_password_file: "
                     f"{REPO / 'inventories/sandbox/.vault_pass'}\n")
    return ("-i", "inventories/sandbox", "-i", str(extra), "-l", "acme")


def test_keep_and_warn_onboards_past_a_customer_dmarc_and_its_audit_passes(sandbox, fresh):
    """The operator's keep_and_warn, set in the inventory: the kept DMARC record is not waited
    for, the plan lists it, and the audit (which plans the tenant with its own policy) lists it
    as kept, not drift (issue 21, point 1)."""
    put_customer_dmarc(sandbox)
    args = with_policy(fresh, "keep_and_warn")
    onboarded = run_playbook(sandbox, fresh, *args)
    assert onboarded.returncode == 0, onboarded.output[-3000:]
    kept = onboarded.plan("apply")["tenants"]["acme"]["kept"]
    assert [(k["action"], k["id"], k["present"]) for k in kept] == [
        ("kept", "TXT _dmarc.news.acme.example", "v=DMARC1; p=reject; rua=mailto:sec@acme.example")]
    audited = run_playbook(sandbox, fresh, *args, playbook="playbooks/audit.yml")
    assert audited.returncode == 0, audited.output[-3000:]
    acme = json.loads((fresh / "reports" / "audit" / "audit.json").read_text())["tenants"]["acme"]
    assert acme["drift"] == [] and len(acme["kept"]) == 1 and "p=reject" in acme["kept"][0]


def test_the_audit_of_a_replace_tenant_reports_the_overwrite_not_a_kept_record(sandbox, fresh):
    """audit.yml plans each tenant with its own dns_on_conflict (issue 21, point 4)."""
    args = with_policy(fresh, "replace")
    assert run_playbook(sandbox, fresh, *args).returncode == 0
    dmarc = sandbox.dnspod_call("acme.example", "DescribeRecordList", {
        "Domain": "acme.example", "Subdomain": "_dmarc.news", "SubDomain": "_dmarc.news"})["RecordList"][0]
    sandbox.dnspod_call("acme.example", "ModifyRecord", {
        "Domain": "acme.example", "RecordId": dmarc["RecordId"], "SubDomain": "_dmarc.news",
        "RecordType": "TXT", "RecordLine": "默认", "Value": "v=DMARC1; p=reject", "TTL": 600})
    sandbox.clear_requests()
    audited = run_playbook(sandbox, fresh, *args, playbook="playbooks/audit.yml")
    assert audited.returncode != 0 and writes(sandbox) == []
    drift = json.loads((fresh / "reports" / "audit" / "audit.json").read_text())["tenants"]["acme"]["drift"]
    assert any(item.startswith("dns_record TXT _dmarc.news.acme.example: would update (replace the "
                               "different DMARC record)") for item in drift), drift
    assert not any("kept" in item for item in drift), drift
