"""The dns_record_set body: check mode plans only, apply writes, results carry no secret."""

from __future__ import annotations

import pytest
from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.providers.base import ApplyResult, DNSProvider, ProviderInfo
from ansible.module_utils.mailops.dns.record_set import build_provider, run_record_set
from ansible.module_utils.mailops.dns.records import ExistingRecord, make_record
from ansible.module_utils.mailops.errors import ValidationError

ZONE = "example.com"
RECORDS = [
    {
        "type": "TXT",
        "name": "news",
        "value": "v=spf1 include:spf.sendcloud.org ~all",
        "purpose": "spf",
    },
    {"type": "TXT", "name": "s1._domainkey.news", "value": None, "purpose": "dkim"},
    {"type": "MX", "name": "news", "value": "mx.sendcloud.net", "priority": 10, "purpose": "mx"},
]


class FakeProvider(DNSProvider):
    info = ProviderInfo(name="fake", default_ttl=600, min_ttl=300, min_ttl_rule="300")

    def __init__(self, existing: list[ExistingRecord] | None = None) -> None:
        self.existing = existing or []
        self.applied: list[list[Change]] = []

    def list_records(self, zone, names):
        return [entry for entry in self.existing if entry.record.name in names]

    def apply_changes(self, zone, changes):
        self.applied.append(changes)
        return ApplyResult(writes=len(changes))


def params(**overrides) -> dict:
    base = {
        "zone": ZONE,
        "records": RECORDS,
        "ttl": 120,
        "on_conflict": "keep_and_fail",
        "provider": "manual",
    }
    return {**base, **overrides}


def test_check_mode_plans_and_writes_nothing():
    provider = FakeProvider()

    result = run_record_set(params(), check_mode=True, provider=provider)

    assert result["changed"] is True and result["status"] == "planned"
    assert provider.applied == []
    assert [r["action"] for r in result["records"]] == ["create", "create", "create"]
    assert result["records"][1]["value"] == "(known after apply)"


def test_ttl_under_the_provider_minimum_is_clamped_and_warned():
    result = run_record_set(params(records=RECORDS[:1]), check_mode=True, provider=FakeProvider())

    assert result["changes"][0]["after"]["ttl"] == 300
    assert any("below the minimum 300" in warning for warning in result["warnings"])


def test_the_ttl_warning_names_only_the_records_held_at_the_floor_by_us():
    """An SPF record merged into keeps its owner's TTL: raising ours changes nothing there."""
    theirs = make_record("news", "TXT", "v=spf1 include:_spf.other.example ~all", zone=ZONE,
                         ttl=3600)
    result = run_record_set(params(records=[RECORDS[0], RECORDS[2]]), check_mode=True,
                            provider=FakeProvider([ExistingRecord(theirs, "1")]))

    assert [(c["type"], c["action"], c["after"]["ttl"]) for c in result["changes"]] == [
        ("TXT", "update", 3600), ("MX", "create", 300)]
    clamp_warnings = [w for w in result["warnings"] if "below the minimum" in w]
    assert clamp_warnings == ["TTL below the minimum 300 of zone example.com at fake, using 300 "
                              "for: MX news.example.com (TTL 120)"]


def test_no_ttl_warning_when_no_record_takes_the_raised_ttl():
    theirs = make_record("news", "TXT", "v=spf1 include:_spf.other.example ~all", zone=ZONE,
                         ttl=3600)
    result = run_record_set(params(records=[RECORDS[0]]), check_mode=True,
                            provider=FakeProvider([ExistingRecord(theirs, "1")]))

    assert result["changed"] and not any("below the minimum" in w for w in result["warnings"])


class FloorAskingProvider(FakeProvider):
    """Counts the questions about the zone's own TTL floor (DNSPod: a DescribeDomain call)."""

    asked = 0

    def min_ttl(self, zone):
        self.asked += 1
        return 120


def test_the_zone_floor_is_asked_only_when_a_ttl_is_under_the_providers_highest_floor():
    at_floor = FloorAskingProvider()
    result = run_record_set(params(records=RECORDS[:1], ttl=300), check_mode=True,
                            provider=at_floor)
    assert at_floor.asked == 0 and result["changes"][0]["after"]["ttl"] == 300

    below = FloorAskingProvider()
    result = run_record_set(params(records=RECORDS[:1], ttl=60), check_mode=True, provider=below)
    assert below.asked == 1 and result["changes"][0]["after"]["ttl"] == 120


def test_no_dnspod_plan_has_a_floor_above_the_one_that_spares_the_question():
    from ansible.module_utils.mailops.dns.providers.dnspod import DNSPOD_INFO, MIN_TTL_BY_GRADE

    assert max(MIN_TTL_BY_GRADE.values()) <= DNSPOD_INFO.min_ttl


def test_apply_writes_the_planned_changes_once():
    provider = FakeProvider()

    result = run_record_set(params(records=RECORDS[:1]), check_mode=False, provider=provider)

    assert result["status"] == "applied" and len(provider.applied) == 1


def test_nothing_to_do_is_not_changed_and_writes_nothing():
    spf = make_record("news.example.com", "TXT", "v=spf1 mx include:spf.sendcloud.org -all")
    provider = FakeProvider([ExistingRecord(spf)])

    result = run_record_set(params(records=RECORDS[:1]), check_mode=False, provider=provider)

    assert result["changed"] is False and provider.applied == []


