"""The engine grid: per purpose, create / unchanged / update / conflict policies / unknown values."""

from __future__ import annotations

import pytest
from ansible.module_utils.mailops.dns.plan import plan_changes
from ansible.module_utils.mailops.dns.records import ExistingRecord, make_record
from ansible.module_utils.mailops.errors import ConflictError, ValidationError

DOMAIN = "news.example.com"
SPF = make_record(DOMAIN, "TXT", "v=spf1 include:spf.sendcloud.org ~all", ttl=600, purpose="spf")
DKIM = make_record(f"s1._domainkey.{DOMAIN}", "TXT", "k=rsa;p=NEWKEY", ttl=600, purpose="dkim")
DMARC = make_record(f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; p=none", ttl=600, purpose="dmarc")
VERIFY = make_record(DOMAIN, "TXT", "sendcloud-verify=abc", ttl=600, purpose="verify")
MX = make_record(DOMAIN, "MX", "mx.sendcloud.net", ttl=600, priority=10, purpose="mx")
TRACK = make_record(
    f"sctrack.{DOMAIN}", "CNAME", "track.sendcloud.net", ttl=600, purpose="tracking"
)


def existing(name: str, rtype: str, value: str, priority: int | None = None, record_id: str = "1"):
    return ExistingRecord(make_record(name, rtype, value, ttl=600, priority=priority), record_id)


def actions(plan) -> list[tuple[str, str]]:
    return [(change.action, change.record.value) for change in plan.changes]


# --- spf ---------------------------------------------------------------------------------------
def test_spf_is_created_when_the_name_has_no_spf():
    assert actions(plan_changes([SPF], [])) == [("create", SPF.value)]


def test_spf_already_including_sendcloud_is_unchanged():
    plan = plan_changes(
        [SPF], [existing(DOMAIN, "TXT", "v=spf1 mx include:spf.sendcloud.org -all")]
    )
    assert plan.changes == [] and plan.outcomes[0].action == "unchanged"


@pytest.mark.parametrize(
    "written", ["include:spf.sendcloud.org.", "~include:spf.sendcloud.org", "INCLUDE:Spf.SendCloud.Org"]
)
def test_spf_with_sendcloud_include_written_differently_is_rewritten_to_sendclouds_form(written):
    """SendCloud's check (and the emulator's) counts its include only as SendCloud gives it."""
    plan = plan_changes([SPF], [existing(DOMAIN, "TXT", f"v=spf1 mx {written} -all")])
    assert actions(plan) == [("update", "v=spf1 mx include:spf.sendcloud.org -all")]
    assert plan.changes[0].reason.startswith(f"rewrite {written} as include:spf.sendcloud.org")


def test_spf_include_with_the_pass_qualifier_is_sendclouds_form():
    plan = plan_changes([SPF], [existing(DOMAIN, "TXT", "v=spf1 +include:spf.sendcloud.org -all")])
    assert plan.changes == []


def test_a_first_plan_rewrites_a_documented_include_written_differently():
    unknown = make_record(DOMAIN, "TXT", None, purpose="spf")
    plan = plan_changes([unknown], [existing(DOMAIN, "TXT", "v=spf1 include:SPF.SendCloud.ORG. ~all")])
    assert actions(plan) == [("update", "v=spf1 include:spf.sendcloud.org ~all")]


def test_spf_is_merged_into_the_existing_record_keeping_its_all_qualifier():
    plan = plan_changes([SPF], [existing(DOMAIN, "TXT", "v=spf1 mx -all")])
    assert actions(plan) == [("update", "v=spf1 mx include:spf.sendcloud.org -all")]


def test_two_existing_spf_records_are_a_conflict():
    two = [
        existing(DOMAIN, "TXT", "v=spf1 mx -all"),
        existing(DOMAIN, "TXT", "v=spf1 a -all", record_id="2"),
    ]
    with pytest.raises(ConflictError, match="2 SPF records"):
        plan_changes([SPF], two)


def test_spf_merge_over_ten_lookups_is_refused():
    crowded = "v=spf1 " + " ".join(f"include:s{i}.example" for i in range(10)) + " -all"
    with pytest.raises(ValidationError, match="10"):
        plan_changes([SPF], [existing(DOMAIN, "TXT", crowded)])


def test_spf_refusal_says_only_the_records_own_terms_are_counted():
    crowded = "v=spf1 " + " ".join(f"include:s{i}.example" for i in range(10)) + " -all"
    with pytest.raises(ValidationError) as caught:
        plan_changes([SPF], [existing(DOMAIN, "TXT", crowded)])
    assert "11 DNS lookups counting only the record's own" in str(caught.value)


@pytest.mark.parametrize("others, warned", [(7, False), (8, True), (9, True)])
def test_spf_merge_near_the_lookup_limit_is_warned_about(others, warned):
    near = "v=spf1 " + " ".join(f"include:s{i}.example" for i in range(others)) + " -all"
    plan = plan_changes([SPF], [existing(DOMAIN, "TXT", near)])
    assert [change.action for change in plan.changes] == ["update"]
    lookup_warnings = [w for w in plan.warnings if "in its own terms" in w]
    assert bool(lookup_warnings) is warned
    if warned:
        assert f"{others + 1} DNS lookups" in lookup_warnings[0] and DOMAIN in lookup_warnings[0]


def test_spf_with_unknown_value_is_planned_as_a_merge_keeping_the_existing_mechanisms():
    unknown = make_record(DOMAIN, "TXT", None, purpose="spf")
    plan = plan_changes([unknown], [existing(DOMAIN, "TXT", "v=spf1 mx include:_spf.google.com -all")])
    assert actions(plan) == [("update", "v=spf1 mx include:_spf.google.com include:(known-after-apply) -all")]


def test_spf_with_unknown_value_already_including_sendcloud_plans_no_merge():
    """At ten lookups with SendCloud's include among them, the apply changes nothing: the plan
    must neither refuse it as an eleventh lookup nor show an update."""
    unknown = make_record(DOMAIN, "TXT", None, purpose="spf")
    full = "v=spf1 " + " ".join(f"include:s{i}.example" for i in range(9)) + " include:spf.sendcloud.org -all"
    plan = plan_changes([unknown], [existing(DOMAIN, "TXT", full)])
    assert plan.changes == [] and plan.outcomes[0].action == "unchanged"


def test_spf_with_unknown_value_over_ten_lookups_is_refused_before_the_domain_is_made():
    unknown = make_record(DOMAIN, "TXT", None, purpose="spf")
    crowded = "v=spf1 " + " ".join(f"include:s{i}.example" for i in range(10)) + " -all"
    with pytest.raises(ValidationError, match="11 DNS lookups"):
        plan_changes([unknown], [existing(DOMAIN, "TXT", crowded)])


def test_foreign_txt_beside_spf_is_never_touched():
    foreign = existing(DOMAIN, "TXT", "google-site-verification=xyz", record_id="9")
    plan = plan_changes([SPF], [foreign])
    assert [c.action for c in plan.changes] == ["create"]


# --- dkim / verify -------------------------------------------------------------------------------
def test_dkim_is_created_when_the_selector_is_empty():
    assert actions(plan_changes([DKIM], [])) == [("create", DKIM.value)]


def test_dkim_with_the_same_value_is_unchanged():
    plan = plan_changes([DKIM], [existing(DKIM.name, "TXT", DKIM.value)])
    assert plan.changed is False


def test_dkim_with_a_different_value_at_the_selector_is_updated():
    plan = plan_changes([DKIM], [existing(DKIM.name, "TXT", "k=rsa;p=OLDKEY")])
    assert actions(plan) == [("update", DKIM.value)]
    assert plan.changes[0].before.value == "k=rsa;p=OLDKEY"


def test_dkim_unknown_value_is_a_create_known_after_apply():
    unknown = make_record(DKIM.name, "TXT", None, purpose="dkim")
    assert actions(plan_changes([unknown], [])) == [("create", None)]


def test_verify_is_added_beside_other_txt_records():
    plan = plan_changes([VERIFY], [existing(DOMAIN, "TXT", "other-verification=1")])
    assert actions(plan) == [("create", VERIFY.value)]


def test_verify_with_the_same_value_is_unchanged():
    assert plan_changes([VERIFY], [existing(DOMAIN, "TXT", VERIFY.value)]).changed is False


# --- dmarc ---------------------------------------------------------------------------------------
def test_dmarc_is_created_when_missing():
    assert actions(plan_changes([DMARC], [])) == [("create", DMARC.value)]


def test_dmarc_same_value_is_unchanged():
    assert plan_changes([DMARC], [existing(DMARC.name, "TXT", DMARC.value)]).changed is False


def test_different_dmarc_fails_by_default_naming_the_three_options():
    with pytest.raises(ConflictError) as caught:
        plan_changes([DMARC], [existing(DMARC.name, "TXT", "v=DMARC1; p=reject")])
    message = str(caught.value)
    assert DMARC.name in message and "p=reject" in message
    assert all(option in message for option in ("keep_and_fail", "keep_and_warn", "replace"))


def test_different_dmarc_is_kept_with_a_warning_under_keep_and_warn():
    plan = plan_changes(
        [DMARC], [existing(DMARC.name, "TXT", "v=DMARC1; p=reject")], "keep_and_warn"
    )
    assert plan.changes == [] and plan.outcomes[0].action == "kept" and plan.warnings


def test_different_dmarc_is_overwritten_under_replace():
    plan = plan_changes([DMARC], [existing(DMARC.name, "TXT", "v=DMARC1; p=reject")], "replace")
    assert actions(plan) == [("update", DMARC.value)]


# --- mx ------------------------------------------------------------------------------------------
def test_mx_to_the_same_target_is_unchanged():
    assert (
        plan_changes([MX], [existing(DOMAIN, "MX", "mx.sendcloud.net.", priority=10)]).changed
        is False
    )


def test_mx_with_a_different_priority_is_updated():
    plan = plan_changes([MX], [existing(DOMAIN, "MX", "mx.sendcloud.net", priority=20)])
    assert [c.action for c in plan.changes] == ["update"]


def test_foreign_mx_fails_by_default():
    with pytest.raises(ConflictError, match="mail.corp.example"):
        plan_changes([MX], [existing(DOMAIN, "MX", "mail.corp.example", priority=5)])


def test_foreign_mx_is_kept_and_ours_added_beside_under_keep_and_warn():
    plan = plan_changes(
        [MX], [existing(DOMAIN, "MX", "mail.corp.example", priority=5)], "keep_and_warn"
    )
    assert actions(plan) == [("create", "mx.sendcloud.net")] and plan.warnings
    kept = [(o.kept.value, o.by_policy) for o in plan.outcomes if o.action == "kept"]
    assert kept == [("mail.corp.example", True)]   # listed as kept, by the operator's choice


def test_foreign_mx_is_deleted_before_ours_is_created_under_replace():
    plan = plan_changes([MX], [existing(DOMAIN, "MX", "mail.corp.example", priority=5)], "replace")
    assert actions(plan) == [("delete", "mail.corp.example"), ("create", "mx.sendcloud.net")]


# --- tracking CNAME ------------------------------------------------------------------------------
def test_tracking_cname_to_the_same_target_is_unchanged():
    assert (
        plan_changes([TRACK], [existing(TRACK.name, "CNAME", "Track.SendCloud.net.")]).changed
        is False
    )


def test_tracking_cname_to_another_target_is_updated():
    plan = plan_changes([TRACK], [existing(TRACK.name, "CNAME", "old.example")])
    assert actions(plan) == [("update", "track.sendcloud.net")]


def test_tracking_name_with_other_data_fails_by_default():
    with pytest.raises(ConflictError, match="CNAME cannot coexist"):
        plan_changes([TRACK], [existing(TRACK.name, "TXT", "hello")])


def test_tracking_name_with_other_data_is_kept_under_keep_and_warn():
    plan = plan_changes([TRACK], [existing(TRACK.name, "TXT", "hello")], "keep_and_warn")
    assert plan.changes == [] and plan.outcomes[0].action == "kept"


def test_tracking_name_with_other_data_is_cleared_under_replace():
    plan = plan_changes([TRACK], [existing(TRACK.name, "TXT", "hello")], "replace")
    assert actions(plan) == [("delete", "hello"), ("create", "track.sendcloud.net")]


# --- the plan as a value -------------------------------------------------------------------------
def test_full_set_on_an_empty_zone_is_all_creates_and_counts_them():
    plan = plan_changes([SPF, DKIM, DMARC, MX], [])
    assert plan.counts() == {"create": 4, "update": 0, "delete": 0, "unchanged": 0}


def test_second_plan_after_apply_is_empty():
    applied = [ExistingRecord(record) for record in (SPF, DKIM, DMARC, MX)]
    plan = plan_changes([SPF, DKIM, DMARC, MX], applied)
    assert plan.changed is False and plan.counts()["unchanged"] == 4


def test_diff_lists_managed_records_before_and_after():
    plan = plan_changes([DKIM, MX], [existing(DKIM.name, "TXT", "k=rsa;p=OLD"), ExistingRecord(MX)])
    diff = plan.diff()
    assert {r["value"] for r in diff["before"]} == {"k=rsa;p=OLD", "mx.sendcloud.net"}
    assert {r["value"] for r in diff["after"]} == {DKIM.value, "mx.sendcloud.net"}


def test_unknown_conflict_policy_is_refused():
    with pytest.raises(ValidationError):
        plan_changes([SPF], [], "keep")


def test_record_with_unknown_name_and_value_is_a_create_known_after_apply():
    from ansible.module_utils.mailops.dns.records import record_from_dict

    dkim = record_from_dict(
        {"type": "TXT", "name": None, "value": None, "purpose": "dkim"}, "example.com", 600
    )
    plan = plan_changes([dkim], [])
    assert plan.to_dict()["changes"][0]["after"]["name"] == "(known after apply)"


def test_unknown_mx_value_beside_existing_mx_plans_a_create_and_warns_instead_of_failing():
    unknown = make_record(DOMAIN, "MX", None, priority=10, purpose="mx")
    plan = plan_changes([unknown], [existing(DOMAIN, "MX", "mail.corp.example", priority=5)])
    assert [c.action for c in plan.changes] == ["create"] and "may conflict" in plan.warnings[0]


def test_a_dmarc_record_before_the_domain_exists_is_planned_as_on_conflict_says():
    """The value is known after apply only when SendCloud has not made the domain yet: a DMARC
    record already there is the customer's, so the plan stops, keeps or replaces it now, not
    the apply halfway through."""
    unknown = make_record(DMARC.name, "TXT", None, purpose="dmarc")
    theirs = [existing(DMARC.name, "TXT", "v=DMARC1; p=reject")]
    with pytest.raises(ConflictError, match="a different DMARC record"):
        plan_changes([unknown], theirs)
    kept = plan_changes([unknown], theirs, "keep_and_warn")
    assert kept.changes == [] and [o.action for o in kept.outcomes] == ["kept"]
    replaced = plan_changes([unknown], theirs, "replace")
    assert [(c.action, c.touches_foreign) for c in replaced.changes] == [("update", True)]


@pytest.mark.parametrize("on_conflict", ["keep_and_fail", "keep_and_warn"])
def test_a_pre_staged_dmarc_record_with_sendclouds_policy_is_decided_at_apply(on_conflict):
    """p=none is the policy SendCloud documents for its DMARC record: such a record may be the
    one it will ask for, so neither a conflict nor a kept record before its value is known."""
    unknown = make_record(DMARC.name, "TXT", None, purpose="dmarc")
    staged = [existing(DMARC.name, "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@sendcloud.org")]
    plan = plan_changes([unknown], staged, on_conflict)
    assert plan.changes == [] and [o.action for o in plan.outcomes] == ["decided_at_apply"]
    assert plan.outcomes[0].reason.startswith("may conflict: decided at apply")
    assert plan.kept_instead() == []   # what is there is not kept: waited for at apply


def test_a_pre_staged_dmarc_record_equal_to_sendclouds_is_adopted_at_apply():
    staged = [existing(DMARC.name, "TXT", DMARC.value)]
    plan = plan_changes([DMARC], staged)
    assert plan.changes == [] and [o.action for o in plan.outcomes] == ["unchanged"]


def test_a_kept_dmarc_record_is_not_written_and_listed_with_its_value():
    plan = plan_changes([DMARC], [existing(DMARC.name, "TXT", "v=DMARC1; p=reject")],
                        "keep_and_warn")
    assert plan.kept_instead() == [DMARC]
    shown = plan.to_dict()["records"][0]
    assert (shown["action"], shown["kept"]["value"], shown["by_policy"]) == (
        "kept", "v=DMARC1; p=reject", True)


def test_a_second_dmarc_record_beside_ours_is_kept_but_ours_is_written():
    plan = plan_changes([DMARC], [existing(DMARC.name, "TXT", DMARC.value),
                                  existing(DMARC.name, "TXT", "v=DMARC1; p=reject")],
                        "keep_and_warn")
    assert plan.kept_instead() == []
    assert [(o.action, o.by_policy) for o in plan.outcomes] == [("unchanged", False),
                                                                ("kept", False)]


def test_the_audit_plans_a_keep_and_fail_conflict_as_a_finding_not_an_error():
    plan = plan_changes([DMARC, MX], [existing(DMARC.name, "TXT", "v=DMARC1; p=reject")],
                        conflicts_as_findings=True)
    assert [o.action for o in plan.outcomes] == ["conflict", "create"]
    assert "dns_on_conflict: keep_and_fail" in plan.outcomes[0].reason
    assert "p=reject" in plan.outcomes[0].reason


def test_a_cname_blocks_every_record_at_its_name_under_keep_and_warn():
    spf = make_record(DOMAIN, "TXT", "v=spf1 include:spf.sendcloud.org ~all", purpose="spf")
    plan = plan_changes([spf, MX], [existing(DOMAIN, "CNAME", "elsewhere.example")],
                        "keep_and_warn")
    assert plan.changes == [] and plan.kept_instead() == [spf, MX]


# --- one TTL per RRset (RFC 2136) ----------------------------------------------------------------
def test_a_record_joining_an_rrset_that_stays_is_planned_with_its_ttl():
    foreign = ExistingRecord(make_record(DOMAIN, "TXT", "google-site-verification=x", ttl=300), "9")

    plan = plan_changes([VERIFY, DKIM], [foreign], one_ttl_per_rrset=True)

    ttls = {change.after.purpose: change.after.ttl for change in plan.changes}
    assert ttls == {"verify": 300, "dkim": 600}
    assert "TTL 300 of the RRset" in plan.changes[0].reason


def test_an_rrset_whose_other_records_all_leave_takes_the_desired_ttl():
    foreign = ExistingRecord(make_record(f"_dmarc.{DOMAIN}", "TXT", "v=DMARC1; p=reject", ttl=300), "9")

    plan = plan_changes([DMARC], [foreign], "replace", one_ttl_per_rrset=True)

    assert [(c.action, c.after.ttl) for c in plan.changes] == [("update", 600)]


def test_per_record_ttl_providers_write_the_desired_ttl():
    foreign = ExistingRecord(make_record(DOMAIN, "TXT", "google-site-verification=x", ttl=300), "9")

    assert plan_changes([VERIFY], [foreign]).changes[0].after.ttl == 600


# --- TTL ------------------------------------------------------------------------------------------
def at_ttl(record, ttl: int, record_id: str = "1") -> ExistingRecord:
    return ExistingRecord(make_record(record.name, record.type, record.value, ttl=ttl,
                                      priority=record.priority), record_id)


@pytest.mark.parametrize("ours", [SPF, DKIM, DMARC, VERIFY, MX, TRACK], ids=lambda r: r.purpose)
def test_a_record_written_wholly_by_us_gets_the_desired_ttl(ours):
    plan = plan_changes([ours], [at_ttl(ours, 300)])

    assert [(c.action, c.before.ttl, c.after.ttl) for c in plan.changes] == [("update", 300, 600)]
    assert plan.changes[0].after.same_data(ours) and "TTL 300 → 600" in plan.changes[0].reason


def test_ttls_read_from_dns_answers_are_not_compared():
    """The manual provider reads records by DNS query: a resolver counts TTLs down, and the
    human's DNS host may round them; a TTL alone must not make a change request every run."""
    plan = plan_changes([DKIM, MX], [at_ttl(DKIM, 287), at_ttl(MX, 300, "2")], compare_ttl=False)
    assert plan.changes == [] and [o.action for o in plan.outcomes] == ["unchanged", "unchanged"]


def test_a_record_at_the_desired_ttl_is_unchanged():
    assert plan_changes([DKIM, MX], [at_ttl(DKIM, 600), at_ttl(MX, 600, "2")]).changes == []


def test_a_merged_spf_record_keeps_its_owners_ttl_and_the_plan_says_so():
    merged = existing(DOMAIN, "TXT", "v=spf1 mx include:spf.sendcloud.org -all")
    merged = ExistingRecord(make_record(DOMAIN, "TXT", merged.record.value, ttl=300), "1")

    plan = plan_changes([SPF], [merged])

    assert plan.changes == [] and "TTL 300 stays" in plan.outcomes[0].reason


def test_a_merge_keeps_the_owners_ttl():
    theirs = ExistingRecord(make_record(DOMAIN, "TXT", "v=spf1 mx -all", ttl=300), "1")

    plan = plan_changes([SPF], [theirs])

    assert plan.changes[0].after.ttl == 300 and "TTL 300 stays" in plan.changes[0].reason


def test_an_rrset_shared_with_foreign_records_keeps_its_ttl_under_one_ttl_per_rrset():
    foreign = ExistingRecord(make_record(DOMAIN, "TXT", "google-site-verification=x", ttl=300), "9")

    plan = plan_changes([VERIFY], [at_ttl(VERIFY, 300), foreign], one_ttl_per_rrset=True)

    assert plan.changes == [] and plan.outcomes[0].action == "unchanged"
    assert "TTL 300 stays, not 600" in plan.outcomes[0].reason
    assert "shared" in plan.outcomes[0].reason


def test_an_rrset_of_ours_alone_is_retimed_under_one_ttl_per_rrset():
    plan = plan_changes([SPF, VERIFY], [at_ttl(SPF, 300), at_ttl(VERIFY, 300, "2")],
                        one_ttl_per_rrset=True)

    assert [(c.action, c.after.ttl) for c in plan.changes] == [("update", 600), ("update", 600)]


def kept_reasons(plan) -> list[str]:
    return [outcome.reason for outcome in plan.outcomes if outcome.action == "kept"]


def test_a_foreign_txt_beside_our_dkim_key_is_kept_and_named():
    """Two TXT records at the selector: a verifier may take the other one."""
    foreign = existing(DKIM.name, "TXT", "v=DKIM1; k=rsa; p=FOREIGNKEY", record_id="9")
    plan = plan_changes([DKIM], [at_ttl(DKIM, 600), foreign])
    assert plan.changes == [] and plan.warnings == kept_reasons(plan)
    assert len(kept_reasons(plan)) == 1
    assert "p=FOREIGNKEY" in kept_reasons(plan)[0] and "DKIM selector" in kept_reasons(plan)[0]


def test_a_second_dmarc_record_beside_ours_is_kept_and_named():
    second = existing(DMARC.name, "TXT", "v=DMARC1; p=reject", record_id="9")
    plan = plan_changes([DMARC], [at_ttl(DMARC, 600), second])
    assert plan.changes == [] and len(kept_reasons(plan)) == 1
    assert "p=reject" in kept_reasons(plan)[0] and "RFC 7489" in kept_reasons(plan)[0]
