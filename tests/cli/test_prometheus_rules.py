"""docs/prometheus/mailops.rules.yml with Prometheus's own promtool (Debian's prometheus package,
installed by scripts/ensure-system-packages): it is a valid rules file, and its alerts fire on
the series the project's metrics file holds (written by write_metrics, read back with
prometheus_client's parser) and stay quiet on a healthy tenant."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.mailops.fleet_metrics import write_metrics
from ansible.module_utils.mailops.fleet_view import fleet_view
from prometheus_client.parser import text_string_to_metric_families

RULES = Path(__file__).resolve().parents[2] / "docs/prometheus/mailops.rules.yml"
PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian: prometheus) is not installed")

HEALTHY = {"tenant_id": "globex", "status": "verified and bound",
           "domain": {"name": "send.globex.example", "items": {"spf": True, "dkim": True}},
           "binding": {"sending_domain": "send.globex.example"},
           "api_users": [{"name": "globex_batch", "role": "batch", "key_stored": True}],
           "account": {"quota": 6000, "quota_used": 0, "quota_remaining": 6000, "reputation": 95.0}}
TROUBLED = {**HEALTHY, "tenant_id": "initech", "status": "failed", "error": "binding stage: HTTP 500",
            "domain": {"name": "notify.initech.example", "items": {"spf": True, "dkim": False}},
            "api_users": [{"name": "initech_batch", "role": "batch", "key_stored": True}],
            "account": {"quota": 1000, "quota_used": 950, "quota_remaining": 50, "reputation": 30.0,
                        "available_balance": 1.0, "balance_low": True}}
AUDIT = {"generated_at": "T", "tenants": {
    "globex": {"drift": [], "key_probes": {"globex_batch": {"authenticated": True, "reason": ""}}},
    "initech": {"drift": ["MX notify.initech.example: would update"],
                "key_probes": {"initech_batch": {"authenticated": False, "reason": "refused (40005)"}}}}}
TENANT_ALERTS = ["MailopsTenantFailed", "MailopsDomainNotVerified", "MailopsDrift",
                 "MailopsApiKeyRefused", "MailopsQuotaLow", "MailopsReputationLow", "MailopsBalanceLow"]


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)


def rules_without_annotations(directory: Path) -> Path:
    """The rules as they are but for their annotations, which promtool's unit tests would
    compare too (their templates are checked by ``check rules``)."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    path = directory / "rules.yml"
    path.write_text(yaml.safe_dump(rules))
    return path


def test_promtool_accepts_the_rules_file():
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_alerts_fire_for_the_troubled_tenant_only(tmp_path):
    metrics = tmp_path / "mailops.prom"
    write_metrics(metrics, fleet_view([HEALTHY, TROUBLED], AUDIT)["rows"], "onboard", 1, None, now=0.0)
    series = [{"series": sample.name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items())) + "}",
               "values": f"{sample.value:g}x60"}
              for family in text_string_to_metric_families(metrics.read_text()) for sample in family.samples]
    severity = {rule["alert"]: rule["labels"]["severity"]
                for rule in yaml.safe_load(RULES.read_text())["groups"][0]["rules"]}
    initech = {"tenant": "initech", "domain": "notify.initech.example"}
    alert_tests = [{"eval_time": "59m", "alertname": alert,
                    "exp_alerts": [{"exp_labels": {**initech, "severity": severity[alert]}}]}
                   for alert in TENANT_ALERTS]
    # no successful onboarding run for more than two days: the last success at time 0 is stale
    alert_tests.append({"eval_time": "59m", "alertname": "MailopsNoRecentOnboardingRun", "exp_alerts": []})
    alert_tests.append({"eval_time": "59m", "alertname": "MailopsMetricsMissing", "exp_alerts": []})
    test_file = tmp_path / "rules_test.yml"
    test_file.write_text(yaml.safe_dump({
        "rule_files": [str(rules_without_annotations(tmp_path))], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": alert_tests}]}))
    tested = promtool("test", "rules", str(test_file))
    assert tested.returncode == 0, tested.stdout + tested.stderr
