"""Generated tenants: a sandbox seed and a plaintext inventory for N independent tenants.

Each tenant gets its own SendCloud account (the limit is 5 domains per account), its own DNSPod
account and zone, and its own platform token. Every secret is fake and only valid against the
bench's private sandbox; the inventory is written to a temporary directory, never committed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

VAULT_ID = "bench"
RECORDS_PER_TENANT = 4  # domestic layout: SPF, DKIM, MX, DMARC


def tenant_id(index: int) -> str:
    return f"t{index:04d}"


def zone_of(index: int) -> str:
    return f"{tenant_id(index)}.bench.example"


def sending_domain_of(index: int, label: str = "news") -> str:
    return f"{label}.{zone_of(index)}"


def _fake_secret(kind: str, index: int) -> str:
    return hashlib.sha256(f"bench-{kind}-{index}".encode()).hexdigest()[:32]


def secrets_of(index: int) -> dict[str, str]:
    return {
        "sendcloud_api_user": f"{tenant_id(index)}_admin",
        "sendcloud_api_key": _fake_secret("sendcloud", index),
        "dnspod_secret_id": "AKID" + _fake_secret("dnspod-id", index),
        "dnspod_secret_key": _fake_secret("dnspod-key", index),
        "platform_api_token": "pt-" + _fake_secret("platform", index),
    }


def _sendcloud_account(index: int) -> dict[str, Any]:
    secrets = secrets_of(index)
    return {
        "api_user": secrets["sendcloud_api_user"],
        "api_key": secrets["sendcloud_api_key"],
        "edition": "domestic",
        "verify_layout": "domestic",
        "user_name": tenant_id(index),
        "email": f"it@{zone_of(index)}",
        "phone": "13800000001",
        "account_type": "付费用户",
        "website_auth": True,
        "business_auth": True,
        "balance": 1000.0,
        "available_balance": 1000.0,
        "quota": 3000,
        "today_used_quota": 0,
        "reputation": 90.0,
    }


def _dnspod_account(index: int) -> dict[str, Any]:
    secrets = secrets_of(index)
    zone = {"name": zone_of(index), "grade": "DP_Free", "records": [
        {"name": "@", "type": "A", "value": "192.0.2.10", "ttl": 600},
    ]}
    return {"secret_id": secrets["dnspod_secret_id"], "secret_key": secrets["dnspod_secret_key"],
            "zones": [zone]}


def seed(base: dict[str, Any], count: int, dns_delay_s: float = 0,
         verify_lag_s: float = 0) -> dict[str, Any]:
    """``base`` (the default seed, for its listen block) with N generated tenants only; every
    zone serves a change ``dns_delay_s`` after it, SendCloud verifies ``verify_lag_s`` after
    the records are served."""
    generated = dict(base)
    generated["sendcloud"] = {"accounts": [_sendcloud_account(i) for i in range(count)],
                              "verify_lag_s": verify_lag_s}
    generated["dnspod"] = {"accounts": [_dnspod_account(i) for i in range(count)]}
    generated["platform"] = {
        "tokens": {tenant_id(i): secrets_of(i)["platform_api_token"] for i in range(count)}
    }
    generated["dns"] = {"propagation_delay": {zone_of(i): dns_delay_s for i in range(count)}
                        if dns_delay_s else {}}
    return generated


def host_vars(index: int, label: str = "news") -> dict[str, Any]:
    """``label``: the sending domain's first label (``mail`` for the rebind's new domain)."""
    domain = sending_domain_of(index, label)
    return {
        "sending_domain": domain,
        "dns_zone": zone_of(index),
        "sendcloud_edition": "domestic",
        "sendcloud_tracking": {"open": True, "click": False, "unsubscribe": True},
        "dns_provider": "dnspod",
        "sender_address": f"marketing@{domain}",
        "sender_name": tenant_id(index),
        "reply_to_address": f"service@{zone_of(index)}",
        **secrets_of(index),
    }


# The sandbox inventory's short waits (a sandbox answers at once); the bench's tenants keep the
# contract's defaults, as a production inventory does: the delayed runs wait like real services.
SANDBOX_WAITS = ("dns_propagation_timeout", "sendcloud_verify_timeout", "sendcloud_verify_interval")


def sandbox_group_vars(vault_password_file: Path) -> dict[str, Any]:
    """Like inventories/sandbox/group_vars/tenants/sandbox.yml, pointed at the bench's files,
    without its short waits."""
    repo_vars = Path(__file__).resolve().parents[1] / "inventories/sandbox/group_vars/tenants"
    group_vars = yaml.safe_load((repo_vars / "sandbox.yml").read_text())
    for name in SANDBOX_WAITS:
        group_vars.pop(name, None)
    group_vars["credentials_vault_password_file"] = str(vault_password_file)
    group_vars["credentials_vault_id"] = VAULT_ID
    return group_vars


def literal_endpoints(ports: dict[str, str], credentials_dir: Path) -> dict[str, Any]:
    """The sandbox's endpoints and the credential directory written out, as in a production
    inventory (inventories/example). The sandbox inventory reads them from the environment with
    ``lookup``s, so that a second sandbox can run on other ports; rendered in every task of every
    tenant, those would be the inventory's cost, not the project's."""
    host = "127.0.0.1"
    return {
        "sendcloud_api_base": f"http://{host}:{ports['SANDBOX_SENDCLOUD_PORT']}/apiv2",
        "dnspod_api_endpoint": f"{host}:{ports['SANDBOX_DNSPOD_PORT']}",
        "dns_nameservers": [f"{host}:{ports['SANDBOX_DNS_PORT']}"],
        "platform_api_url": f"http://{host}:{ports['SANDBOX_PLATFORM_PORT']}/api",
        "credentials_dir": str(credentials_dir),
    }


def write_inventory(directory: Path, count: int,
                    endpoints: dict[str, Any] | None = None, label: str = "news") -> Path:
    """hosts.yml + group_vars for N tenants, with ``endpoints`` (``literal_endpoints``) written
    over the sandbox inventory's lookups when given, each sending domain ``label``.<zone>;
    returns the inventory directory."""
    directory.mkdir(parents=True, exist_ok=True)
    password_file = directory / ".vault_pass"
    password_file.write_text("bench-only-vault-password\n")
    password_file.chmod(0o600)
    hosts = {"tenants": {"hosts": {tenant_id(i): host_vars(i, label) for i in range(count)}}}
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts, allow_unicode=True))
    group_dir = directory / "group_vars" / "tenants"
    group_dir.mkdir(parents=True, exist_ok=True)
    group_vars = sandbox_group_vars(password_file) | (endpoints or {})
    (group_dir / "sandbox.yml").write_text(yaml.safe_dump(group_vars, allow_unicode=True))
    return directory
