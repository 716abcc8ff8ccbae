"""Which tenants the apply runs comes from the plan: a stage with something to write, or a
domain still waiting for SendCloud's verification."""

from __future__ import annotations

import hashlib
import json

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


def test_a_pending_rebind_is_listed_in_the_plan_and_never_applied():
    pending = {"rebind_pending": {"bound_domain": "news.acme.example",
                                  "sending_domain": "mail2.acme.example"}}
    plan = Plan.build("check", {"acme": pending, "globex": stages(verified=False)}, {})
    assert plan.to_apply == ["globex"] and plan.tenants["acme"]["changes"] == []
    document = plan.to_dict()
    assert document["rebind_pending"] == {"acme": pending["rebind_pending"]}
    rows = [line for line in render_markdown(document, "Plan").splitlines()
            if line.startswith("| acme |")]
    assert len(rows) == 1 and rows[0].startswith(
        "| acme | rebind pending: bound to news.acme.example, the inventory asks for mail2.acme.example")
    # a pending rebind is part of what was reviewed; a plan without one keeps the checksum it
    # had before plans could hold one (a pin taken then still matches)
    without = Plan.build("check", {"globex": stages(verified=False)}, {})
    assert plan.checksum() != without.checksum()
    canonical = json.dumps({"tenants": without.tenants, "failed": []}, sort_keys=True,
                           separators=(",", ":"))
    assert without.checksum() == hashlib.sha256(canonical.encode()).hexdigest()


def test_the_plan_records_its_inventory_outside_the_checksum():
    stages = {"acme": {"sending_domain": {"changed": False, "domain": {"verified": True}}}}
    here = Plan.build("check", stages, {}, ["/srv/a/inventories/prod"])
    there = Plan.build("check", stages, {}, ["/builds/b/inventories/prod"])
    assert here.to_dict()["inventory"] == ["/srv/a/inventories/prod"]
    assert here.checksum() == there.checksum()
    assert "inventory: `/srv/a/inventories/prod`" in render_markdown(here.to_dict(), "Plan")


def test_a_kept_record_is_listed_in_plan_json_and_plan_md():
    kept = {"type": "TXT", "name": "_dmarc.news.acme.example", "purpose": "dmarc",
            "action": "kept", "kept": {"value": "v=DMARC1; p=reject"},
            "reason": "kept the existing DMARC record (dns_on_conflict: keep_and_warn)"}
    tenant = stages()
    tenant["sending_domain"]["dns"] = {"changes": [], "records": [kept]}
    document = Plan.build("check", {"acme": tenant}, {}).to_dict()
    assert document["tenants"]["acme"]["kept"] == [
        {"id": "TXT _dmarc.news.acme.example", "action": "kept", "present": "v=DMARC1; p=reject",
         "reason": kept["reason"]}]
    assert f"- kept: TXT _dmarc.news.acme.example: {kept['reason']}" in render_markdown(
        document, "plan")


def test_an_unverified_item_whose_record_is_kept_does_not_make_the_tenant_applied_again():
    tenant = stages(verified=False)
    tenant["sending_domain"]["domain"]["items"] = {"dkim": True, "spf": True, "dmarc": False}
    assert needs_apply(tenant)
    tenant["sending_domain"]["not_awaited"] = ["dmarc"]
    assert not needs_apply(tenant)


def test_plan_md_cuts_a_long_error_at_a_word_and_plan_json_keeps_it_whole():
    error = ("sending_domain stage: TXT _dmarc.news.acme.example (known after apply) (dmarc) "
             "conflicts with a different DMARC record already at _dmarc.news.acme.example: TXT "
             "_dmarc.news.acme.example \"v=DMARC1; p=reject\". Fix: choose dns_on_conflict")
    document = Plan.build("check", {}, {"acme": error}).to_dict()
    assert document["failed"]["acme"] == error
    row = next(line for line in render_markdown(document, "Plan").splitlines()
               if line.startswith("| acme | failed: "))
    shown = row.removeprefix("| acme | failed: ").split(" … (in full in the .json beside this file)")[0]
    assert error.startswith(shown) and error[len(shown)] == " "   # a whole word, then the cut
