"""A failed tenant's report: status failed with its error, what the parts it completed returned,
and for the rest what the last report said."""

from __future__ import annotations

from ansible.module_utils.mailops.report import failed_facts, render_tenant_markdown

PREVIOUS = {"tenant_id": "acme", "status": "verified and bound", "updated_at": "2026-11-01T00:00:00Z",
            "account": {"quota": 100}, "domain": {"name": "news.acme.example"}, "records": [],
            "api_users": [{"name": "acme_batch"}], "binding": {"sender_name": "Acme"}}
NOW = {"account": {"quota": 90}, "domain": {"name": "news.acme.example", "verified": True},
       "records": [], "api_users": [], "binding": {}, "warnings": []}


def test_a_failed_stage_keeps_the_last_reports_facts_for_what_it_did_not_complete():
    facts = failed_facts("binding stage: HTTP 500", NOW,
                         {"preflight", "sending_domain", "api_users"}, PREVIOUS)
    assert facts["status"] == "failed" and facts["error"] == "binding stage: HTTP 500"
    assert facts["account"] == {"quota": 90}          # from this run's preflight
    assert facts["api_users"] == []                    # the stage completed: this run's result
    assert facts["binding"] == {"sender_name": "Acme"}  # not reached: the last report's


def test_a_tenant_that_failed_before_any_stage_and_has_no_report_yet_says_so():
    facts = failed_facts("preflight stage: no zone", NOW, set(), None)
    report = {"tenant_id": "acme", **facts, "updated_at": "t"}
    markdown = render_tenant_markdown(report)
    assert "Status: **failed**" in markdown and "Last run failed: preflight stage: no zone" in markdown
    binding = markdown.split("## Platform binding")[1].split("## Account")[0]
    assert binding.strip() == "- not bound yet"


def test_a_kept_foreign_record_at_the_same_name_is_not_shown_as_ours():
    from ansible.module_utils.mailops.report import compose
    mx = {"purpose": "mx", "type": "MX", "name": "news.acme.example", "value": "mx.sendcloud.org",
          "priority": 10}
    dns = {"records": [
        dict(mx, action="create", served="mx.sendcloud.org"),
        dict(mx, value="mx.customer.example", action="kept", served="mx.customer.example")]}
    facts = compose({"domain": {"name": "news.acme.example"}, "records": [mx], "dns": dns},
                    {}, {}, {}, [])
    assert facts["records"][0]["value"] == "mx.sendcloud.org"
    assert "sendcloud_value" not in facts["records"][0]


def test_a_pending_rebind_with_no_report_yet_names_the_bound_domain():
    """A fresh checkout has no report: the bound domain still titles it and the binding."""
    from ansible.module_utils.mailops.report import rebind_pending_facts
    empty = {"account": {"quota": 90}, "domain": {"name": None}, "records": [], "api_users": [],
             "binding": {}, "warnings": []}
    pending = {"bound_domain": "news.acme.example", "sending_domain": "mail2.acme.example"}
    report = {"tenant_id": "acme", **rebind_pending_facts(pending, empty, None), "updated_at": "t"}
    markdown = render_tenant_markdown(report)
    assert markdown.startswith("# Tenant acme: news.acme.example")
    assert "- domain: news.acme.example" in markdown and "not bound yet" not in markdown
    assert report["status"] == "rebind pending"
