"""Values a type check cannot judge (module_utils/mailops/inventory_values.py)."""

from __future__ import annotations

import pytest
from ansible.module_utils.mailops.dns.nameserver import parse_nameserver
from ansible.module_utils.mailops.errors import ValidationError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.inventory_values import host_port_problem, value_problems


@pytest.mark.parametrize("value", ["127.0.0.1", "127.0.0.1:5353", "ns1.example.com", "[::1]:53", "[::1]",
                                   "::1", "2001:db8::53"])
def test_a_host_with_or_without_its_port_is_accepted(value):
    assert host_port_problem(value) is None


@pytest.mark.parametrize("value, problem", [
    ("127.0.0.1:99999", "port 99999 is not within 1..65535"),
    ("127.0.0.1:0", "port 0 is not within"),
    ("127.0.0.1:x", "port x is not within"),
    ("ns1 example.net", "is not host[:port]"),
    (":53", "is not host[:port]"),
])
def test_a_bad_host_or_port_is_named(value, problem):
    assert problem in host_port_problem(value)


def test_every_problem_names_its_variable_and_a_fix():
    found = value_problems({"tenant_id": "../x", "dns_ttl": -5, "sendcloud_api_base": "ftp://x",
                            "platform_api_url": "https://p.example/api", "dns_nameservers": ["a:1", "b:0"],
                            "rfc2136_port": 70000, "dnspod_api_endpoint": None})
    assert sorted(found) == ["dns_nameservers", "dns_ttl", "rfc2136_port", "sendcloud_api_base", "tenant_id"]
    assert [problem for problem, _fix in found["dns_nameservers"]] == ["'b:0': port 0 is not within 1..65535"]
    assert all(fix for problems in found.values() for _problem, fix in problems)


@pytest.mark.parametrize("ttl", [1, 600, 604800])
def test_a_ttl_within_a_week_is_accepted(ttl):
    assert value_problems({"dns_ttl": ttl}) == {}


def test_a_nameserver_module_option_with_a_port_out_of_range_is_a_validation_error():
    with pytest.raises(ValidationError, match="not within 1..65535"):
        parse_nameserver("127.0.0.1:99999")


def test_a_url_that_is_not_http_is_refused_before_any_request():
    with pytest.raises(ValidationError, match="'ftp://x/a' is not an http:// or https:// URL"):
        HttpClient("SendCloud").request("GET", "ftp://x/a", action="userinfo/get", idempotent=True)
