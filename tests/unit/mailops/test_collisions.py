"""Tenants that collide (module_utils/mailops/collisions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.module_utils.mailops.collisions import (
    default_api_users,
    refuse_collisions,
    tenant_collisions,
)
from ansible.module_utils.mailops.errors import ValidationError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

DEFAULTS = Path(__file__).resolve().parents[3] / "roles/mailops_defaults/defaults/main.yml"


def tenant(tenant_id: str, domain: str, *users: str) -> dict:
    return {"tenant_id": tenant_id, "sending_domain": domain, "api_users": list(users)}


@pytest.mark.parametrize("tenant_id", ["acme", "acme-cn", "a.b c", "x" * 40])
def test_the_default_api_user_names_are_the_defaults_files_rule(tenant_id):
    names = yaml.safe_load(DEFAULTS.read_text())["sendcloud_api_users"]
    templar = Templar(loader=DataLoader(), variables={"tenant_id": tenant_id})
    rendered = [templar.template(trust_as_template(names[role])) for role in ("batch", "trigger")]
    assert default_api_users(tenant_id) == rendered


def test_distinct_tenants_do_not_collide():
    assert tenant_collisions({"acme": tenant("acme", "news.acme.example", "acme_batch", "acme_trigger"),
                              "globex": tenant("globex", "send.globex.example", "g_batch", "g_trigger")}) == []


def test_each_shared_name_is_named_with_both_hosts():
    problems = tenant_collisions({
        "acme": tenant("acme", "news.acme.example", "acme_batch", "acme_trigger"),
        "globex": tenant("acme", "News.Acme.Example.", "acme_batch", "g_trigger")})
    assert [p.split(":")[0] for p in problems] == [
        "tenants acme and globex have the same tenant_id 'acme'",
        "tenants acme and globex have the same sending_domain 'News.Acme.Example.'",
        "tenants acme and globex have the same API user name 'acme_batch'"]
    assert all("Fix: give each tenant its own" in p for p in problems)


def test_default_names_that_collide_after_cleaning_are_found():
    tenants = {host: tenant(host, f"news.{host}.example", *default_api_users(host))
               for host in ("acme-cn", "acme_cn")}
    assert len(tenant_collisions(tenants)) == 2   # acme_cn_batch and acme_cn_trigger


def test_with_the_runs_hosts_only_their_collisions_count():
    tenants = {"acme": tenant("acme", "a.example"), "globex": tenant("acme", "b.example"),
               "initech": tenant("initech", "c.example")}
    assert tenant_collisions(tenants, ["initech"]) == []
    assert len(tenant_collisions(tenants, ["globex"])) == 1


def test_missing_values_are_left_to_the_tenants_own_checks():
    tenants = {"acme": {"tenant_id": None, "sending_domain": ""}, "globex": {"sending_domain": ""}}
    assert tenant_collisions(tenants) == []


def test_a_collision_refuses_the_run():
    with pytest.raises(ValidationError, match="1 collision"):
        refuse_collisions({"tenants": {"a": tenant("x", "a.example"), "b": tenant("x", "b.example")},
                           "hosts": None}, check_mode=False)
