"""RFC 2136 provider: one UPDATE per zone; exact-rdata deletes; TXT split into strings."""

from __future__ import annotations

import base64

import dns.rdataclass
import dns.rdatatype
from ansible.module_utils.mailops.dns.plan import plan_changes
from ansible.module_utils.mailops.dns.providers.rfc2136 import Rfc2136Provider
from ansible.module_utils.mailops.dns.records import ExistingRecord, make_record

SECRET = base64.b64encode(b"0" * 32).decode()
DOMAIN = "news.example.test"
DKIM = make_record(
    f"s1._domainkey.{DOMAIN}", "TXT", "k=rsa;p=" + "C" * 300, ttl=300, purpose="dkim"
)
SPF = make_record(DOMAIN, "TXT", "v=spf1 include:spf.sendcloud.org ~all", ttl=300, purpose="spf")


def provider() -> Rfc2136Provider:
    return Rfc2136Provider(server="127.0.0.1", port=5354, key_name="ddns-key", key_secret=SECRET)


def test_all_changes_of_a_zone_go_into_one_update_message():
    changes = plan_changes([DKIM, SPF], []).changes

    update = provider().build_update("example.test", changes)

    assert len(update.update) == 2


def test_long_txt_is_one_record_of_several_strings():
    update = provider().build_update("example.test", plan_changes([DKIM], []).changes)

    rdata = update.update[0][0]
    assert [len(s) for s in rdata.strings] == [255, len(DKIM.value) - 255]


def test_an_update_deletes_only_the_exact_old_rdata():
    old = ExistingRecord(make_record(DOMAIN, "TXT", "v=spf1 mx -all", ttl=300))
    changes = plan_changes([SPF], [old]).changes

    update = provider().build_update("example.test", changes)

    deletion = update.update[0]
    assert deletion.deleting == dns.rdataclass.NONE  # NONE class = delete this exact RR
    assert deletion.rdtype == dns.rdatatype.TXT
    assert b"".join(deletion[0].strings) == b"v=spf1 mx -all"
