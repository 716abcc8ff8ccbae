from __future__ import annotations

import json

import pytest
import requests
import responses
from ansible.module_utils.mailops.errors import AuthError, ValidationError
from ansible.module_utils.mailops.http import HttpClient, RetryPolicy
from ansible.module_utils.mailops.platform import (
    DesiredBinding,
    PlatformClient,
    fingerprint,
    view_of,
)

URL = "https://platform.example/api/v1/tenants/acme/binding"


def desired() -> DesiredBinding:
    return DesiredBinding("news.acme.example", "domestic",
                          {"batch": {"name": "acme_batch", "key": "KB"},
                           "trigger": {"name": "acme_trigger", "key": "KT"}},
                          "marketing@news.acme.example", "ACME", "service@acme.example")


def served(binding: DesiredBinding, revision: int = 1) -> dict:
    return dict(binding.public_view(), tenant_id="acme", revision=revision, updated_at="x")


def client() -> PlatformClient:
    http = HttpClient("marketing platform", retry=RetryPolicy(attempts=2, sleep=lambda _s: None))
    return PlatformClient("https://platform.example/api", "TOKEN", http)


def test_public_view_shows_fingerprints_never_keys():
    view = desired().public_view()
    assert view["api_users"]["batch"] == {"name": "acme_batch", "key_sha256": fingerprint("KB")}
    assert "KB" not in json.dumps(view)


def test_a_served_binding_equal_to_the_desired_one_compares_equal():
    assert view_of(served(desired())) == desired().public_view()


@responses.activate
def test_missing_binding_reads_as_none():
    responses.get(URL, status=404, json={"error": {"code": "binding_not_found", "message": "no"}})
    assert client().get_binding("acme") is None


@responses.activate
def test_put_sends_the_keys_and_the_read_revision():
    responses.put(URL, json=served(desired(), 2))
    client().put_binding("acme", desired(), revision=1)
    request = responses.calls[0].request
    assert request.headers["If-Match"] == "1"
    assert request.headers["Authorization"] == "Bearer TOKEN"
    assert json.loads(request.body)["api_users"]["batch"]["key"] == "KB"


@responses.activate
def test_a_put_whose_response_was_lost_is_re_read_and_not_repeated_when_it_landed():
    responses.put(URL, body=requests.ConnectionError("Connection reset by peer"))
    responses.get(URL, json=served(desired()))
    client().put_binding("acme", desired(), revision=None)
    assert [c.request.method for c in responses.calls] == ["PUT", "GET"]


@responses.activate
def test_a_rejected_stored_key_points_to_the_key_import_not_the_inventory():
    responses.put(URL, status=422, json={"error": {"code": "keys_rejected", "field": "api_users.batch",
                                                   "api_user": "acme_batch",
                                                   "message": "acme_batch did not authenticate"}})
    with pytest.raises(AuthError, match="keys_rejected acme_batch did not authenticate") as error:
        client().put_binding("acme", desired(), revision=None)
    assert "SendCloud does not accept the stored key of acme_batch" in str(error.value)
    assert "playbooks/import_key.yml -l <tenant> -e api_user=acme_batch" in str(error.value)
    assert "in the inventory" not in str(error.value)


@responses.activate
def test_an_invalid_field_is_a_validation_error_naming_the_inventory():
    responses.put(URL, status=422, json={"error": {"code": "invalid_field", "field": "sender_name",
                                                   "message": "sender_name is required"}})
    with pytest.raises(ValidationError, match="invalid_field sender_name is required"):
        client().put_binding("acme", desired(), revision=None)


@responses.activate
def test_a_refused_token_names_the_setting():
    responses.get(URL, status=401, json={"error": {"code": "unauthorized", "message": "bad token"}})
    with pytest.raises(AuthError, match="platform_api_token"):
        client().get_binding("acme")


@responses.activate
def test_the_tenant_id_is_quoted_in_the_url_path():
    responses.get("https://platform.example/api/v1/tenants/..%2F..%2Fx/binding", status=404,
                  json={"error": {"code": "binding_not_found", "message": "no"}})
    assert client().get_binding("../../x") is None
