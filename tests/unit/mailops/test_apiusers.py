from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import requests
import responses
from ansible.module_utils.mailops.credentials import CredentialStore
from ansible.module_utils.mailops.errors import ConflictError, MailopsError, ValidationError
from ansible.module_utils.mailops.http import HttpClient, RetryPolicy
from ansible.module_utils.mailops.sendcloud.apiusers import ApiUserService
from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient

from tests.unit.mailops import sendcloud_fixtures as fx

LIST = f"{fx.DOMESTIC_BASE}/apiuser/list"
ADD = f"{fx.DOMESTIC_BASE}/apiuser/add"
UPDATE = f"{fx.DOMESTIC_BASE}/apiuser/update"
DOMAIN = "news.acme.example"
NAMES = {"batch": "acme_batch", "trigger": "acme_trigger"}
TRACKING = {"open": True, "click": False, "unsubscribe": True}


@pytest.fixture
def store(tmp_path) -> CredentialStore:
    return CredentialStore(str(tmp_path / "acme.vault.yml"), b"pw", "sandbox")


def service(store: CredentialStore) -> ApiUserService:
    http = HttpClient("SendCloud", retry=RetryPolicy(attempts=2, sleep=lambda _s: None))
    return ApiUserService(SendCloudClient(Account.build("domestic", "acme_admin", "k"), http),
                          store, "acme")


def store_both_keys(store: CredentialStore) -> None:
    store.add_key("acme", "acme_batch", "KB")
    store.add_key("acme", "acme_trigger", "KT")


def added(name: str, email_type: str, key: str) -> dict:
    return fx.ok({"data": dict(fx.api_user(name, email_type, DOMAIN), nameKey=key)})


@responses.activate
def test_missing_users_are_created_and_each_key_is_stored_before_the_next_create(store):
    responses.post(LIST, json=fx.api_user_list())
    keys_on_disk_at_second_create: list[dict] = []

    def second_add(request):
        keys_on_disk_at_second_create.append(store.keys())
        return (200, {}, __import__("json").dumps(added("acme_trigger", "触发", "KEY-T")))

    responses.post(ADD, json=added("acme_batch", "批量", "KEY-B"))
    responses.add_callback(responses.POST, ADD, callback=second_add)
    svc = service(store)
    plan = svc.plan(NAMES, DOMAIN, TRACKING)
    svc.apply(plan)
    assert [c.action for c in plan.changes] == ["create", "create"]
    assert keys_on_disk_at_second_create == [{"acme_batch": "KEY-B"}]
    assert store.keys() == {"acme_batch": "KEY-B", "acme_trigger": "KEY-T"}
    sent = [parse_qs(c.request.body) for c in responses.calls if c.request.url == ADD]
    assert [s["emailType"] for s in sent] == [["1"], ["0"]]


@responses.activate
def test_existing_users_with_stored_keys_are_unchanged_and_nothing_is_written(store):
    store_both_keys(store)
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch", "批量", DOMAIN),
                                               fx.api_user("acme_trigger", "触发", DOMAIN)))
    svc = service(store)
    plan = svc.plan(NAMES, DOMAIN, TRACKING)
    svc.apply(plan)
    assert not plan.changed
    assert len(responses.calls) == 1


@responses.activate
def test_changed_tracking_options_update_the_user_and_keep_its_key(store):
    store_both_keys(store)
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch", "批量", DOMAIN, open=0),
                                               fx.api_user("acme_trigger", "触发", DOMAIN)))
    responses.post(UPDATE, json=fx.ok({"data": {}}))
    svc = service(store)
    plan = svc.plan(NAMES, DOMAIN, TRACKING)
    svc.apply(plan)
    assert [c.action for c in plan.changes] == ["update", "unchanged"]
    assert parse_qs(responses.calls[1].request.body)["open"] == ["1"]
    assert store.keys() == {"acme_batch": "KB", "acme_trigger": "KT"}


@responses.activate
def test_an_existing_user_without_a_stored_key_stops_the_run_with_recovery_steps(store):
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch", "批量", DOMAIN)))
    with pytest.raises(MailopsError) as caught:
        service(store).plan(NAMES, DOMAIN, TRACKING)
    assert "will not reset the key" in str(caught.value)
    assert "playbooks/import_key.yml" in str(caught.value)


