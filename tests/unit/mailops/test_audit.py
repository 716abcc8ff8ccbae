"""The audit's table for a tenant whose audit failed: what was not checked is not shown as
checked and failed."""

from __future__ import annotations

from ansible.module_utils.mailops.audit import build, render_markdown


def test_a_tenant_whose_audit_failed_shows_unknowns_not_a_failed_verification():
    audit = build({}, {"acme": "failed; see the run output"})
    assert audit["drifted_tenants"] == ["acme"]
    row = next(line for line in render_markdown(audit).splitlines() if line.startswith("| acme |"))
    assert row == "| acme | 1 | - | - | - |"
