"""The fleet page's content (what each tenant's row says) and that it is written only when it
changes; the browser tests (tests/integration/test_fleet_page.py) check it as rendered."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from ansible.module_utils.mailops.fleet_page import render_page
from ansible.module_utils.mailops.fleet_view import fleet_view, split_fix
from ansible.module_utils.mailops.stages.report import run_report

VERIFIED = {"tenant_id": "acme", "status": "verified and bound",
            "domain": {"name": "news.acme.example", "items": {"mx": True, "spf": True, "dkim": True}},
            "binding": {"sending_domain": "news.acme.example"},
            "api_users": [{"name": "acme_batch", "role": "batch", "key_stored": True}],
            "account": {"quota": 100, "quota_used": 10, "quota_remaining": 90, "reputation": 80.0},
            "warnings": [], "updated_at": "2026-12-01T10:00:00Z"}
FAILED = {**VERIFIED, "tenant_id": "zeta", "status": "failed",
          "error": "binding stage: HTTP 500. Fix: check that the platform is reachable."}


ARGS = {"tenants": {}, "registered": None, "metrics_run": "onboard", "run_started": None}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_an_error_is_split_into_what_went_wrong_and_the_fix():
    assert split_fix(FAILED["error"]) == ("binding stage: HTTP 500.", "check that the platform is reachable.")
    assert split_fix("no hint here") == ("no hint here", None)


def test_tenants_needing_action_come_first_and_a_refused_key_or_drift_needs_action():
    audit = {"generated_at": "T", "drifted_tenants": ["beta"], "tenants": {
        "acme": {"drift": [], "key_probes": {"acme_batch": {"authenticated": False, "reason": "refused (40005)"}}},
        "beta": {"drift": ["MX news: would update"]},
        "gamma": {"drift": []}}}
    reports = [{**VERIFIED, "tenant_id": name} for name in ("gamma", "beta", "acme", "delta")]
    view = fleet_view(reports, audit)
    assert [row["tenant"] for row in view["rows"]] == ["acme", "beta", "delta", "gamma"]
    assert view["needing_action"] == ["acme", "beta"]
    delta = view["rows"][2]
    assert delta["drift"] is None   # not in the audit: not audited, not 'no drift'


def test_the_page_escapes_what_reports_hold_and_declares_its_own_policy():
    hostile = {**FAILED, "error": "<script>alert(1)</script>"}
    page = render_page(fleet_view([hostile], None))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    parser = Tags()
    parser.feed(page)
    policy = next(attrs["content"] for tag, attrs in parser.tags
                  if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    assert policy.startswith("default-src 'none';") and "unsafe-inline" not in policy
    external = [attrs for tag, attrs in parser.tags if attrs.get("src") or (tag == "link")]
    assert external == []


def test_the_page_is_written_with_the_reports_and_not_again_when_nothing_changed(tmp_path):
    (tmp_path / "acme.json").write_text(json.dumps(VERIFIED))
    first = run_report(ARGS | {"report_dir": str(tmp_path)}, check_mode=False)
    assert first["changed"] and (tmp_path / "index.html").exists()
    written = (tmp_path / "index.html").stat().st_mtime_ns
    again = run_report(ARGS | {"report_dir": str(tmp_path)}, check_mode=False)
    assert not again["changed"] and (tmp_path / "index.html").stat().st_mtime_ns == written
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "audit.json").write_text(json.dumps({"generated_at": "T", "tenants": {}}))
    assert run_report(ARGS | {"report_dir": str(tmp_path)}, check_mode=False)["changed"]
    assert "Last audit: T" in (tmp_path / "index.html").read_text()


def test_a_tenant_refused_by_the_pin_shows_the_refusal_and_needs_action():
    refused = {**VERIFIED, "status": "refused", "error": "refused: plan changed since review"}
    view = fleet_view([refused], None)
    assert view["counts"]["refused"] == 1 and view["needing_action"] == ["acme"]
    page = render_page(view)
    assert "refused: plan changed since review" in page and "\u2298" in page
