from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from ansible.module_utils.mailops import rebind
from ansible.module_utils.mailops.errors import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOW = rebind.ChangeWindow()


@pytest.mark.parametrize(("local_time", "inside"), [
    ("2026-11-27T22:59", False),   # Friday before 23:00
    ("2026-11-27T23:00", True),    # Friday 23:00 opens
    ("2026-11-28T03:00", True),    # Saturday night
    ("2026-11-28T05:59", True),
    ("2026-11-28T06:00", False),   # Saturday 06:00 closes
    ("2026-11-25T23:30", False),   # a Wednesday night
])
def test_the_default_window_is_friday_23_to_saturday_06_shanghai(local_time, inside):
    moment = datetime.fromisoformat(local_time).replace(tzinfo=SHANGHAI)
    assert WINDOW.contains(moment) is inside


def test_the_window_is_judged_in_its_own_time_zone():
    utc_friday_1530 = datetime.fromisoformat("2026-11-27T15:30:00+00:00")   # 23:30 in Shanghai
    assert WINDOW.contains(utc_friday_1530)


def test_a_window_that_wraps_past_sunday_midnight():
    window = rebind.ChangeWindow("sunday", "22:00", "monday", "02:00", "UTC")
    assert window.contains(datetime.fromisoformat("2026-11-30T01:00:00+00:00"))
    assert not window.contains(datetime.fromisoformat("2026-11-30T03:00:00+00:00"))


@time_machine.travel(datetime(2026, 11, 27, 16, 0, tzinfo=ZoneInfo("UTC")), tick=False)
def test_with_a_frozen_clock_now_is_read_from_the_clock():
    assert WINDOW.contains(rebind.parse_now(None))          # 00:00 Saturday in Shanghai


def test_next_opening_is_named():
    thursday = datetime.fromisoformat("2026-11-26T12:00:00+08:00")
    assert WINDOW.next_opening(thursday).isoformat().startswith("2026-11-27T23:00")


@pytest.mark.parametrize("ticket", [None, "", "chg-1", "CHG 1", "1234"])
def test_missing_or_malformed_tickets_are_refused(ticket):
    with pytest.raises(ValidationError):
        rebind.check_ticket(ticket, "^[A-Z][A-Z0-9]*-[0-9]+$")


def test_a_well_formed_ticket_passes():
    rebind.check_ticket("CHG-1234", "^[A-Z][A-Z0-9]*-[0-9]+$")


def test_phase_before_the_switch_is_switch_from_the_bound_domain():
    assert rebind.phase_of("old.example", "new.example", []) == ("switch", "old.example")


def entry(outcome: str, old: str = "old.example", new: str = "new.example") -> dict:
    return {"old_domain": old, "new_domain": new, "outcome": outcome}


def test_a_run_killed_after_the_switch_resumes_with_the_retirement():
    entries = [entry("started"), entry("switched")]
    assert rebind.phase_of("new.example", "new.example", entries) == ("retire", "old.example")


def test_a_run_killed_between_the_binding_write_and_its_log_entry_runs_the_switch_again():
    """The switch's steps are idempotent: run again, they change nothing and log the switch."""
    assert rebind.phase_of("new.example", "new.example", [entry("started")]) == ("switch", "old.example")


def test_a_rebind_stopped_before_the_switch_and_put_back_in_the_inventory_is_undone():
    """The API users may point to new.example already: a rebind from it re-points them back."""
    entries = [entry("started"), entry("failed")]
    assert rebind.phase_of("old.example", "old.example", entries) == ("switch", "new.example")


def test_only_the_last_attempt_counts():
    entries = [entry("started"), entry("switched"), entry("completed"),
               entry("started", "new.example", "third.example"), entry("failed", "new.example", "third.example")]
    assert rebind.phase_of("new.example", "new.example", entries) == ("switch", "third.example")
    assert rebind.phase_of("new.example", "new.example", entries[:3]) == ("done", None)


