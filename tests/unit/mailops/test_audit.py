"""The audit's table for a tenant whose audit failed: what was not checked is not shown as
checked and failed."""

from __future__ import annotations

from ansible.module_utils.mailops.audit import build, render_markdown


def test_a_tenant_whose_audit_failed_shows_unknowns_not_a_failed_verification():
    audit = build({}, {"acme": "failed; see the run output"})
    assert audit["drifted_tenants"] == ["acme"]
    row = next(line for line in render_markdown(audit).splitlines() if line.startswith("| acme |"))
    assert row == "| acme | 1 | - | - | - |"


def test_a_foreign_mx_kept_beside_ours_is_drift():
    stages = {"sending_domain": {"dns": {"records": [
        {"name": "news.acme.example", "type": "MX", "value": "mx.sendcloud.net", "action": "unchanged"},
        {"name": "news.acme.example", "type": "MX", "value": "mx.other.example", "action": "kept",
         "reason": "foreign MX kept beside SendCloud's"}]}}}
    audit = build({"acme": stages}, {})
    assert audit["drifted_tenants"] == ["acme"]
    assert audit["tenants"]["acme"]["drift"] == [
        "MX news.acme.example: foreign MX kept beside SendCloud's"]
