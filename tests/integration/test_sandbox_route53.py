"""The sandbox's Route 53 demo tenant (inventories/sandbox-route53, make demo's second run):
moto's server holds its zone, the sandbox's DNS server answers for it, so propagation and
SendCloud's verification work end to end; a rerun changes nothing; no secret is shown, even at
-vvvv; the zone's other records stay as they were."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.helpers.playbook import REPO, run_playbook
from tests.helpers.sandbox_fixture import start_sandbox

INVENTORY = "inventories/sandbox-route53"


def tenant_secrets() -> list[str]:
    """The demo tenant's vaulted values (read here, so that no test file spells them)."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    password = (REPO / "inventories/sandbox/.vault_pass").read_bytes().strip()
    vault = VaultLib([("sandbox", VaultSecret(password))])
    stored = (REPO / INVENTORY / "host_vars/umbrella/vault.yml").read_bytes()
    return list(yaml.safe_load(vault.decrypt(stored)).values())


@pytest.fixture(scope="module")
def route53_sandbox(tmp_path_factory):
    handle = start_sandbox(tmp_path_factory.mktemp("sandbox-route53"), route53=True)
    try:
        yield handle
    finally:
        handle.stop()


def zone_records(sandbox) -> dict:
    import boto3

    client = boto3.client("route53", region_name="us-east-1", endpoint_url=sandbox.route53_url,
                          aws_access_key_id="AKIAREADER", aws_secret_access_key="x")
    zone_id = client.list_hosted_zones_by_name(DNSName="umbrella.example")["HostedZones"][0]["Id"]
    rrsets = client.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(r["Name"], r["Type"]): r for r in rrsets}


def test_status_names_route53(route53_sandbox):
    status = subprocess.run([sys.executable, "-m", "sandbox", "status", "--json"], cwd=REPO,
                            env={**route53_sandbox.env, "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=30)
    assert json.loads(status.stdout)["route53"] == {"url": route53_sandbox.route53_url,
                                                    "healthy": True}


def test_the_route53_tenant_is_onboarded_and_a_rerun_changes_nothing(route53_sandbox, tmp_path):
    before = zone_records(route53_sandbox)
    applied = run_playbook(route53_sandbox, tmp_path, "-i", INVENTORY, "--diff", "-vvvv")
    assert applied.returncode == 0, applied.output[-3000:]
    rerun = run_playbook(route53_sandbox, tmp_path, "-i", INVENTORY, "-vvvv")
    assert rerun.returncode == 0 and rerun.recap()["umbrella"]["changed"] == 0, rerun.output[-3000:]

    report = json.loads((tmp_path / "reports" / "umbrella.json").read_text())
    assert report["status"] == "verified and bound", report["status"]
    after = zone_records(route53_sandbox)
    for key in [("umbrella.example.", "A"), ("umbrella.example.", "TXT"), ("www.umbrella.example.", "CNAME")]:
        assert after[key] == before[key]  # the zone's own records, untouched
    assert ("news.umbrella.example.", "MX") in after

    files = [p for p in tmp_path.rglob("*") if p.is_file() and "credentials" not in p.parts]
    secrets = tenant_secrets()
    assert len(secrets) == 3
    for secret in secrets:
        assert secret not in applied.output and secret not in rerun.output
        assert not any(secret in path.read_text(errors="ignore") for path in files)
