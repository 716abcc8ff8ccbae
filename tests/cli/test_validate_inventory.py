from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def validate(inventory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scripts.validate_inventory", str(inventory)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_the_sandbox_inventory_is_valid():
    assert validate(REPO / "inventories/sandbox").returncode == 0


def test_the_example_inventory_lacks_only_the_secrets_it_leaves_to_its_user():
    result = validate(REPO / "inventories/example")
    problems = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(problems) == 8
    assert all("refers to vault_" in line and "which is not defined for this tenant" in line
               for line in problems)


def test_the_example_inventory_with_its_secrets_defined_is_valid(tmp_path):
    shutil.copytree(REPO / "inventories/example", tmp_path / "prod")
    secrets = {name: "not-a-real-secret" for name in (
        "vault_sendcloud_api_key", "vault_dnspod_secret_key", "vault_rfc2136_key_secret",
        "vault_platform_api_token")}
    (tmp_path / "prod" / "group_vars" / "tenants" / "vault.yml").write_text(yaml.safe_dump(secrets))
    result = validate(tmp_path / "prod")
    assert result.returncode == 0, result.stderr


def test_a_misspelt_reference_is_named_with_the_variable_that_holds_it(tmp_path):
    (tmp_path / "hosts.yml").write_text(
        TENANT.replace("platform_api_token: t", "platform_api_token: '{{ vault_platfrom_token }}'")
        + "      vault_platform_token: t\n")
    refused = validate(tmp_path / "hosts.yml")
    assert refused.returncode == 1
    assert ("tenant acme: platform_api_token: refers to vault_platfrom_token, which is not defined"
            in refused.stderr)


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
    assert "tenants bad and twin have the same sending_domain 'news_letter.acme.example'" in problems


TENANT = f"""
tenants:
  hosts:
    acme:
      sending_domain: news.acme.example
      sendcloud_api_user: acme_admin
      sendcloud_api_key: x
      sender_address: hello@acme.example
      reply_to_address: ok@acme.example
      platform_api_url: http://p
      platform_api_token: t
      credentials_vault_password_file: {REPO / 'inventories/sandbox/.vault_pass'}
      dnspod_secret_id: id
      dnspod_secret_key: key
"""


def test_a_sender_outside_the_domain_is_refused_only_where_the_run_refuses_it(tmp_path):
    (tmp_path / "hosts.yml").write_text(TENANT + "      sender_name: Acme\n")
    refused = validate(tmp_path / "hosts.yml")
    assert refused.returncode == 1
    assert "sender_address: 'hello@acme.example' is not on the sending domain" in refused.stderr
    (tmp_path / "hosts.yml").write_text(
        TENANT + "      sender_name: Acme\n      preflight_sender_domain_mismatch: warn\n")
    assert validate(tmp_path / "hosts.yml").returncode == 0


def test_the_sender_name_the_platform_refuses_is_reported(tmp_path):
    (tmp_path / "hosts.yml").write_text(
        TENANT.replace("hello@acme.example", "hello@news.acme.example") + '      sender_name: ""\n')
    result = validate(tmp_path / "hosts.yml")
    assert result.returncode == 1
    assert "tenant acme: sender_name: '' must be 1-64 characters" in result.stderr
    (tmp_path / "hosts.yml").write_text(TENANT.replace("hello@acme.example", "hello@news.acme.example"))
    assert "tenant acme: sender_name: is missing" in validate(tmp_path / "hosts.yml").stderr


def validate_tenant_with(tmp_path: Path, extra: str) -> subprocess.CompletedProcess:
    """A valid tenant acme with the YAML lines ``extra`` added to its variables."""
    (tmp_path / "hosts.yml").write_text(
        TENANT.replace("hello@acme.example", "hello@news.acme.example")
        + f"      sender_name: Acme\n      {extra}\n")
    return validate(tmp_path / "hosts.yml")


def test_a_value_of_the_wrong_type_is_reported_as_the_run_would(tmp_path):
    result = validate_tenant_with(tmp_path, "dns_ttl: ten\n      allow_existing_mx: maybe")
    assert result.returncode == 1
    assert "tenant acme: dns_ttl: argument 'dns_ttl' is of type" in result.stderr
    assert "tenant acme: allow_existing_mx: argument 'allow_existing_mx' is of type" in result.stderr


def test_a_list_or_mapping_where_a_string_goes_is_reported():
    """Ansible's str type would take ['k1', 'k2'] as the text "['k1', 'k2']"."""
    from scripts.validate_inventory import type_problems
    assert type_problems({"sendcloud_api_key": ["k1", "k2"]}) == {
        "sendcloud_api_key": ["is a list, not a string"]}
    assert type_problems({"platform_api_token": {"a": 1}}) == {
        "platform_api_token": ["is a mapping, not a string"]}
    assert type_problems({"sendcloud_api_key": "k1"}) == {}


def test_an_inventory_that_does_not_parse_says_why(tmp_path):
    (tmp_path / "hosts.yml").write_text("tenants:\n  hosts:\n    acme: {sending_domain: [\n")
    result = validate(tmp_path / "hosts.yml")
    assert result.returncode != 0
    assert "ansible-inventory failed" in result.stderr and "hosts.yml" in result.stderr


def test_a_vault_password_file_that_does_not_exist_is_reported(tmp_path):
    tenant = TENANT.replace("hello@acme.example", "hello@news.acme.example") + "      sender_name: Acme\n"
    (tmp_path / "hosts.yml").write_text(tenant)
    assert validate(tmp_path / "hosts.yml").returncode == 0
    missing = tmp_path / "prod.pass"   # in a directory that exists: shown (else it may be the password)
    (tmp_path / "hosts.yml").write_text(
        tenant.replace(str(REPO / "inventories/sandbox/.vault_pass"), str(missing)))
    result = validate(tmp_path / "hosts.yml")
    assert f"tenant acme: credentials_vault_password_file: {missing} does not exist" in result.stderr


def test_the_members_of_tracking_and_api_user_names_are_checked(tmp_path):
    result = validate_tenant_with(tmp_path, "sendcloud_tracking: {open: true, clicks: true}")
    assert result.returncode == 1
    assert "tenant acme: sendcloud_tracking:" in result.stderr and "clicks" in result.stderr
    result = validate_tenant_with(tmp_path, "sendcloud_api_users: {batch: acme_batch}")
    assert "tenant acme: sendcloud_api_users:" in result.stderr and "trigger" in result.stderr


def test_a_misspelt_contract_variable_is_reported_with_the_name_meant(tmp_path):
    result = validate_tenant_with(tmp_path, "dns_on_conflcit: replace\n      my_own_note: hello")
    assert result.returncode == 1
    assert ("tenant acme: dns_on_conflcit: is not a variable of the inventory contract "
            "(did you mean dns_on_conflict?)") in result.stderr
    assert "my_own_note" not in result.stderr


def test_a_reference_with_a_default_is_not_required(tmp_path):
    """It cannot be undefined at run time: Ansible renders the default."""
    defaulted = "'{{ vault_platform_token | default(lookup(\"env\", \"PLATFORM_TOKEN\")) }}'"
    (tmp_path / "hosts.yml").write_text(
        TENANT.replace("platform_api_token: t", f"platform_api_token: {defaulted}"))
    assert "vault_platform_token" not in validate(tmp_path / "hosts.yml").stderr


def test_values_a_type_check_cannot_judge_are_reported(tmp_path):
    (tmp_path / "hosts.yml").write_text(TENANT.replace("http://p", "ftp://x") + """
      dns_ttl: -5
      dns_nameservers: ["127.0.0.1:99999"]
      tenant_id: ../../x
""")
    problems = validate(tmp_path / "hosts.yml").stderr
    assert "tenant acme: dns_ttl: -5 is not a TTL within 1..604800 seconds. Fix: " in problems
    assert "tenant acme: platform_api_url: 'ftp://x' is not an http:// or https:// URL" in problems
    assert "tenant acme: dns_nameservers: '127.0.0.1:99999': port 99999 is not within" in problems
    assert "tenant acme: tenant_id: '../../x' may hold only letters" in problems


def vaulted_inventory(tmp_path: Path) -> tuple[Path, Path]:
    """An inventory whose host_vars file is vaulted with the vault id prod."""
    inventory = tmp_path / "prod"
    (inventory / "host_vars" / "acme").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(TENANT.replace("hello@acme.example", "hello@news.acme.example")
                                         + "      sender_name: Acme\n")
    secret_file = inventory / "host_vars" / "acme" / "vault.yml"
    secret_file.write_text("vault_note: x\n")
    password = tmp_path / "prod.pass"
    password.write_text("prod-password")
    subprocess.run([str(Path(sys.executable).parent / "ansible-vault"), "encrypt", "--vault-id",
                    f"prod@{password}", "--encrypt-vault-id", "prod", str(secret_file)],
                   cwd=REPO, check=True, capture_output=True, timeout=60)
    return inventory, password


def test_a_vaulted_inventory_is_validated_with_its_vault_id(tmp_path):
    inventory, password = vaulted_inventory(tmp_path)
    without = validate(inventory)
    assert without.returncode != 0
    assert (f"cannot decrypt {inventory}/host_vars/acme/vault.yml (vault id prod): no password for "
            f"its vault id was given. Fix: make validate INVENTORY={inventory} "
            "VAULT_ID='prod@/path/to/prod.pass'") in without.stderr
    with_id = subprocess.run([sys.executable, "-m", "scripts.validate_inventory", "--vault-id",
                              f"prod@{password}", str(inventory)],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    assert with_id.returncode == 0, with_id.stderr
    assert "1 tenants checked" in with_id.stdout


def test_make_validate_passes_each_vault_id_on():
    planned = subprocess.run(["make", "-n", "validate", "INVENTORY=inventories/prod",
                              "VAULT_ID=prod@/secure/prod.pass other@prompt"],
                             cwd=REPO, capture_output=True, text=True, timeout=60)
    assert ("-m scripts.validate_inventory --vault-id prod@/secure/prod.pass --vault-id other@prompt "
            "inventories/prod") in planned.stdout


def test_a_vault_key_store_without_address_or_credential_is_reported(tmp_path, monkeypatch):
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    result = validate_tenant_with(tmp_path, "mailops_key_store: vault")
    assert result.returncode == 1
    assert "tenant acme: key_store_vault_url: is empty and VAULT_ADDR is not set" in result.stderr
    assert "tenant acme: key_store_vault_token: is empty" in result.stderr
    result = validate_tenant_with(tmp_path, "mailops_key_store: vault\n"
                                  "      key_store_vault_url: https://bao.example:8200\n"
                                  "      key_store_vault_role_id: mailops")
    assert "key_store_vault_secret_id: is empty while key_store_vault_role_id is set" in result.stderr
    monkeypatch.setenv("VAULT_ADDR", "https://bao.example:8200")
    monkeypatch.setenv("VAULT_TOKEN", "from-the-environment")
    assert validate_tenant_with(tmp_path, "mailops_key_store: vault").returncode == 0


def test_a_misspelt_notification_variable_is_reported(tmp_path):
    result = validate_tenant_with(tmp_path, "mailops_notify_target: ['json://127.0.0.1/hook']")
    assert result.returncode == 1
    assert "(did you mean mailops_notify_targets?)" in result.stderr
    assert "127.0.0.1/hook" not in result.stderr   # a target's URL is never echoed