@responses.activate
def test_a_user_renamed_in_the_console_is_refused_and_its_stored_key_kept(store):
    """acme_batch was renamed away: creating the name again would overwrite its stored key."""
    store_both_keys(store)
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch_renamed", "批量", DOMAIN),
                                               fx.api_user("acme_trigger", "触发", DOMAIN)))
    with pytest.raises(ConflictError) as caught:
        service(store).plan(NAMES, DOMAIN, TRACKING)
    assert "API user acme_batch is no longer at SendCloud, but its key is stored" in str(caught.value)
    assert "give it back the name acme_batch" in str(caught.value)
    assert store.keys() == {"acme_batch": "KB", "acme_trigger": "KT"}
    assert len(responses.calls) == 1


@responses.activate
def test_a_rebind_re_points_the_users_and_leaves_no_stale_domain_in_the_credential_file(store):
    """A file from before kept each user's domain; after the re-pointing it names none (SendCloud
    says where a user points), and the keys are as they were."""
    store.add_key("acme", "acme_batch", "KB", email_type="batch", domain="old.acme.example")
    store.add_key("acme", "acme_trigger", "KT", email_type="trigger", domain="old.acme.example")
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch", "批量", "old.acme.example"),
                                               fx.api_user("acme_trigger", "触发", "old.acme.example")))
    responses.post(UPDATE, json=fx.ok({"data": {}}))
    svc = service(store)
    plan = svc.plan(NAMES, DOMAIN, TRACKING, allow_domain_change=True)
    svc.apply(plan)
    assert [c.action for c in plan.changes] == ["update", "update"]
    assert [entry.get("domain") for entry in store.load()["api_users"].values()] == [None, None]
    assert store.keys() == {"acme_batch": "KB", "acme_trigger": "KT"}


@responses.activate
def test_a_new_key_is_stored_without_a_copy_of_its_domain(store):
    responses.post(LIST, json=fx.api_user_list())
    responses.post(ADD, json=added("acme_batch", "批量", "KEY-B"))
    responses.post(ADD, json=added("acme_trigger", "触发", "KEY-T"))
    svc = service(store)
    svc.apply(svc.plan(NAMES, DOMAIN, TRACKING))
    assert all("domain" not in entry for entry in store.load()["api_users"].values())


@responses.activate
def test_a_name_bound_to_another_domain_is_refused_and_points_to_rebind(store):
    store.add_key("acme", "acme_batch", "KB")
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch", "批量", "old.acme.example")))
    with pytest.raises(ConflictError, match="rebind.yml"):
        service(store).plan(NAMES, DOMAIN, TRACKING)


@responses.activate
def test_a_user_of_the_other_type_is_refused(store):
    store.add_key("acme", "acme_batch", "KB")
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch", "触发", DOMAIN)))
    with pytest.raises(ConflictError, match="type cannot change"):
        service(store).plan(NAMES, DOMAIN, TRACKING)


@responses.activate
def test_the_ten_user_limit_is_refused_before_creating(store):
    others = [fx.api_user(f"other_{i:02d}", "触发", "x.example") for i in range(9)]
    responses.post(LIST, json=fx.api_user_list(*others))
    with pytest.raises(ConflictError, match="limit of 10 API users") as caught:
        service(store).plan(NAMES, DOMAIN, TRACKING)
    assert "orphan" not in str(caught.value)


@responses.activate
def test_the_ten_user_limit_names_the_orphans_left_by_lost_replies(store):
    others = [fx.api_user(f"other_{i:02d}", "触发", "x.example") for i in range(7)]
    orphans = [fx.api_user(f"acme_batch_orphan{i}", "批量", DOMAIN) for i in (1, 2)]
    responses.post(LIST, json=fx.api_user_list(*others, *orphans))
    with pytest.raises(ConflictError) as caught:
        service(store).plan(NAMES, DOMAIN, TRACKING)
    assert ("acme_batch_orphan1, acme_batch_orphan2 are orphans this project left"
            in str(caught.value))


