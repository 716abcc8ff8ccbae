"""mailops.prom, read back with prometheus_client's own parser (as the node exporter's textfile
collector would take it)."""

from __future__ import annotations

from ansible.module_utils.mailops.fleet_metrics import RUN_METRICS, TENANT_METRICS, write_metrics
from ansible.module_utils.mailops.fleet_view import fleet_view
from prometheus_client.parser import text_string_to_metric_families

ACME = {"tenant_id": "acme", "status": "verified and bound",
        "domain": {"name": "news.acme.example", "items": {"spf": True, "dkim": False, "mx": True}},
        "binding": {"sending_domain": "news.acme.example"},
        "api_users": [{"name": "acme_batch", "role": "batch", "key_stored": True},
                      {"name": "acme_trigger", "role": "trigger", "key_stored": True}],
        "account": {"quota": 3000, "quota_used": 120, "quota_remaining": 2880, "reputation": 82.5,
                    "available_balance": 5.0, "balance_low": True}}
INITECH = {**ACME, "tenant_id": "initech", "status": "failed", "error": "binding stage: HTTP 500",
           "domain": {"name": "notify.initech.example", "items": {}}, "account": {}}
AUDIT = {"generated_at": "T", "tenants": {"acme": {"drift": [], "key_probes": {
    "acme_batch": {"authenticated": True, "reason": ""},
    "acme_trigger": {"authenticated": False, "reason": "refused (40005)"}}}}}


def samples(path) -> dict[tuple, float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(path.read_text())
            for sample in family.samples}


def test_tenant_metrics_are_labelled_by_tenant_and_domain_and_hold_the_fleet_view(tmp_path):
    path = tmp_path / "mailops.prom"
    write_metrics(path, fleet_view([ACME, INITECH], AUDIT)["rows"], "onboard", 1, 100.0, now=112.5)
    found = samples(path)
    acme = (("domain", "news.acme.example"), ("tenant", "acme"))
    assert found[("mailops_tenant_verified_items", acme)] == 2
    assert found[("mailops_tenant_verification_items", acme)] == 3
    assert found[("mailops_tenant_quota_remaining", acme)] == 2880
    assert found[("mailops_tenant_quota_limit", acme)] == 3000
    assert found[("mailops_tenant_reputation", acme)] == 82.5
    assert found[("mailops_tenant_balance_low", acme)] == 1
    assert found[("mailops_tenant_keys_probed_ok", acme)] == 1
    assert found[("mailops_tenant_drift", acme)] == 0
    initech = (("domain", "notify.initech.example"), ("tenant", "initech"))
    assert found[("mailops_tenant_failed", initech)] == 1
    # not audited: no drift or key figure at all rather than a reassuring 0
    assert ("mailops_tenant_drift", initech) not in found
    assert ("mailops_tenant_quota_limit", initech) not in found   # not known
    assert found[("mailops_run_tenants_failed", (("run", "onboard"),))] == 1
    assert found[("mailops_run_duration_seconds", (("run", "onboard"),))] == 12.5
    # a run with a failed tenant is no success
    assert ("mailops_run_last_success_timestamp_seconds", (("run", "onboard"),)) not in found
    names = {name for name, _ in found}
    assert names <= set(TENANT_METRICS) | set(RUN_METRICS)
    assert {key for _, labels in found for key, _ in labels} <= {"tenant", "domain", "run"}


def test_a_run_keeps_the_other_kinds_figures_and_its_own_last_success_when_it_fails(tmp_path):
    path = tmp_path / "mailops.prom"
    rows = fleet_view([ACME], None)["rows"]
    write_metrics(path, rows, "onboard", 0, 90.0, now=100.0)
    write_metrics(path, rows, "audit", 0, 195.0, now=200.0)
    write_metrics(path, rows, "onboard", 2, None, now=300.0)
    found = samples(path)
    assert found[("mailops_run_last_success_timestamp_seconds", (("run", "onboard"),))] == 100.0
    assert found[("mailops_run_last_success_timestamp_seconds", (("run", "audit"),))] == 200.0
    assert found[("mailops_run_duration_seconds", (("run", "audit"),))] == 5.0
    assert found[("mailops_run_tenants_failed", (("run", "onboard"),))] == 2
    # no start given: no duration, rather than the earlier run's
    assert ("mailops_run_duration_seconds", (("run", "onboard"),)) not in found
