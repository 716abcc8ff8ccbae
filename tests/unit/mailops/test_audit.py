"""The audit's table for a tenant whose audit failed: what was not checked is not shown as
checked and failed."""

from __future__ import annotations

from ansible.module_utils.mailops.audit import build, render_markdown


def test_a_tenant_whose_audit_failed_shows_unknowns_not_a_failed_verification():
    audit = build({}, {"acme": "failed; see the run output"})
    assert audit["drifted_tenants"] == [] and audit["failed_tenants"] == ["acme"]
    assert audit["tenants"]["acme"]["failed"] is True
    assert "0 of 1 tenants drifted, 1 could not be checked in full." in render_markdown(audit)
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


def test_a_finding_says_why_and_what_differs():
    stages = {"sending_domain": {"dns": {"changes": [
        {"action": "update", "name": "_dmarc.news.acme.example", "type": "TXT",
         "reason": "same value; TTL 3600 → 600",
         "before": {"value": "v=DMARC1; p=none", "ttl": 3600},
         "after": {"value": "v=DMARC1; p=none", "ttl": 600}}]}},
        "binding": {"changed": True, "action": "update", "before": {"sender_name": "Acme"},
                    "binding": {"sender_name": "Acme News"}}}
    assert build({"acme": stages}, {})["tenants"]["acme"]["drift"] == [
        'dns_record TXT _dmarc.news.acme.example: would update (same value; TTL 3600 → 600): '
        '{"ttl": 3600} → {"ttl": 600}',
        'binding acme: would update: {"sender_name": "Acme"} → {"sender_name": "Acme News"}']


def test_a_runs_warnings_are_reported_beside_the_drift_not_as_drift():
    near = "the SPF record at news.acme.example needs 10 DNS lookups in its own terms"
    kept = "MX news.acme.example 5 mx.other.example is kept beside SendCloud's"
    stages = {"sending_domain": {"dns": {"records": [
        {"name": "news.acme.example", "type": "MX", "action": "kept", "reason": kept}]}},
        "warnings": [near, kept]}
    audit = build({"acme": stages}, {})
    assert audit["tenants"]["acme"]["warnings"] == [near]   # the kept record is drift already
    assert f"- warning (not drift): {near}" in render_markdown(audit)
    assert build({"globex": {"warnings": [near]}}, {})["drifted_tenants"] == []


def test_a_failed_probe_is_marked_and_the_findings_of_the_others_stand():
    stages = {"sending_domain": {"dns": {"records": [
                  {"name": "news.acme.example", "type": "MX", "value": "mx.other.example",
                   "action": "kept", "reason": "foreign MX kept beside SendCloud's"}]},
                  "domain": {"verified": True}},
              "keys": {"api_users": [{"name": "acme_batch", "authenticated": False,
                                      "reason": "refused"}]},
              "failed_probes": {"binding": "binding stage: HTTP 500"}}
    audit = build({"acme": stages}, {})
    acme = audit["tenants"]["acme"]
    assert audit["drifted_tenants"] == ["acme"] and audit["failed_tenants"] == ["acme"]
    assert acme["failed"] is True and acme["failed_probes"] == {"binding": "binding stage: HTTP 500"}
    assert len(acme["drift"]) == 2 and acme["verified"] is True
    assert "- could not check binding: binding stage: HTTP 500" in render_markdown(audit)


def test_what_a_failed_preflight_leaves_unchecked_is_named_not_shown_as_checked():
    audit = build({"acme": {"keys": {"api_users": []},
                            "failed_probes": {"preflight": "preflight stage: 40005"}}}, {})
    acme = audit["tenants"]["acme"]
    assert audit["failed_tenants"] == ["acme"] and audit["drifted_tenants"] == []
    assert set(acme["failed_probes"]) == {"preflight", "sending_domain", "api_users", "binding",
                                          "propagation"}
    assert acme["verified"] is None and acme["drift"] == []


def test_a_pending_rebind_is_listed_apart_and_the_bound_domain_is_audited():
    message = ("tenant acme is bound to news.acme.example; the inventory asks for mail2.acme.example: "
               "... Run 'ansible-playbook rebind.yml -l HOST -e change_ticket=ID' ...")
    stages = {"rebind_pending": {"bound_domain": "news.acme.example",
                                 "sending_domain": "mail2.acme.example"},
              "sending_domain": {"domain": {"name": "news.acme.example", "verified": True}},
              "preflight": {"account": {"quota": 100}}, "warnings": [message]}
    audit = build({"acme": stages}, {})
    findings = audit["tenants"]["acme"]
    assert audit["drifted_tenants"] == [] and audit["rebind_pending_tenants"] == ["acme"]
    assert findings["drift"] == [] and findings["warnings"] == [] and findings["verified"] is True
    assert ("- rebind pending (not drift): bound to news.acme.example, the inventory asks for "
            "mail2.acme.example") in render_markdown(audit)


def kept_mx(value: str) -> dict:
    return {"name": "news.acme.example", "type": "MX", "purpose": "mx", "value": "mx.sendcloud.net",
            "action": "kept", "by_policy": True, "kept": {"value": value},
            "reason": f"foreign MX {value} kept beside SendCloud's (dns_on_conflict: keep_and_warn)"}


def last_report(*values: str) -> dict:
    return {"kept": [{"purpose": "mx", "type": "MX", "name": "news.acme.example", "kept_value": value}
                     for value in values]}


def test_foreign_mx_the_operator_keeps_are_listed_not_drift_while_they_stay_as_they_were():
    stages = {"sending_domain": {"dns": {"records": [kept_mx("mail-a.corp.example"),
                                                     kept_mx("mail-b.corp.example")]}}}
    findings = build({"acme": stages}, {}, {"acme": last_report("mail-b.corp.example",
                                                                 "mail-a.corp.example")})
    assert findings["drifted_tenants"] == [] and len(findings["tenants"]["acme"]["kept"]) == 2


def test_one_of_two_kept_foreign_mx_gone_is_drift():
    stages = {"sending_domain": {"dns": {"records": [kept_mx("mail-a.corp.example")]}}}
    findings = build({"acme": stages}, {}, {"acme": last_report("mail-a.corp.example",
                                                                 "mail-b.corp.example")})
    assert findings["tenants"]["acme"]["drift"] == [
        "MX news.acme.example: the kept foreign record changed since the last run: was "
        "'mail-a.corp.example', 'mail-b.corp.example', now 'mail-a.corp.example'"]