@responses.activate
def test_a_create_whose_response_was_lost_renames_the_keyless_orphan_and_creates_again(store):
    responses.post(LIST, json=fx.api_user_list())
    responses.post(ADD, body=requests.ConnectionError("Connection reset by peer"))
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch", "批量", DOMAIN)))
    responses.post(UPDATE, json=fx.ok({"data": {}}))
    responses.post(ADD, json=added("acme_batch", "批量", "KEY-B2"))
    responses.post(ADD, json=added("acme_trigger", "触发", "KEY-T"))
    svc = service(store)
    svc.apply(svc.plan(NAMES, DOMAIN, TRACKING))
    renames = [parse_qs(c.request.body) for c in responses.calls if c.request.url == UPDATE]
    assert renames == [{"apiUser": ["acme_admin"], "apiKey": ["k"], "name": ["acme_batch"],
                        "newName": ["acme_batch_orphan1"]}]
    assert store.keys() == {"acme_batch": "KEY-B2", "acme_trigger": "KEY-T"}
    assert store.pending() == set()


@responses.activate
def test_every_creation_is_journaled_before_the_first_is_sent_and_each_key_at_once(store, monkeypatch):
    writes = []
    original_write = store._write
    monkeypatch.setattr(store, "_write", lambda text: (writes.append(text), original_write(text)))
    seen_at_adds = []

    def add(request):
        seen_at_adds.append((store.pending(), set(store.keys())))
        name = parse_qs(request.body)["name"][0]
        return 200, {}, json.dumps(added(name, "批量" if name.endswith("batch") else "触发", name.upper()))

    responses.post(LIST, json=fx.api_user_list())
    responses.add_callback(responses.POST, ADD, callback=add)
    svc = service(store)
    svc.apply(svc.plan(NAMES, DOMAIN, TRACKING))
    assert seen_at_adds == [({"acme_batch", "acme_trigger"}, set()),
                            ({"acme_trigger"}, {"acme_batch"})]
    assert len(writes) == 3  # the journal, then each key as soon as SendCloud returns it
    assert store.keys() == {"acme_batch": "ACME_BATCH", "acme_trigger": "ACME_TRIGGER"}


@responses.activate
def test_an_orphan_left_by_a_killed_run_is_replaced_on_the_next_run(store):
    store.mark_pending("acme", "acme_batch")     # the killed run got this far, then SendCloud committed
    responses.post(LIST, json=fx.api_user_list(fx.api_user("acme_batch", "批量", DOMAIN)))
    responses.post(UPDATE, json=fx.ok({"data": {}}))
    responses.post(ADD, json=added("acme_batch", "批量", "KEY-B"))
    responses.post(ADD, json=added("acme_trigger", "触发", "KEY-T"))
    svc = service(store)
    plan = svc.plan(NAMES, DOMAIN, TRACKING)
    assert [c.action for c in plan.changes] == ["recreate", "create"]
    svc.apply(plan)
    assert store.keys() == {"acme_batch": "KEY-B", "acme_trigger": "KEY-T"}


@responses.activate
def test_a_pending_create_that_never_reached_sendcloud_is_simply_created(store):
    store.mark_pending("acme", "acme_batch")
    responses.post(LIST, json=fx.api_user_list())
    svc = service(store)
    assert [c.action for c in svc.plan(NAMES, DOMAIN, TRACKING).changes] == ["create", "create"]


def test_invalid_names_are_refused_before_any_call(store):
    with pytest.raises(ValidationError, match="6-32 characters"):
        service(store).plan({"batch": "ab", "trigger": "acme_trigger"}, DOMAIN, TRACKING)


def test_after_a_failed_apply_the_users_stand_as_written_or_as_they_were():
    from ansible.module_utils.mailops.sendcloud.apiusers import ApiUserChange
    from ansible.module_utils.mailops.stages.api_users import as_they_stand

    old, new = {"name": "acme_trigger", "open": False}, {"name": "acme_trigger", "open": True}
    changes = [ApiUserChange("batch", "acme_batch", "create", None, {"name": "acme_batch"},
                             key_captured=True, applied=True),
               ApiUserChange("trigger", "acme_trigger", "update", old, new),    # not reached
               ApiUserChange("batch", "acme_bulk", "create", None, {"name": "acme_bulk"})]
    standing = as_they_stand(changes)
    assert [(c.name, c.action, c.after) for c in standing] == [
        ("acme_batch", "create", {"name": "acme_batch"}), ("acme_trigger", "unchanged", old)]
