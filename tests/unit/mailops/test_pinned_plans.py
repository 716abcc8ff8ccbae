"""A re-run of a merge job with its pin resumes only what the reviewed plan had for the tenants
its apply did not finish."""

from __future__ import annotations

from pathlib import Path

from ansible.module_utils.mailops.pinned_plans import PinnedApply, resumable_tenants

DKIM_REVIEWED = {"object": "dns_record", "id": "TXT (known after apply)", "action": "create",
                 "before": None, "after": {"name": "(known after apply)", "value": "(known after apply)"}}
BINDING = {"object": "binding", "id": "globex", "action": "create", "before": None,
           "after": {"sending_domain": "news.globex.example"}}


def pinned(not_applied: list[str]) -> PinnedApply:
    reviewed = {"checksum": "c", "tenants": {"globex": {"changes": [DKIM_REVIEWED, BINDING]}}}
    return PinnedApply(reviewed, {"failed": {t: "binding stage: HTTP 500" for t in not_applied}},
                       Path("plans/1-apply"))


def current(*changes: dict) -> dict:
    return {"globex": {"changes": list(changes)}}


def test_a_reviewed_change_with_its_value_now_known_resumes():
    dkim_now = dict(DKIM_REVIEWED, id="TXT s1._domainkey.news.globex.example",
                    after={"name": "s1._domainkey.news.globex.example", "value": "v=DKIM1; p=KEY"})
    assert resumable_tenants(current(dkim_now, BINDING), ["globex"], pinned(["globex"])) is None


def test_a_change_the_review_did_not_have_is_not_resumed():
    renamed = dict(BINDING, after={"sending_domain": "mail2.globex.example"})
    why = resumable_tenants(current(renamed), ["globex"], pinned(["globex"]))
    assert why == "globex would now create binding globex, which the reviewed plan did not have"


def test_a_tenant_the_pinned_apply_finished_is_not_applied_again_under_its_pin():
    why = resumable_tenants(current(BINDING), ["globex"], pinned([]))
    assert why is not None and why.startswith("globex has changes now")
