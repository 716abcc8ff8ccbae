"""The sandbox's Cloudflare demo tenant (inventories/sandbox-cloudflare, make demo's third run):
the Cloudflare emulator holds its zone, the sandbox's DNS server answers for it, so propagation
and SendCloud's verification work end to end; a rerun changes nothing; no secret is shown, even
at -vvvv; the zone's other records stay as they were."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers.playbook import REPO, run_playbook
from tests.helpers.sandbox_fixture import start_sandbox

INVENTORY = "inventories/sandbox-cloudflare"


def tenant_secrets() -> list[str]:
    """The demo tenant's vaulted values (read here, so that no test file spells them)."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    password = (REPO / "inventories/sandbox/.vault_pass").read_bytes().strip()
    vault = VaultLib([("sandbox", VaultSecret(password))])
    stored = (REPO / INVENTORY / "host_vars/wayne/vault.yml").read_bytes()
    return list(yaml.safe_load(vault.decrypt(stored)).values())


@pytest.fixture(scope="module")
def cf_sandbox(tmp_path_factory):
    handle = start_sandbox(tmp_path_factory.mktemp("sandbox-cloudflare"))
    try:
        yield handle
    finally:
        handle.stop()


def zone_records(sandbox) -> dict:
    from cloudflare import Cloudflare

    token = tenant_secrets()[1]
    client = Cloudflare(api_token=token, base_url=sandbox.cloudflare_url, max_retries=0)
    zone_id = client.zones.list(name="wayne.example").result[0].id
    return {(r.name, r.type, r.content): r.to_json() for r in client.dns.records.list(
        zone_id=zone_id)}


def test_the_cloudflare_tenant_is_onboarded_and_a_rerun_changes_nothing(cf_sandbox, tmp_path):
    before = zone_records(cf_sandbox)
    applied = run_playbook(cf_sandbox, tmp_path, "-i", INVENTORY, "--diff", "-vvvv")
    assert applied.returncode == 0, applied.output[-3000:]
    writes = len(cf_sandbox.requests(kind="write"))
    rerun = run_playbook(cf_sandbox, tmp_path, "-i", INVENTORY, "-vvvv")
    assert rerun.returncode == 0 and rerun.recap()["wayne"]["changed"] == 0, rerun.output[-3000:]
    assert len(cf_sandbox.requests(kind="write")) == writes  # nothing written anywhere

    report = json.loads((tmp_path / "reports" / "wayne.json").read_text())
    assert report["status"] == "verified and bound", report["status"]
    after = zone_records(cf_sandbox)
    assert {key: after[key] for key in before} == before  # the zone's own records, untouched
    assert {(n, t) for n, t, _ in after} >= {
        ("news.wayne.example", "MX"), ("news.wayne.example", "TXT"),
        ("_dmarc.news.wayne.example", "TXT")}

    files = [p for p in tmp_path.rglob("*") if p.is_file() and "credentials" not in p.parts]
    secrets = tenant_secrets()
    assert len(secrets) == 3
    for secret in secrets:
        assert secret not in applied.output and secret not in rerun.output
        assert not any(secret in path.read_text(errors="ignore") for path in files)