def test_a_completed_rebind_is_done():
    entries = [entry("started"), entry("switched"), entry("completed")]
    assert rebind.phase_of("new.example", "new.example", entries) == ("done", None)


def test_an_unbound_tenant_is_sent_to_onboarding():
    with pytest.raises(ValidationError, match="onboard"):
        rebind.phase_of(None, "new.example", [])


def test_audit_entries_never_hold_secrets(tmp_path):
    log = tmp_path / "audit.jsonl"
    rebind.append_entry(log, {"tenant": "acme", "api_key": "SECRET", "outcome": "started"})
    assert "SECRET" not in log.read_text()
    assert rebind.journal_entries(log, "acme")[0]["outcome"] == "started"


@pytest.mark.parametrize("time", ["24:30", "25:00", "7:60", "23h"])
def test_a_window_time_that_is_not_a_time_of_day_is_refused(time):
    with pytest.raises(ValidationError, match=f"rebind_window time '{time}' is not HH:MM"):
        rebind.ChangeWindow(end=time).contains(datetime(2026, 11, 27, 23, 30, tzinfo=ZoneInfo("UTC")))


def test_a_window_may_end_at_24_00():
    window = rebind.ChangeWindow(start_day="friday", start="20:00", end_day="friday", end="24:00",
                                 timezone="UTC")
    assert window.contains(datetime(2026, 11, 27, 23, 59, tzinfo=ZoneInfo("UTC")))


def test_a_rehearsed_time_that_is_not_iso_names_the_variable():
    with pytest.raises(ValidationError, match="rebind_now 'friday 23:30' is not an ISO 8601 time"):
        rebind.parse_now("friday 23:30")


def test_messages_give_a_moment_in_the_window_s_time_zone():
    window = rebind.ChangeWindow()   # Asia/Shanghai
    local = window.local(datetime(2026, 11, 27, 12, 47, tzinfo=ZoneInfo("UTC")))
    assert local.isoformat(timespec="minutes") == "2026-11-27T20:47+08:00"


def test_the_tenants_a_ticket_names_must_be_what_the_limit_matched():
    from ansible.module_utils.mailops.rebind import check_tenants, tenants_named
    assert tenants_named("globex, acme,") == ["acme", "globex"] == tenants_named(["acme", "globex"])
    check_tenants(["acme", "globex"], ["globex", "acme"])
    with pytest.raises(ValidationError, match=r"-l also matched globex, initech"):
        check_tenants(["acme"], ["acme", "globex", "initech"])
    with pytest.raises(ValidationError, match="rebind_tenants is not set"):
        check_tenants([], ["acme"])


def test_the_grace_period_is_a_duration_and_a_bad_one_names_the_variable():
    assert [rebind.parse_duration(v) for v in ("7d", "36h", "90m", "30s", 45, "0")] == [
        604800, 129600, 5400, 30, 45, 0]
    with pytest.raises(ValidationError, match="rebind_retire_after '1 week' is not a duration"):
        rebind.parse_duration("1 week")


def test_a_switched_rebind_retires_once_its_old_domain_has_served_its_grace_period():
    until = "2026-12-11T15:00:00+00:00"
    entries = [{"outcome": "started", "old_domain": "news.acme.example", "ticket": "CHG-1",
                "tenants": ["acme"]},
               {"outcome": "switched", "serves_until": until}]
    retirement = rebind.retirement_of(entries)
    assert retirement.describe() == f"old domain news.acme.example serves until {until}"
    assert not retirement.due(datetime.fromisoformat("2026-12-11T14:59:59+00:00"))
    assert retirement.due(datetime.fromisoformat(until))
    # a retirement that began (and was killed) resumes whatever the time
    began = rebind.retirement_of([*entries, {"outcome": "retiring"}])
    assert began.due(datetime.fromisoformat("2026-12-01T00:00:00+00:00"))
    assert rebind.retirement_of([*entries, {"outcome": "retiring"}, {"outcome": "completed"}]) is None
    assert rebind.retirement_of(entries[:1]) is None   # not switched: nothing to retire yet
