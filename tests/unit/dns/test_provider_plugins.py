"""A provider is one file (module_utils/mailops/dns/providers/<name>.py) that declares its
quirks, its options and its client: the factory finds it, the modules take its options, the
tenant's arguments and the inventory validator read its variables. These tests hold every
place that must agree with those declarations to them (docs, role specs, role tasks,
defaults), so that a new provider file that leaves one out fails here."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.mailops.dns import providers
from ansible.module_utils.mailops.dns.providers import (
    build_provider,
    option_specs,
    plugin,
    plugins,
    provider_names,
    provider_options,
)
from ansible.module_utils.mailops.dns.providers.base import DNSProvider
from ansible.module_utils.mailops.dns.record_set import RECORD_SET_ARGS
from ansible.module_utils.mailops.errors import ValidationError
from ansible.module_utils.mailops.tenant_inputs import CONTRACT, tenant_args

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "module_utils/mailops/dns/providers"
ROLE_SPEC_TYPES = {"str": ("str", "path"), "int": ("int",), "bool": ("bool",)}


def load_fragment():
    path = REPO / "doc_fragments/mailops_dns_provider.py"
    spec = importlib.util.spec_from_file_location("mailops_dns_provider", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def role_options(role: str) -> dict:
    document = yaml.safe_load((REPO / "roles" / role / "meta/argument_specs.yml").read_text())
    return document["argument_specs"]["main"]["options"]


def test_every_provider_file_is_a_provider_of_its_name():
    files = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "base"))
    assert provider_names() == tuple(files)
    assert [each.name for each in plugins()] == files


def test_the_module_bundle_names_every_provider_file():
    # AnsiballZ carries only the module_utils imported by name (providers/__init__.py)
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    bundled = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module == "ansible.module_utils.mailops.dns.providers"
               for alias in node.names}
    assert bundled == set(provider_names())


def test_the_module_takes_every_providers_options():
    assert RECORD_SET_ARGS["provider"]["choices"] == list(provider_names())
    for option in provider_options():
        assert RECORD_SET_ARGS[option.option] == option.argument_spec()
        # a secret never reaches a log or a result
        assert RECORD_SET_ARGS[option.option].get("no_log", False) is option.secret


def test_the_docs_describe_every_providers_options_as_declared():
    fragment = load_fragment()
    documented = yaml.safe_load(fragment.PROVIDER_OPTIONS)
    assert set(documented) == set(option_specs())
    for option in provider_options():
        doc = documented[option.option]
        assert doc["type"] == option.type
        assert doc.get("default") == option.default
        assert tuple(doc.get("choices", ())) == option.choices
        assert doc["description"] == option.description
    choices = yaml.safe_load(fragment.PROVIDER)["provider"]["choices"]
    assert choices == list(provider_names())


@pytest.mark.parametrize("role", ["tenant", "sending_domain"])
def test_the_role_specs_declare_every_providers_variables(role):
    options = role_options(role)
    assert options["dns_provider"]["choices"] == list(provider_names())
    for option in provider_options():
        declared = options[option.inventory_variable]
        assert declared["type"] in ROLE_SPEC_TYPES[option.type], option.inventory_variable
        assert declared.get("no_log", False) is option.secret, option.inventory_variable
        assert tuple(declared.get("choices", ())) == option.choices


def test_the_sending_domain_role_passes_every_provider_option():
    tasks = yaml.safe_load((REPO / "roles/sending_domain/tasks/main.yml").read_text())
    dns = next(task["mailops_sending_domain"]["dns"] for task in tasks
               if "mailops_sending_domain" in task)
    for option in provider_options():
        assert option.inventory_variable in str(dns.get(option.option)), option.option


def test_the_defaults_agree_with_the_declared_defaults():
    defaults = yaml.safe_load((REPO / "roles/mailops_defaults/defaults/main.yml").read_text())
    for option in provider_options():
        if option.inventory_variable in defaults and option.default is not None:
            assert defaults[option.inventory_variable] == option.default


def test_the_tenant_gives_the_stage_each_provider_variable_it_defines():
    variables = {option.inventory_variable: f"v-{option.option}" for option in provider_options()}
    assert {option.inventory_variable for option in provider_options()} <= set(CONTRACT)
    dns = tenant_args(TenantVariables(variables))["dns"]
    for option in provider_options():
        assert dns[option.option] == f"v-{option.option}"


class TenantVariables(dict):
    """Every contract variable a tenant_args call reads, with a placeholder where not given."""

    def __missing__(self, name):
        return {"sendcloud_tracking": {}, "dns_zone": ""}.get(name, f"x-{name}")


def test_an_unknown_provider_names_the_ones_there_are():
    with pytest.raises(ValidationError, match="not supported") as raised:
        plugin("route66")
    assert raised.value.hint == f"use one of {', '.join(provider_names())}"


def test_a_required_option_without_value_names_its_variable_before_any_client_exists():
    with pytest.raises(ValidationError, match="provider manual needs manual_change_dir") as raised:
        build_provider({"provider": "manual"}, environ={})
    assert "dns_manual_change_dir" in raised.value.hint


NEW_PROVIDER = '''
from ansible.module_utils.mailops.dns.providers.base import (
    DNSProvider, ProviderInfo, ProviderOption, ProviderPlugin)

class Client(DNSProvider):
    info = ProviderInfo(name="acmedns", default_ttl=300, min_ttl=60, min_ttl_rule="60")

    def __init__(self, token, region="eu"):
        self.token, self.region = token, region

PLUGIN = ProviderPlugin(
    info=Client.info,
    options=(ProviderOption("acmedns_token", "token", "Token.", required=True, secret=True,
                            env=("ACMEDNS_TOKEN",)),
             ProviderOption("acmedns_region", "region", "Region.", default="eu")),
    build=lambda arguments, context: Client(**arguments),
)
'''


@pytest.fixture
def new_provider_file(tmp_path, monkeypatch):
    """A provider file dropped beside the others (a directory on the package's path)."""
    (tmp_path / "acmedns.py").write_text(NEW_PROVIDER)
    monkeypatch.setattr(providers, "__path__", [*providers.__path__, str(tmp_path)])
    yield
    sys.modules.pop(f"{providers.__name__}.acmedns", None)


def test_a_new_provider_file_is_found_and_built_from_its_options(new_provider_file):
    assert "acmedns" in provider_names()
    assert option_specs()["acmedns_token"] == {"type": "str", "no_log": True}
    client = build_provider({"provider": "acmedns", "acmedns_token": "t-1"}, environ={})
    assert isinstance(client, DNSProvider)
    assert (client.token, client.region) == ("t-1", "eu")


def test_a_providers_environment_variable_stands_in_for_an_unset_option(new_provider_file):
    client = build_provider({"provider": "acmedns"}, environ={"ACMEDNS_TOKEN": "from-env"})
    assert client.token == "from-env"
    given = build_provider({"provider": "acmedns", "acmedns_token": "given"},
                           environ={"ACMEDNS_TOKEN": "from-env"})
    assert given.token == "given"


def test_a_missing_credential_names_the_variable_and_its_environment_variable(new_provider_file):
    with pytest.raises(ValidationError, match="provider acmedns needs acmedns_token") as raised:
        build_provider({"provider": "acmedns"}, environ={})
    assert raised.value.hint.startswith("set acmedns_token (or the environment variable ACMEDNS_TOKEN)")
