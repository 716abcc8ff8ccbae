"""Finding the zone of a name: when there is none, the error says what to check first."""

from __future__ import annotations

import dns.message
import dns.rcode
import pytest
from ansible.module_utils.mailops.dns import zone
from ansible.module_utils.mailops.dns.nameserver import parse_nameserver
from ansible.module_utils.mailops.errors import NotFoundError


def test_a_sending_domain_in_no_zone_asks_first_to_check_its_spelling(monkeypatch):
    def refused(_server, name, _rdtype, **_kwargs):
        response = dns.message.make_response(dns.message.make_query(name, "SOA"))
        response.set_rcode(dns.rcode.REFUSED)
        return response

    monkeypatch.setattr(zone, "query", refused)
    with pytest.raises(NotFoundError) as error:
        zone.find_zone_at("send2.globex.exmaple", [parse_nameserver("127.0.0.1:53")])
    assert "check the spelling of send2.globex.exmaple (sending_domain)" in str(error.value)
