"""The golden path, end to end: the real ansible-playbook against the sandbox.

Assertions read the state the sandbox and DNS hold (the emulators' request log, the platform's
binding, DNS answers, the credential files), not Ansible's text, except PLAY RECAP counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dns.message
import dns.query
import pytest
import requests
import yaml

from tests.helpers.playbook import REPO, run_playbook, tenants

pytestmark = pytest.mark.slow
VAULT_PASS = REPO / "inventories/sandbox/.vault_pass"


def served(sandbox, name: str, rtype: str) -> list[str]:
    response = dns.query.tcp(dns.message.make_query(name, rtype), sandbox.dns_host,
                             port=sandbox.dns_port, timeout=5)
    values = []
    for rrset in response.answer:
        for rdata in rrset:
            if rtype == "TXT":
                values.append(b"".join(rdata.strings).decode())
            else:
                values.append(rdata.to_text())
    return values


def credentials(workdir: Path, tenant: str) -> dict:
    shown = subprocess.run([str(Path(sys.executable).parent / "ansible-vault"), "view",
                            "--vault-id", f"sandbox@{VAULT_PASS}",
                            str(workdir / "credentials" / f"{tenant}.vault.yml")],
                           capture_output=True, text=True, check=True)
    return yaml.safe_load(shown.stdout)


def zone_dump(sandbox, zone: str) -> set[tuple]:
    records = sandbox.dnspod_call(zone, "DescribeRecordList", {"Domain": zone, "Limit": 3000})
    return {(r["Name"], r["Type"], r["Value"], r["MX"], r["TTL"]) for r in records["RecordList"]}


def files_of(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file and link under ``directory``: (size, modification time)."""
    return {str(p.relative_to(directory)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in directory.rglob("*") if not p.is_dir() or p.is_symlink()}


@pytest.fixture(scope="module")
def onboarded(sandbox, tmp_path_factory):
    sandbox.reset()
    workdir = tmp_path_factory.mktemp("onboard")
    zones = ["acme.example", "globex.example", "initech.example"]
    before = {zone: zone_dump(sandbox, zone) for zone in zones}
    sandbox.clear_requests()
    check = run_playbook(sandbox, workdir, "--check", "--diff")
    check_requests = sandbox.requests()
    sandbox.clear_requests()
    first = run_playbook(sandbox, workdir)
    first_requests = sandbox.requests()
    sandbox.clear_requests()
    files_before_second = files_of(workdir)
    second = run_playbook(sandbox, workdir)
    second_requests = sandbox.requests()
    files_after_second = files_of(workdir)
    after = {zone: zone_dump(sandbox, zone) for zone in zones}
    return {"workdir": workdir, "check": check, "check_requests": check_requests,
            "first": first, "second": second, "before": before,
            "after": after, "first_requests": first_requests, "second_requests": second_requests,
            "files_before_second": files_before_second, "files_after_second": files_after_second}


def test_first_run_succeeds_for_every_tenant(onboarded):
    assert onboarded["first"].returncode == 0, onboarded["first"].output[-3000:]
    assert set(onboarded["first"].recap()) == {"acme", "globex", "initech"}


def test_sandbox_dns_serves_every_record_sendcloud_asked_for(sandbox, onboarded):
    for spec in tenants(sandbox).values():
        domain = spec["sending_domain"]
        listed = requests.post(f"{sandbox.sendcloud_url}/{'api' if spec['sendcloud_edition'] == 'overseas' else 'apiv2'}/domain/list",
                               data={"apiUser": spec["sendcloud_api_user"],
                                     "apiKey": _account_key(sandbox, spec["sendcloud_api_user"]),
                                     "name": domain}, timeout=10).json()
        item = listed["info"]["dataList"][0]
        assert any(item["spf.value"].split()[1] in value for value in served(sandbox, domain, "TXT"))
        assert item["dkim.value"] in served(sandbox, item["dkim.domain"], "TXT")
        assert any(item["mx.value"].rstrip(".") in mx for mx in served(sandbox, domain, "MX"))


def test_sendcloud_reports_every_required_item_verified(onboarded):
    for tenant in ("acme", "globex", "initech"):
        report = yaml.safe_load((onboarded["workdir"] / "reports" / f"{tenant}.json").read_text())
        assert report["status"] == "verified and bound"
        assert all(report["domain"]["items"].values()), report["domain"]


def test_the_markdown_report_gives_each_record_as_a_zone_file_would(onboarded):
    reports = onboarded["workdir"] / "reports"
    report = json.loads((reports / "acme.json").read_text())
    rows = (reports / "acme.md").read_text().splitlines()
    for record in report["records"]:
        row = next(r for r in rows if r.startswith(f"| {record['purpose']} | {record['type']} |"))
        priority = "" if record["priority"] is None else f"{record['priority']} "
        assert f"| `{priority}{record['value'][:20]}" in row, row
    assert any(r["type"] == "MX" and r["priority"] for r in report["records"])


def test_platform_holds_each_binding_and_its_keys_authenticate(sandbox, onboarded):
    for tenant, spec in tenants(sandbox).items():
        token = sandbox.seed["platform"]["tokens"][tenant]
        binding = requests.get(f"{sandbox.platform_url}/api/v1/tenants/{tenant}/binding",
                               headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        assert binding["sending_domain"] == spec["sending_domain"]
        assert binding["sender_address"] == spec["sender_address"]
        stored = credentials(onboarded["workdir"], tenant)["api_users"]
        prefix = "api" if spec["sendcloud_edition"] == "overseas" else "apiv2"
        for role in ("batch", "trigger"):
            name = binding["api_users"][role]["name"]
            assert name == f"{tenant}_{role}"
            answer = requests.post(f"{sandbox.sendcloud_url}/{prefix}/userinfo/get",
                                   data={"apiUser": name, "apiKey": stored[name]["key"]},
                                   timeout=10).json()
            assert answer["result"] is True, (tenant, role, answer)


def test_credential_files_are_vaulted_and_private(onboarded):
    for tenant in ("acme", "globex", "initech"):
        path = onboarded["workdir"] / "credentials" / f"{tenant}.vault.yml"
        assert path.read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;sandbox")
        assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_play_recap_counts_each_tenant_change_once(onboarded):
    """--check: the plan's would-change. Apply: the apply's change, not the plan pass's too
    (acme also runs the run-once report, so only the other two are counted here)."""
    check, first = onboarded["check"].recap(), onboarded["first"].recap()
    assert {tenant: counts["changed"] for tenant, counts in check.items()} == {
        "acme": 1, "globex": 1, "initech": 1}
    assert first["globex"]["changed"] == 1 and first["initech"]["changed"] == 1, first


def test_second_run_changes_nothing_and_writes_nothing(onboarded):
    second = onboarded["second"]
    assert second.returncode == 0, second.output[-3000:]
    assert all(counts["changed"] == 0 for counts in second.recap().values()), second.recap()
    assert [r for r in onboarded["second_requests"] if r["kind"] == "write"] == []
    # every file untouched but the metrics, every run's heartbeat (docs/observability.md)
    heartbeat = "reports/mailops.prom"
    before, after = dict(onboarded["files_before_second"]), dict(onboarded["files_after_second"])
    assert before.pop(heartbeat)[1] < after.pop(heartbeat)[1]
    assert after == before


def apply_play_output(run) -> str:
    after_banner = run.output.split("PLAY [Apply the plan]", 1)[1].split("\n", 1)[1]
    return after_banner.split("PLAY [", 1)[0]


def test_only_the_tenants_the_plan_applies_are_in_the_apply_play(onboarded):
    """The apply play's hosts are the plan's: every tenant on a first run, none on the no-op or
    with --check, so nothing runs, or prints, for a tenant with nothing to do."""
    first = apply_play_output(onboarded["first"])
    assert all(f"[{tenant}]" in first for tenant in ("acme", "globex", "initech")), first
    for run in ("second", "check"):
        assert apply_play_output(onboarded[run]).split() == [
            "skipping:", "no", "hosts", "matched"], apply_play_output(onboarded[run])


def test_a_tenant_run_talks_to_sendcloud_over_one_connection(onboarded):
    """The no-op's SendCloud reads (account, domain, API users) come from three stages; the
    connection (client host:port in the sandbox's log) is opened once, not once per stage."""
    connections: dict[str, set[str]] = {}
    for request in onboarded["second_requests"]:
        if request["component"] == "sendcloud":
            connections.setdefault(request["account"], set()).add(request["client"])
    assert set(connections) == {"acme_admin", "globex_admin", "initech_admin"}
    assert all(len(clients) == 1 for clients in connections.values()), connections


def test_no_op_rerun_reads_at_most_five_times_per_tenant(onboarded):
    """userinfo/get, domain/list, apiuser/list, one DNSPod zone listing, one binding GET."""
    per_tenant: dict[str, int] = {}
    for request in onboarded["second_requests"]:
        tenant = request["account"].split("_")[0].split(".")[0]   # acme_admin, acme.example, acme
        per_tenant[tenant] = per_tenant.get(tenant, 0) + 1
    assert set(per_tenant) == {"acme", "globex", "initech"}
    assert max(per_tenant.values()) <= 5, per_tenant


def test_unrelated_records_in_the_tenant_zones_are_untouched(onboarded):
    for zone, before in onboarded["before"].items():
        after = onboarded["after"][zone]
        unrelated = {r for r in before if not r[2].startswith("v=spf1")}
        assert unrelated <= after, zone


def test_an_existing_spf_record_is_merged_not_duplicated(onboarded):
    spf_at_send = [r for r in onboarded["after"]["globex.example"]
                   if r[0] == "send" and r[2].startswith("v=spf1")]
    assert len(spf_at_send) == 1
    mechanisms = spf_at_send[0][2].split()
    assert "include:_spf.globex.example" in mechanisms and mechanisms[-1] == "~all"
    assert any(m.startswith("include:") and "sendcloud" in m for m in mechanisms)
    report = json.loads((onboarded["workdir"] / "reports" / "globex.json").read_text())
    spf = next(r for r in report["records"] if r["purpose"] == "spf")
    assert spf["value"] == spf_at_send[0][2]   # what the zone serves, not only SendCloud's include
    assert spf["sendcloud_value"].startswith("v=spf1 include:") and spf["sendcloud_value"] != spf["value"]


def test_no_secret_reaches_the_output_or_the_reports(sandbox, onboarded):
    secrets = [a["api_key"] for a in sandbox.seed["sendcloud"]["accounts"]]
    secrets += [a["secret_key"] for a in sandbox.seed["dnspod"]["accounts"]]
    secrets += list(sandbox.seed["platform"]["tokens"].values())
    for tenant in ("acme", "globex", "initech"):
        secrets += [u["key"] for u in credentials(onboarded["workdir"], tenant)["api_users"].values()]
    texts = [onboarded["first"].output, onboarded["second"].output]
    texts += [p.read_text() for p in (onboarded["workdir"] / "reports").iterdir()]
    texts += [p.read_text() for p in (onboarded["workdir"] / "plans").rglob("plan.*")]
    for secret in secrets:
        assert not any(secret in text for text in texts)


def _account_key(sandbox, api_user: str) -> str:
    return next(a["api_key"] for a in sandbox.seed["sendcloud"]["accounts"] if a["api_user"] == api_user)


def test_check_mode_on_a_fresh_sandbox_writes_nothing(onboarded):
    assert onboarded["check"].returncode == 0, onboarded["check"].output[-3000:]
    assert [r for r in onboarded["check_requests"] if r["kind"] == "write"] == []


def test_check_diff_shows_every_stage_s_change_for_each_tenant(onboarded):
    output = onboarded["check"].output
    assert "Callback dispatch" not in output  # a diff Ansible cannot render is dropped whole
    for tenant in ("acme", "globex", "initech"):
        for header in (f"API users of {tenant}", f"platform binding of {tenant}"):
            assert f"--- before: {header}" in output and f"+++ after: {header}" in output, header
    assert output.count("+++ after: zone ") == 3
    assert output.count("+++ after: SendCloud domain ") == 3
    assert '"value": null' not in output  # what SendCloud generates is "(known after apply)"


def _shape(document: dict) -> dict[str, list[tuple]]:
    """Per tenant, the (object, action, id) of each change; ids SendCloud generates on creation
    (the DKIM selector) are "known after apply" in the plan, so they compare by type only."""
    return {tenant: sorted((c["object"], c["action"],
                            c["id"] if "(known after apply)" not in c["id"] and "_domainkey." not in c["id"]
                            else c["id"].split()[0]) for c in entry["changes"])
            for tenant, entry in document["tenants"].items()}


def test_the_plan_of_a_fresh_sandbox_is_exactly_what_the_apply_changed(onboarded):
    plan = onboarded["check"].plan("check")
    apply_dirs = sorted((onboarded["workdir"] / "plans").glob("*-apply"))
    applied = json.loads((apply_dirs[0] / "applied.json").read_text())
    assert _shape(plan) == _shape(applied)
    assert sum(len(v) for v in _shape(plan).values()) > 0


def test_the_apply_plan_of_a_fresh_sandbox_has_the_same_checksum_as_the_check_run(onboarded):
    plan = onboarded["check"].plan("check")
    apply_dirs = sorted((onboarded["workdir"] / "plans").glob("*-apply"))
    assert json.loads((apply_dirs[0] / "plan.json").read_text())["checksum"] == plan["checksum"]
