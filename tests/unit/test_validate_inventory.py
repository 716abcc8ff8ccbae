from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def validate(inventory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scripts.validate_inventory", str(inventory)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_the_sandbox_inventory_is_valid():
    assert validate(REPO / "inventories/sandbox").returncode == 0


def test_every_problem_is_reported_with_tenant_field_and_fix(tmp_path):
    (tmp_path / "hosts.yml").write_text("""
tenants:
  hosts:
    bad:
      sending_domain: news_letter.acme.example
      sendcloud_edition: europe
      sendcloud_api_user: bad_admin
      sendcloud_api_key: x
      sender_address: not-an-address
      reply_to_address: ok@acme.example
      platform_api_url: http://p
      platform_api_token: t
      dns_provider: dnspod
    twin:
      sending_domain: news_letter.acme.example
""")
    result = validate(tmp_path / "hosts.yml")
    assert result.returncode == 1
    problems = result.stderr
    assert "tenant bad: sendcloud_edition: is 'europe'. Fix: use one of domestic, overseas" in problems
    assert "tenant bad: sending_domain: label 'news_letter'" in problems
    assert "tenant bad: sender_address: 'not-an-address' is not a valid e-mail address" in problems
    assert "tenant bad: dnspod_secret_id: is missing (dns_provider is dnspod)" in problems
    assert "tenant twin: sendcloud_api_user: is missing" in problems
    assert "tenant bad: credentials_vault_password_file: is missing" in problems
    assert "also used by tenant bad" in problems