def test_diff_has_before_and_after():
    result = run_record_set(params(records=RECORDS[:1]), check_mode=True, provider=FakeProvider())

    assert result["diff"]["before"] == {"records": []}
    assert len(result["diff"]["after"]["records"]) == 1


def test_missing_provider_credentials_name_the_options():
    with pytest.raises(ValidationError, match="rfc2136_key_secret"):
        build_provider(params(provider="rfc2136", rfc2136_server="127.0.0.1", rfc2136_key_name="k"))


def test_record_outside_the_zone_is_refused():
    outside = [{"type": "TXT", "name": "news.other.org.", "value": "x", "purpose": "verify"}]
    with pytest.raises(ValidationError, match="not inside zone"):
        run_record_set(params(records=outside), check_mode=True, provider=FakeProvider())


def test_check_mode_plan_before_the_domain_exists_lists_every_record_as_known_after_apply():
    planned = [
        {
            "purpose": "spf",
            "type": "TXT",
            "name": "news.example.com",
            "value": None,
            "priority": None,
        },
        {"purpose": "dkim", "type": "TXT", "name": None, "value": None, "priority": None},
        {"purpose": "mx", "type": "MX", "name": "news.example.com", "value": None, "priority": 10},
    ]

    result = run_record_set(
        params(zone=None, records=planned), check_mode=True, provider=FakeZoneProvider()
    )

    assert result["zone"] == ZONE
    assert [r["action"] for r in result["records"]] == ["create", "create", "create"]


class FakeZoneProvider(FakeProvider):
    def find_zone(self, fqdn):
        return ZONE


class StatefulProvider(FakeProvider):
    """Applies the changes to what it lists, with a zone TTL floor it counts questions about."""

    def __init__(self, highest_floor: int, zone_floor: int) -> None:
        super().__init__()
        self.info = ProviderInfo(name="fake", default_ttl=600, min_ttl=highest_floor,
                                 min_ttl_rule="by plan")
        self.zone_floor = zone_floor
        self.asked = 0

    def min_ttl(self, zone):
        self.asked += 1
        return self.zone_floor

    def apply_changes(self, zone, changes):
        for change in changes:
            self.existing = [e for e in self.existing if e.record is not change.before]
            if change.after is not None:
                assert change.after.ttl >= self.zone_floor, "written below the zone's floor"
                self.existing.append(ExistingRecord(change.after, str(len(self.existing))))
        return super().apply_changes(zone, changes)


WRITTEN = [RECORDS[0], RECORDS[2]]  # SPF and MX: known values


def test_a_changed_ttl_is_applied_once_then_a_second_run_plans_nothing():
    provider = StatefulProvider(highest_floor=600, zone_floor=120)
    run_record_set(params(records=WRITTEN, ttl=600), check_mode=False, provider=provider)
    assert provider.asked == 0  # the default TTL needs no question about the floor

    planned = run_record_set(params(records=WRITTEN, ttl=300), check_mode=True, provider=provider)
    applied = run_record_set(params(records=WRITTEN, ttl=300), check_mode=False, provider=provider)
    second = run_record_set(params(records=WRITTEN, ttl=300), check_mode=False, provider=provider)

    assert [(c["action"], c["after"]["ttl"]) for c in planned["changes"]] == [("update", 300)] * 2
    assert applied["changes"] == planned["changes"]
    assert second["changed"] is False and second["counts"]["unchanged"] == 2
    assert len(provider.applied) == 2  # the first run and the TTL change


def test_a_ttl_under_the_zones_floor_does_not_flap():
    provider = StatefulProvider(highest_floor=600, zone_floor=600)
    run_record_set(params(records=WRITTEN, ttl=600), check_mode=False, provider=provider)

    for _ in range(2):
        result = run_record_set(params(records=WRITTEN, ttl=300), check_mode=False,
                                provider=provider)
        assert result["changed"] is False and result["counts"]["unchanged"] == 2
        # each run names the records held at the floor, as the run that wrote them did: the
        # report these warnings go to stays as it is
        assert [w for w in result["warnings"] if "below the minimum" in w] == [
            "TTL below the minimum 600 of zone example.com at fake, using 600 for: "
            + ", ".join(f"{r['type']} {r['name']}.example.com (TTL 300)" for r in WRITTEN)]
    assert len(provider.applied) == 1


def test_a_no_op_at_the_default_ttl_asks_nothing_about_the_floor():
    provider = StatefulProvider(highest_floor=600, zone_floor=600)
    run_record_set(params(records=WRITTEN, ttl=600), check_mode=False, provider=provider)

    result = run_record_set(params(records=WRITTEN, ttl=600), check_mode=False, provider=provider)

    assert result["changed"] is False and provider.asked == 0


@pytest.mark.parametrize("ttl", [-5, 0, 604801])
def test_a_ttl_outside_a_week_is_refused_before_anything_is_read(ttl):
    """Issue 21, point 7: -5 became 600, or 0 in a manual change request."""
    provider = FakeProvider()
    with pytest.raises(ValidationError, match=f"{ttl} is not a TTL within 1..604800 seconds"):
        run_record_set(params(ttl=ttl), check_mode=False, provider=provider)
    assert provider.applied == []
