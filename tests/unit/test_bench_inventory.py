"""The bench's generated inventory is production-shaped: its endpoints and credential directory
are written out, where the sandbox inventory reads them from the environment."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench import tenants

PORTS = {"SANDBOX_SENDCLOUD_PORT": "41001", "SANDBOX_DNSPOD_PORT": "41002",
         "SANDBOX_PLATFORM_PORT": "41003", "SANDBOX_DNS_PORT": "41004"}


def group_vars(inventory: Path) -> dict:
    return yaml.safe_load((inventory / "group_vars/tenants/sandbox.yml").read_text())


def test_endpoints_are_written_out_in_place_of_the_sandbox_lookups(tmp_path):
    endpoints = tenants.literal_endpoints(PORTS, tmp_path / "credentials")
    written = group_vars(tenants.write_inventory(tmp_path / "inventory", 2, endpoints))
    assert written["sendcloud_api_base"] == "http://127.0.0.1:41001/apiv2"
    assert written["dnspod_api_endpoint"] == "127.0.0.1:41002"
    assert written["platform_api_url"] == "http://127.0.0.1:41003/api"
    assert written["dns_nameservers"] == ["127.0.0.1:41004"]
    assert written["credentials_dir"] == str(tmp_path / "credentials")
    assert not [name for name in endpoints if "{{" in str(written[name])]


def test_without_endpoints_the_sandbox_inventory_is_kept(tmp_path):
    written = group_vars(tenants.write_inventory(tmp_path / "inventory", 1))
    assert "lookup(" in written["sandbox_sendcloud_port"]
    assert written["credentials_vault_id"] == tenants.VAULT_ID


def test_the_bench_tenants_wait_as_long_as_the_contract_says(tmp_path):
    """The sandbox inventory's short timeouts would fail the delayed runs' real waits."""
    written = group_vars(tenants.write_inventory(tmp_path / "inventory", 1))
    assert not set(tenants.SANDBOX_WAITS) & set(written)
