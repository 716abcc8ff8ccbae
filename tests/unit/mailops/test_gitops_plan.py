"""Which tenants the apply runs comes from the plan: a stage with something to write, or a
domain still waiting for SendCloud's verification."""

from __future__ import annotations

from ansible.module_utils.mailops.gitops_plan import Plan, needs_apply, render_markdown


def stages(changed: str | None = None, verified: bool = True) -> dict:
    results = {name: {"changed": name == changed} for name in ("sending_domain", "api_users", "binding")}
    results["sending_domain"]["domain"] = {"verified": verified}
    return results


def test_a_tenant_is_applied_when_a_stage_changes_or_its_domain_awaits_verification():
    assert not needs_apply(stages())
    assert needs_apply(stages(changed="binding"))
    assert needs_apply(stages(changed="api_users"))
    assert needs_apply(stages(verified=False))


def test_the_plan_lists_the_tenants_to_apply_in_order():
    plan = Plan.build("apply", {"zeta": stages(changed="api_users"), "acme": stages(verified=False),
                                "globex": stages()}, {})
    assert plan.to_apply == ["acme", "zeta"]


def test_the_markdown_plan_shows_the_fields_an_update_changes():
    fingerprints = {role: {"name": f"acme_{role}", "key_sha256": "f" * 64} for role in ("batch", "trigger")}
    before = {"api_users": fingerprints, "sender_address": "m@news.acme.example", "sender_name": "Acme"}
    document = {"checksum": "c", "tenants": {"acme": {
        "counts": {"update": 1},
        "changes": [{"object": "binding", "id": "acme", "action": "update",
                     "before": before, "after": dict(before, sender_name="Acme News")}]}}}
    row = next(line for line in render_markdown(document, "Plan").splitlines()
               if line.startswith("| binding |"))
    assert row == '| binding | acme | update | `{"sender_name": "Acme"}` | `{"sender_name": "Acme News"}` |'


def test_failed_tenants_leave_the_plan_with_their_errors_and_the_applied_record_keeps_what_they_did():
    from ansible.module_utils.mailops.plan_files import split_failed
    results = {"acme": {"failed": True, "msg": "binding stage: HTTP 500",
                        "stages": {"sending_domain": {"changed": True}}},
               "globex": stages(changed="binding")}
    planned, failed = split_failed(results, {"initech": "preflight stage: bad"}, keep_partial=False)
    assert planned == {"globex": stages(changed="binding")}
    assert failed == {"acme": "binding stage: HTTP 500", "initech": "preflight stage: bad"}
    applied, _ = split_failed(results, {}, keep_partial=True)
    assert applied["acme"] == {"sending_domain": {"changed": True}}
