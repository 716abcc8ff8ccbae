"""The SendCloud emulator, in-process: ``handle(core.Request)`` against a fresh Store.

DNS-based verification runs against ``StubNameserver``, a tiny dnspython authoritative
server (UDP + TCP) started here, so these tests do not depend on the sandbox's DNS server.
"""

from __future__ import annotations

import base64
import copy
import json
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import dns.exception
import dns.flags
import dns.message
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
import yaml
from cryptography.hazmat.primitives.serialization import load_der_public_key

from sandbox import core, sendcloud_records
from sandbox.sendcloud import SendCloudEmulator
from sandbox.sendcloud_dns_check import DnsRoute, RouteMap

SEED_FILE = Path(__file__).resolve().parents[2] / "sandbox" / "seed.yml"

ACME = ("acme_admin", "d77c29b3973873d75fdc3f49b2f13d3a")  # domestic, layout domestic
GLOBEX = ("globex_admin", "037e88eb6bffb91d07eab1d5f44b08c0")  # overseas, layout overseas
INITECH = ("initech_admin", "56dcd0956846cd0eeb407f2e26417395")  # domestic, domestic_v1

EXTRA_ACCOUNT = {
    "api_user": "hooli_admin",
    "api_key": "hooli-admin-key",
    "edition": "domestic",
    "verify_layout": "domestic",
    "user_name": "hooli",
    "quota": 500,
    "reputation": -3.5,
    "domains": [{"name": "hooli.example"}, {"name": "test-hooli.example", "type": 0}],
    "api_users": [{"name": "hooli_trigger", "key": "hooli-user-key", "email_type": 0,
                   "domain": "hooli.example", "open": 0, "click": 0, "unsubscribe": 1}],
}
HOOLI = ("hooli_admin", "hooli-admin-key")


# ---------------------------------------------------------------------- DNS stub


class StubNameserver:
    """Answers from ``records``: {(name, TYPE): [rdata text, ...]}, over UDP and TCP."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.force_truncation = False
        self.udp, self.tcp = _bind_pair()
        self.address = ("127.0.0.1", self.udp.getsockname()[1])
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._serve_tcp, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def publish(self, name: str, rdtype: str, value: str) -> None:
        self.records.setdefault((name.lower(), rdtype), []).append(value)

    def publish_txt(self, name: str, text: str) -> None:
        chunks = [text[i:i + 255] for i in range(0, len(text), 255)]
        self.publish(name, "TXT", " ".join(f'"{chunk}"' for chunk in chunks))

    def remove(self, name: str, rdtype: str) -> None:
        self.records.pop((name.lower(), rdtype), None)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self.udp.close()
        self.tcp.close()

    def _response(self, wire: bytes) -> dns.message.Message:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        values = self.records.get((name, rdtype))
        if values:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, rdtype, values)
            )
        return response

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self.udp.recvfrom(4096)
            except TimeoutError:
                continue
            response = self._response(wire)
            if self.force_truncation:
                response.answer.clear()
                response.flags |= dns.flags.TC
            try:
                out = response.to_wire(max_size=512)
            except dns.exception.TooBig:
                response.answer.clear()
                response.flags |= dns.flags.TC
                out = response.to_wire()
            self.udp.sendto(out, peer)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _peer = self.tcp.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    length = struct.unpack("!H", _recv_exact(conn, 2))[0]
                    out = self._response(_recv_exact(conn, length)).to_wire()
                    conn.sendall(struct.pack("!H", len(out)) + out)
                except (OSError, ValueError):
                    pass


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ValueError("connection closed")
        data += chunk
    return data


def _bind_pair() -> tuple[socket.socket, socket.socket]:
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(8)
        udp.settimeout(0.1)
        tcp.settimeout(0.1)
        return udp, tcp
    raise RuntimeError("no free UDP+TCP port pair")


# ---------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def nameserver() -> Iterator[StubNameserver]:
    server = StubNameserver()
    yield server
    server.stop()


@pytest.fixture
def dns_stub(nameserver: StubNameserver) -> StubNameserver:
    nameserver.records.clear()
    nameserver.force_truncation = False
    return nameserver


def _seed() -> dict[str, Any]:
    seed = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    seed["sendcloud"]["accounts"].append(copy.deepcopy(EXTRA_ACCOUNT))
    return seed


@pytest.fixture
def store(tmp_path: Path) -> core.Store:
    return core.Store(tmp_path / "sandbox.db")


@pytest.fixture
def emulator(store: core.Store, dns_stub: StubNameserver) -> SendCloudEmulator:
    emulator = SendCloudEmulator(default_dns_server=dns_stub.address)
    emulator.init_schema(store)
    emulator.load_seed(store, _seed())
    return emulator


def call(emulator: SendCloudEmulator, path: str, creds: tuple[str, str] | None = None,
         method: str = "POST", **params: Any) -> tuple[core.Response, dict[str, Any]]:
    fields = {key: str(value) for key, value in params.items()}
    if creds is not None:
        fields = {"apiUser": creds[0], "apiKey": creds[1], **fields}
    if method == "GET":
        request = core.Request("GET", path, fields, {}, b"")
    else:
        request = core.Request(method, path, {}, {
            "content-type": "application/x-www-form-urlencoded"}, urlencode(fields).encode())
    response = emulator.handle(request)
    return response, json.loads(response.body)


def api(emulator: SendCloudEmulator, creds: tuple[str, str], action: str,
        **params: Any) -> dict[str, Any]:
    prefix = "/api" if creds == GLOBEX else "/apiv2"
    return call(emulator, f"{prefix}/{action}", creds, **params)[1]


def code(body: dict[str, Any]) -> int:
    return body["statusCode"]


def publish_all(dns_stub: StubNameserver, item: dict[str, Any]) -> None:
    """Publish every record a domain/list item asks for."""
    for check in ("spf", "dkim", "dmarc", "verifyKey"):
        if f"{check}.domain" in item:
            dns_stub.publish_txt(item[f"{check}.domain"], item[f"{check}.value"])
    dns_stub.publish(item["mx.domain"], "MX", f"10 {item['mx.value']}.")
    if "cname.domain" in item:
        dns_stub.publish(item["cname.domain"], "CNAME", item["cname.value"] + ".")


def verify_of(emulator: SendCloudEmulator, creds: tuple[str, str], name: str) -> int:
    body = api(emulator, creds, "domain/list", name=name)
    return body["info"]["dataList"][0]["verify"]


# ---------------------------------------------------------------------- envelope, auth, routing


def test_userinfo_domestic_shape_and_misspelt_balance(emulator):
    response, body = call(emulator, "/apiv2/userinfo/get", ACME, method="GET")
    assert response.status == 200
    assert body["result"] is True and body["statusCode"] == 200 and body["message"] == "请求成功"
    info = body["info"]
    assert set(info) == {
        "avaliableBalance", "balance", "phone", "email", "quota", "todayUsedQuota", "regTime",
        "reputation", "userName", "accountType", "websiteAuthStatus", "businessAuthStatus"}
    assert info["avaliableBalance"] == 1100.5 and "availableBalance" not in info
    assert info["quota"] == 3000 and info["accountType"] == "付费用户"
    assert info["websiteAuthStatus"] is True and info["businessAuthStatus"] is True


def test_userinfo_overseas_shape(emulator):
    body = api(emulator, GLOBEX, "userinfo/get")
    assert body["message"] == "request was successful"
    assert set(body["info"]) == {
        "restNum", "restFlowSize", "email", "quota", "todayUsedQuota", "regTime", "reputation",
        "userName", "accountType"}
    assert body["info"]["restNum"] == 50000 and body["info"]["accountType"] == "paid user"


def test_negative_reputation_reports_zero_quota(emulator):
    info = api(emulator, HOOLI, "userinfo/get")["info"]
    assert info["reputation"] < 0 and info["quota"] == 0


@pytest.mark.parametrize("path,creds", [
    ("/api/userinfo/get", ACME),            # domestic account on the overseas prefix
    ("/apiv2/userinfo/get", GLOBEX),        # overseas account on the domestic prefix
    ("/apiv2/userinfo/get", (ACME[0], "wrong")),
    ("/apiv2/userinfo/get", ("nobody_here", ACME[1])),
    ("/apiv2/userinfo/get", None),
])
def test_auth_failures_are_40005(emulator, path, creds):
    response, body = call(emulator, path, creds)
    assert response.status == 200
    assert body == {"result": False, "statusCode": 40005, "message": body["message"], "info": {}}
    assert response.account == ""


def test_query_and_form_parameters_merge(emulator):
    request = core.Request(
        "POST", "/apiv2/userinfo/get", {"apiUser": ACME[0]},
        {"content-type": "application/x-www-form-urlencoded"}, urlencode({"apiKey": ACME[1]}).encode())
    assert json.loads(emulator.handle(request).body)["statusCode"] == 200


@pytest.mark.parametrize("path,creds", [
    ("/apiv2/domain/delete", ACME),          # overseas-only actions
    ("/apiv2/domain/checkConfig", ACME),
    ("/apiv2/domain/get", ACME),
    ("/api/nothing/here", GLOBEX),
    ("/elsewhere", None),
])
def test_unknown_endpoints_are_404_49901(emulator, path, creds):
    response, body = call(emulator, path, creds, name="x.example")
    assert response.status == 404
    assert body["result"] is False and body["statusCode"] == 49901 and body["info"] == {}


@pytest.mark.parametrize("method,path", [
    ("GET", "/apiv2/apiuser/update"), ("GET", "/api/apiuser/update"),
    ("PUT", "/apiv2/domain/list"), ("DELETE", "/api/domain/delete"),
])
def test_wrong_methods_are_405(emulator, method, path):
    response, body = call(emulator, path, ACME, method=method, name="abcdef")
    assert response.status == 405 and body["statusCode"] == 405 and body["result"] is False


def test_log_fields_and_redaction(emulator):
    response, _ = call(emulator, "/apiv2/domain/add", ACME, name="log.acme.example")
    assert (response.action, response.kind, response.account) == ("domain/add", "write", ACME[0])
    assert response.committed_write is True
    assert response.params == {"apiUser": ACME[0], "apiKey": "***", "name": "log.acme.example"}
    response, _ = call(emulator, "/apiv2/domain/add", ACME, name="log.acme.example")
    assert response.committed_write is False  # 41015: nothing changed
    response, _ = call(emulator, "/apiv2/domain/list", ACME, nameKey="leak")
    assert (response.kind, response.params["nameKey"]) == ("read", "***")


def test_check_credentials(emulator):
    assert emulator.check_credentials(*ACME)
    assert emulator.check_credentials(*GLOBEX)
    assert emulator.check_credentials("hooli_trigger", "hooli-user-key")  # seeded API user
    assert not emulator.check_credentials(ACME[0], GLOBEX[1])
    assert not emulator.check_credentials("hooli_trigger", "wrong")
    assert not emulator.check_credentials("", "")


# ---------------------------------------------------------------------- domains


def test_dkim_keys_are_distinct_2048_bit_rsa():
    keys = [sendcloud_records.new_dkim_public_key() for _ in range(40)]  # past a pool's growth
    assert len(set(keys)) == len(keys)
    assert {load_der_public_key(base64.b64decode(key)).key_size for key in keys} == {2048}


def test_domain_add_domestic_shape(emulator):
    body = api(emulator, ACME, "domain/add", name="Send.Acme.Example")
    assert body["result"] is True and body["message"] == "请求成功"
    data = body["info"]["data"]
    assert data["name"] == "send.acme.example" and data["type"] == "普通" and data["verify"] == 0
    assert data["spf.domain"] == "send.acme.example"
    assert data["spf.value"] == "v=spf1 include:spf.sendcloud.org ~all"
    assert data["dkim.domain"] == "sendcloud._domainkey.send.acme.example"
    assert data["dkim.value"].startswith("k=rsa; p=MII") and len(data["dkim.value"]) > 255
    assert (data["mx.domain"], data["mx.value"]) == ("send.acme.example", "mx.sendcloud.org")
    assert data["dmarc.domain"] == "_dmarc.send.acme.example"
    assert data["dmarc.value"] == "v=DMARC1; p=none; rua=mailto:dmarc@sendcloud.org"
    assert not {"verifyKey.domain", "cname.domain", "ipType"} & set(data)
    assert len(data["gmtCreated"]) == 19 and data["gmtCreated"][10] == " "
    listed = api(emulator, ACME, "domain/list")["info"]
    assert listed["count"] == 1 and listed["dataList"] == [data]


def test_domain_add_domestic_v1_shape(emulator):
    data = api(emulator, INITECH, "domain/add", name="send.initech.example")["info"]["data"]
    assert data["dkim.domain"] == "mail._domainkey.send.initech.example"
    assert data["verifyKey.domain"] == "send.initech.example"
    key = data["verifyKey.value"].removeprefix("sendcloud-site-verification=")
    assert len(key.rsplit("-", 1)[1]) == 13 and len(key) == 36 + 1 + 13
    assert (data["cname.domain"], data["cname.value"]) == (
        "sctrack.send.initech.example", "track.sendcloud.net")
    assert "dmarc.domain" not in data and "ipType" not in data


def test_domain_add_overseas_shape(emulator):
    body = api(emulator, GLOBEX, "domain/add", name="send.globex.example")
    assert body["message"] == "request was successful"
    data = body["info"]["data"]
    assert data["type"] == "ordinary" and data["ipType"] == 0
    assert data["spf.value"] == "v=spf1 include:spf.sendcloud.net ~all"
    assert data["mx.value"] == "mx.aurorasendcloud.com"
    assert data["dmarc.domain"] == "_dmarc.send.globex.example"
    assert "verifyKey.domain" not in data and "cname.domain" not in data


@pytest.mark.parametrize("name,expected", [
    ("", 41001),
    ("a" * 247 + ".com", 41002),
    ("bad_name.example", 41003),
    ("-bad.example", 41003),
    ("nodots", 41003),
    ("mysendcloud.example", 41003),
    ("ifaxin.example", 41003),
    ("a.example;b.example", 41013),
    ("a.example,b.example", 41013),
])
def test_domain_add_validation(emulator, name, expected):
    body = api(emulator, ACME, "domain/add", name=name)
    assert code(body) == expected and body["info"] == {}


def test_domain_add_without_name_is_41001(emulator):
    assert code(api(emulator, ACME, "domain/add")) == 41001


def test_domain_add_duplicate_in_same_or_other_account_is_41015(emulator):
    assert code(api(emulator, ACME, "domain/add", name="dup.example")) == 200
    assert code(api(emulator, ACME, "domain/add", name="dup.example")) == 41015
    assert code(api(emulator, INITECH, "domain/add", name="DUP.example")) == 41015


def test_domain_limit_is_5_and_test_domains_do_not_count(emulator):
    # hooli has one normal and one test domain already
    for index in range(4):
        assert code(api(emulator, HOOLI, "domain/add", name=f"d{index}.hooli.example")) == 200
    assert code(api(emulator, HOOLI, "domain/add", name="d9.hooli.example")) == 41012


def test_domain_list_filters(emulator, dns_stub):
    listed = api(emulator, HOOLI, "domain/list")["info"]
    assert [d["name"] for d in listed["dataList"]] == ["hooli.example", "test-hooli.example"]
    assert [d["type"] for d in listed["dataList"]] == ["普通", "测试"]
    only = api(emulator, HOOLI, "domain/list", name="test-hooli.example;nope.example")["info"]
    assert only["count"] == 1 and only["dataList"][0]["name"] == "test-hooli.example"
    assert api(emulator, HOOLI, "domain/list", type=0)["info"]["count"] == 1
    publish_all(dns_stub, listed["dataList"][0])  # hooli.example: verify 1+2+4+32 = 39
    assert verify_of(emulator, HOOLI, "hooli.example") == 39
    names = {
        flt: [d["name"] for d in api(emulator, HOOLI, "domain/list", verify=flt)["info"]["dataList"]]
        for flt in ("39", ">39", "<38", "0", ">7")
    }
    assert names == {"39": ["hooli.example"], ">39": ["hooli.example"],
                     "<38": ["test-hooli.example"], "0": ["test-hooli.example"],
                     ">7": ["hooli.example"]}


@pytest.mark.parametrize("params,expected", [
    ({"type": ""}, 41007), ({"type": "2"}, 41008),
    ({"verify": ""}, 41009), ({"verify": "64"}, 41010), ({"verify": ">-1"}, 41010),
    ({"verify": "abc"}, 41011), ({"verify": ">=3"}, 41011),
])
def test_domain_list_bad_filters(emulator, params, expected):
    assert code(api(emulator, ACME, "domain/list", **params)) == expected


def test_domain_update_renames_and_regenerates(emulator):
    old = api(emulator, HOOLI, "domain/list", name="hooli.example")["info"]["dataList"][0]
    data = api(emulator, HOOLI, "domain/update", name="hooli.example",
               newName="new.hooli.example")["info"]["data"]
    assert data["name"] == "new.hooli.example" and data["dkim.value"] != old["dkim.value"]
    assert data["dkim.domain"] == "sendcloud._domainkey.new.hooli.example"
    users = api(emulator, HOOLI, "apiuser/list")["info"]["dataList"]
    assert users[0]["domainName"] == "new.hooli.example"


@pytest.mark.parametrize("params,expected", [
    ({"name": "", "newName": "x.example"}, 41001),
    ({"name": "missing.example", "newName": "x.example"}, 41014),
    ({"name": "hooli.example", "newName": ""}, 41004),
    ({"name": "hooli.example", "newName": "a" * 247 + ".com"}, 41005),
    ({"name": "hooli.example", "newName": "not valid.example"}, 41006),
    ({"name": "hooli.example", "newName": "test-hooli.example"}, 41016),
])
def test_domain_update_codes(emulator, params, expected):
    assert code(api(emulator, HOOLI, "domain/update", **params)) == expected


def test_domain_update_refused_once_anything_is_verified(emulator, dns_stub):
    item = api(emulator, HOOLI, "domain/list", name="hooli.example")["info"]["dataList"][0]
    dns_stub.publish(item["mx.domain"], "MX", f"10 {item['mx.value']}.")
    body = api(emulator, HOOLI, "domain/update", name="hooli.example", newName="x.hooli.example")
    assert code(body) == 41016


def test_domain_delete_and_check_config_are_overseas(emulator, dns_stub):
    item = api(emulator, GLOBEX, "domain/add", name="send.globex.example")["info"]["data"]
    dns_stub.publish_txt(item["spf.domain"], item["spf.value"])
    data = api(emulator, GLOBEX, "domain/checkConfig", name="send.globex.example")["info"]["data"]
    assert data == {"name": "send.globex.example", "verify": 2, "dkimStatus": "fail",
                    "spfStatus": "pass", "mxStatus": "fail", "dmarcStatus": "fail"}
    assert code(api(emulator, GLOBEX, "domain/checkConfig", name="no.globex.example")) == 41014
    assert code(api(emulator, GLOBEX, "domain/delete", name="no.globex.example")) == 41014
    assert code(api(emulator, GLOBEX, "domain/delete", name="")) == 41001
    assert code(api(emulator, GLOBEX, "apiuser/add", name="globex_send", emailType=0,
                    domainName="send.globex.example")) == 200
    assert code(api(emulator, GLOBEX, "domain/delete", name="send.globex.example")) == 41016
    api(emulator, GLOBEX, "domain/add", name="spare.globex.example")
    response, body = call(emulator, "/api/domain/delete", GLOBEX, name="spare.globex.example")
    assert body == {"result": True, "statusCode": 200, "message": "request was successful",
                    "info": {}}
    assert response.committed_write is True
    names = [d["name"] for d in api(emulator, GLOBEX, "domain/list")["info"]["dataList"]]
    assert names == ["send.globex.example"]


# ---------------------------------------------------------------------- live verification


@pytest.mark.parametrize("creds,bits", [
    (ACME, {"dkim": 1, "spf": 2, "mx": 4, "dmarc": 32}),
    (GLOBEX, {"dkim": 1, "spf": 2, "mx": 4, "dmarc": 16}),
    (INITECH, {"dkim": 1, "spf": 2, "mx": 4, "cname": 8, "verifyKey": 16}),
])
def test_verify_bits_follow_dns_per_layout(emulator, dns_stub, creds, bits):
    name = f"live.{creds[0].split('_')[0]}.example"
    item = api(emulator, creds, "domain/add", name=name)["info"]["data"]
    expected = 0
    for check, bit in bits.items():
        if check == "mx":
            dns_stub.publish(name, "MX", f"10 {item['mx.value'].upper()}.")
        elif check == "cname":
            dns_stub.publish(item["cname.domain"], "CNAME", item["cname.value"] + ".")
        else:
            dns_stub.publish_txt(item[f"{check}.domain"], item[f"{check}.value"])
        expected |= bit
        assert verify_of(emulator, creds, name) == expected, check
    assert expected == sum(bits.values())
    dns_stub.remove(item["mx.domain"], "MX")
    assert verify_of(emulator, creds, name) == expected - bits["mx"]


def test_merged_spf_passes_and_two_spf_records_fail(emulator, dns_stub):
    name = api(emulator, ACME, "domain/add", name="spf.acme.example")["info"]["data"]["name"]
    dns_stub.publish_txt(name, "v=spf1 ip4:192.0.2.1 include:_spf.acme.example "
                               "include:spf.sendcloud.org ~all")
    dns_stub.publish_txt(name, "google-site-verification=unrelated")
    assert verify_of(emulator, ACME, name) == 2
    dns_stub.publish_txt(name, "v=spf1 include:spf.sendcloud.org ~all")
    assert verify_of(emulator, ACME, name) == 0


@pytest.mark.parametrize(("label", "written"), [("case", "INCLUDE:Spf.SendCloud.Org"),
                                               ("dot", "include:spf.sendcloud.org."),
                                               ("qualifier", "~include:spf.sendcloud.org")])
def test_spf_with_the_include_written_another_way_fails(emulator, dns_stub, label, written):
    """One matching rule with the client (docs/dns.md, "SPF include matching"): the include
    counts only as SendCloud gives it, an optional + aside."""
    name = api(emulator, ACME, "domain/add", name=f"spf-{label}.acme.example")["info"]["data"]["name"]
    dns_stub.publish_txt(name, f"v=spf1 {written} ~all")
    assert verify_of(emulator, ACME, name) == 0
    dns_stub.remove(name, "TXT")
    dns_stub.publish_txt(name, "v=spf1 +include:spf.sendcloud.org ~all")
    assert verify_of(emulator, ACME, name) == 2


def test_spf_without_the_include_fails(emulator, dns_stub):
    name = api(emulator, ACME, "domain/add", name="spf2.acme.example")["info"]["data"]["name"]
    dns_stub.publish_txt(name, "v=spf1 include:spf.sendcloud.net ~all")
    assert verify_of(emulator, ACME, name) == 0


def test_dkim_split_into_strings_and_spacing_verifies_even_over_tcp(emulator, dns_stub):
    item = api(emulator, ACME, "domain/add", name="dkim.acme.example")["info"]["data"]
    squeezed = item["dkim.value"].replace("; ", ";")
    dns_stub.publish_txt(item["dkim.domain"], " " + squeezed)  # two character-strings
    assert verify_of(emulator, ACME, item["name"]) == 1
    dns_stub.force_truncation = True  # every UDP answer truncated: only TCP gets the record
    assert verify_of(emulator, ACME, item["name"]) == 1


def test_two_dmarc_records_fail(emulator, dns_stub):
    item = api(emulator, ACME, "domain/add", name="dmarc.acme.example")["info"]["data"]
    dns_stub.publish_txt(item["dmarc.domain"], "v=DMARC1; p=reject")
    assert verify_of(emulator, ACME, item["name"]) == 32
    dns_stub.publish_txt(item["dmarc.domain"], "v=DMARC1; p=none")
    assert verify_of(emulator, ACME, item["name"]) == 0


def test_dns_routes_pick_the_longest_zone(emulator, dns_stub):
    other = StubNameserver()
    try:
        item = api(emulator, ACME, "domain/add", name="routed.acme.example")["info"]["data"]
        other.publish(item["mx.domain"], "MX", "10 mx.sendcloud.org.")
        assert verify_of(emulator, ACME, item["name"]) == 0
        put = {"zone": "routed.acme.example.", "host": other.address[0], "port": other.address[1]}
        response = emulator.handle(core.Request(
            "PUT", "/_sandbox/sendcloud/dns-routes", {}, {}, json.dumps(put).encode()))
        assert response.status == 200 and response.committed_write is True
        assert verify_of(emulator, ACME, item["name"]) == 4
        listing = json.loads(emulator.handle(core.Request(
            "GET", "/_sandbox/sendcloud/dns-routes", {}, {}, b"")).body)
        assert listing["routes"] == [{"zone": "routed.acme.example", "host": other.address[0],
                                      "port": other.address[1]}]
        response = emulator.handle(core.Request(
            "DELETE", "/_sandbox/sendcloud/dns-routes", {"zone": "routed.acme.example"}, {}, b""))
        assert json.loads(response.body) == {"deleted": True}
        assert verify_of(emulator, ACME, item["name"]) == 0
    finally:
        other.stop()


@pytest.mark.parametrize("method,body", [
    ("PUT", b"not json"), ("PUT", b"[1]"), ("PUT", b'{"zone": "x.test", "host": "h"}'),
    ("PUT", b'{"zone": "x.test", "host": "h", "port": 0}'), ("DELETE", b""), ("PATCH", b""),
])
def test_dns_routes_bad_requests(emulator, method, body):
    response = emulator.handle(core.Request(method, "/_sandbox/sendcloud/dns-routes", {}, {}, body))
    assert response.status in (400, 405) and response.committed_write is False


def test_route_map_longest_suffix():
    routes = RouteMap([DnsRoute("example", "10.0.0.1", 1), DnsRoute("a.example", "10.0.0.2", 2)],
                      ("127.0.0.1", 53))
    assert routes.server_for("x.A.example.") == ("10.0.0.2", 2)
    assert routes.server_for("b.example") == ("10.0.0.1", 1)
    assert routes.server_for("ba.example") == ("10.0.0.1", 1)
    assert routes.server_for("example.org") == ("127.0.0.1", 53)


def test_unreachable_nameserver_means_unverified(store):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()
    emulator = SendCloudEmulator(default_dns_server=dead)
    emulator.init_schema(store)
    emulator.load_seed(store, _seed())
    assert verify_of(emulator, HOOLI, "hooli.example") == 0


# ---------------------------------------------------------------------- API users


def test_apiuser_add_returns_key_once_and_key_authenticates(emulator, store):
    response, body = call(emulator, "/apiv2/apiuser/add", ACME, name="acme_trigger",
                          emailType=0, domainName=_add(emulator, ACME, "send.acme.example"))
    data = body["info"]["data"]
    key = data["nameKey"]
    assert len(key) == 32 and int(key, 16) >= 0
    assert data == {"name": "acme_trigger", "cType": "非测试", "emailType": "触发",
                    "domainName": "send.acme.example", "click": 0, "open": 1,
                    "unsubscribe": 1, "neteaseSender": "", "nameKey": key}
    assert response.params["apiKey"] == "***"
    listed = api(emulator, ACME, "apiuser/list")["info"]
    assert listed["count"] == 1 and "nameKey" not in listed["dataList"][0]
    assert key not in json.dumps(listed)
    dumped = "\n".join(str(tuple(row)) for row in store.query("SELECT * FROM sc_api_users"))
    assert key not in dumped
    assert emulator.check_credentials("acme_trigger", key)
    assert code(api(emulator, ("acme_trigger", key), "userinfo/get")) == 200
    response, _ = call(emulator, "/api/userinfo/get", ("acme_trigger", key))
    assert json.loads(response.body)["statusCode"] == 40005  # wrong edition for its account


def _add(emulator: SendCloudEmulator, creds: tuple[str, str], name: str) -> str:
    assert code(api(emulator, creds, "domain/add", name=name)) == 200
    return name


def test_apiuser_overseas_shape_and_defaults(emulator):
    domain = _add(emulator, GLOBEX, "send.globex.example")
    data = api(emulator, GLOBEX, "apiuser/add", name="globex_batch", emailType=1,
               domainName=domain)["info"]["data"]
    assert data.pop("nameKey")
    assert data == {"name": "globex_batch", "cType": "non-test", "emailType": "Batch",
                    "domainName": domain, "click": 0, "open": 0, "unsubscribe": 1,
                    "trackDomainName": "track2.sendcloud.net"}
    assert api(emulator, GLOBEX, "apiuser/list")["info"]["dataList"] == [data]


@pytest.mark.parametrize("params,expected", [
    ({"name": ""}, 41110),
    ({"name": "short"}, 41111),
    ({"name": "has-dash-name"}, 41111),
    ({"name": "x" * 33}, 41111),
    ({"emailType": ""}, 41101),
    ({"emailType": "2"}, 41102),
    ({"domainName": ""}, 41105),
    ({"domainName": "bad domain"}, 41106),
    ({"domainName": "a" * 247 + ".com"}, 41107),
    ({"domainName": "unknown.example"}, 41108),
    ({"domainName": "hooli.example"}, 41108),  # another account's domain
    ({"open": ""}, 41113), ({"open": "yes"}, 41114),
    ({"click": ""}, 41115), ({"click": "2"}, 41116),
    ({"unsubscribe": ""}, 41117), ({"unsubscribe": "-1"}, 41118),
    ({"name": "hooli_trigger"}, 41119),  # taken in another account
    ({"name": "acme_admin"}, 41119),     # an admin login
])
def test_apiuser_add_codes(emulator, params, expected):
    domain = _add(emulator, ACME, "send.acme.example")
    fields = {"name": "acme_user", "emailType": 0, "domainName": domain, **params}
    assert code(api(emulator, ACME, "apiuser/add", **fields)) == expected


def test_apiuser_add_missing_name_and_email_type(emulator):
    assert code(api(emulator, ACME, "apiuser/add", emailType=0, domainName="x.example")) == 41110
    assert code(api(emulator, ACME, "apiuser/add", name="acme_user")) == 41101


def test_apiuser_limit_is_10(emulator):
    domain = _add(emulator, ACME, "send.acme.example")
    for index in range(10):
        body = api(emulator, ACME, "apiuser/add", name=f"acme_u{index:02d}", emailType=0,
                   domainName=domain)
        assert code(body) == 200
    assert code(api(emulator, ACME, "apiuser/add", name="acme_u99", emailType=0,
                    domainName=domain)) == 41112


def test_click_needs_verified_cname_on_domestic_v1_only(emulator, dns_stub):
    item = api(emulator, INITECH, "domain/add", name="send.initech.example")["info"]["data"]
    body = api(emulator, INITECH, "apiuser/add", name="initech_clicks", emailType=0,
               domainName=item["name"], click=1)
    assert code(body) == 41119 and "CNAME" in body["message"]
    dns_stub.publish(item["cname.domain"], "CNAME", "track.sendcloud.net.")
    assert code(api(emulator, INITECH, "apiuser/add", name="initech_clicks", emailType=0,
                    domainName=item["name"], click=1)) == 200
    domain = _add(emulator, ACME, "send.acme.example")
    assert code(api(emulator, ACME, "apiuser/add", name="acme_clicks", emailType=0,
                    domainName=domain, click=1)) == 200


def test_apiuser_list_filters(emulator):
    domain = _add(emulator, HOOLI, "b.hooli.example")
    api(emulator, HOOLI, "apiuser/add", name="hooli_batch", emailType=1, domainName=domain)

    def names(**filters: Any) -> list[str]:
        return [u["name"] for u in api(emulator, HOOLI, "apiuser/list", **filters)["info"]["dataList"]]

    assert names() == ["hooli_trigger", "hooli_batch"]
    assert names(emailType=1) == ["hooli_batch"]
    assert names(cType=0) == [] and names(cType=1) == ["hooli_trigger", "hooli_batch"]
    assert names(domainName="HOOLI.example") == ["hooli_trigger"]
    for params, expected in [({"emailType": ""}, 41101), ({"emailType": "x"}, 41102),
                             ({"cType": ""}, 41103), ({"cType": "3"}, 41104),
                             ({"domainName": ""}, 41105)]:
        assert code(api(emulator, HOOLI, "apiuser/list", **params)) == expected


def test_apiuser_update_keeps_key(emulator):
    domain = _add(emulator, HOOLI, "b.hooli.example")
    response, body = call(emulator, "/apiv2/apiuser/update", HOOLI, name="hooli_trigger",
                          newName="hooli_renamed", domainName=domain, open=1)
    assert body["info"]["data"] == {
        "name": "hooli_renamed", "cType": "非测试", "emailType": "触发", "domainName": domain,
        "click": 0, "open": 1, "unsubscribe": 1, "neteaseSender": ""}
    assert response.committed_write is True and response.kind == "write"
    assert emulator.check_credentials("hooli_renamed", "hooli-user-key")
    assert not emulator.check_credentials("hooli_trigger", "hooli-user-key")
    response, body = call(emulator, "/apiv2/apiuser/update", HOOLI, name="hooli_renamed", open=1)
    assert code(body) == 200 and response.committed_write is False


@pytest.mark.parametrize("params,expected", [
    ({"name": ""}, 41110),
    ({"name": "nobody_at_all"}, 41109),
    ({"domainName": "nope.example"}, 41108),
    ({"newName": "bad!"}, 41111),
    ({"newName": "acme_admin"}, 41119),
    ({"open": "9"}, 41114),
])
def test_apiuser_update_codes(emulator, params, expected):
    fields = {"name": "hooli_trigger", **params}
    assert code(api(emulator, HOOLI, "apiuser/update", **fields)) == expected


def test_apiuser_update_overseas_track_domain(emulator):
    domain = _add(emulator, GLOBEX, "send.globex.example")
    api(emulator, GLOBEX, "apiuser/add", name="globex_send", emailType=0, domainName=domain)
    data = api(emulator, GLOBEX, "apiuser/update", name="globex_send",
               trackDomainName="track.globex.example", click=1)["info"]["data"]
    assert data["trackDomainName"] == "track.globex.example" and data["click"] == 1
    assert data["cType"] == "non-test" and data["emailType"] == "Trigger"


def test_load_seed_replaces_state(emulator, store):
    api(emulator, ACME, "domain/add", name="gone.acme.example")
    emulator.load_seed(store, _seed())
    assert api(emulator, ACME, "domain/list")["info"] == {"dataList": [], "count": 0}


# ---------------------------------------------------------------------- verification lag


def test_verify_lag_counts_from_the_first_request_that_finds_the_records(emulator, dns_stub):
    now = [1000.0]
    emulator.verify_lag.clock = lambda: now[0]
    emulator.verify_lag.set(60)
    item = api(emulator, ACME, "domain/add", name="lag.acme.example")["info"]["data"]
    publish_all(dns_stub, item)
    assert verify_of(emulator, ACME, "lag.acme.example") == 0   # served from now on
    now[0] += 59
    assert verify_of(emulator, ACME, "lag.acme.example") == 0
    now[0] += 1
    assert verify_of(emulator, ACME, "lag.acme.example") == 1 + 2 + 4 + 32


def test_verify_lag_starts_again_when_a_record_goes_wrong(emulator, dns_stub):
    now = [1000.0]
    emulator.verify_lag.clock = lambda: now[0]
    emulator.verify_lag.set(10, account=ACME[0])
    item = api(emulator, ACME, "domain/add", name="relag.acme.example")["info"]["data"]
    publish_all(dns_stub, item)
    verify_of(emulator, ACME, "relag.acme.example")
    now[0] += 5
    dns_stub.records.pop(("relag.acme.example", "MX"))
    assert verify_of(emulator, ACME, "relag.acme.example") == 0
    dns_stub.publish(item["mx.domain"], "MX", f"10 {item['mx.value']}.")
    now[0] += 6           # 11 s since the first sighting; the MX is found right again now
    assert verify_of(emulator, ACME, "relag.acme.example") == 1 + 2 + 32
    now[0] += 10
    assert verify_of(emulator, ACME, "relag.acme.example") == 1 + 2 + 4 + 32


def test_verify_lag_per_account_from_the_seed(store, dns_stub):
    seed = _seed()
    seed["sendcloud"]["verify_lag_s"] = 30
    seed["sendcloud"]["accounts"][0]["verify_lag_s"] = 0   # acme: none
    emulator = SendCloudEmulator(default_dns_server=dns_stub.address)
    emulator.init_schema(store)
    emulator.load_seed(store, seed)
    emulator.configure(seed)
    assert emulator.verify_lag.lag_for(ACME[0]) == 0
    assert emulator.verify_lag.lag_for(GLOBEX[0]) == 30
    item = api(emulator, ACME, "domain/add", name="nolag.acme.example")["info"]["data"]
    publish_all(dns_stub, item)
    assert verify_of(emulator, ACME, "nolag.acme.example") == 1 + 2 + 4 + 32
    assert "verify_lag_s" not in api(emulator, ACME, "userinfo/get")["info"]


def test_verify_lag_admin_route(emulator):
    def admin(method: str, body: bytes = b"") -> tuple[int, dict]:
        response = emulator.handle(core.Request(method, "/_sandbox/sendcloud/verify-lag", {}, {}, body))
        return response.status, json.loads(response.body)

    assert admin("PUT", json.dumps({"seconds": 45}).encode()) == (200, {"verify_lag_s": {"*": 45.0}})
    admin("PUT", json.dumps({"seconds": 5, "account": "acme_admin"}).encode())
    assert admin("GET")[1] == {"verify_lag_s": {"*": 45.0, "acme_admin": 5.0}}
    assert admin("PUT", b'{"seconds": -1}')[0] == 400
    assert admin("PUT", b'{"account": "x"}')[0] == 400
    assert admin("DELETE") == (200, {"verify_lag_s": {}})


def test_verify_lag_is_not_restarted_by_a_lookup_that_got_no_answer(store):
    from sandbox.sendcloud_verify_lag import VerifyLag

    now = [1000.0]
    lag = VerifyLag(clock=lambda: now[0])
    VerifyLag.init_schema(store)
    lag.set(10)
    assert lag.apply(store, "a", "d.example", {"spf": True}) == {"spf": False}
    now[0] += 5
    assert lag.apply(store, "a", "d.example", {"spf": None}) == {"spf": False}   # lost query
    now[0] += 5
    assert lag.apply(store, "a", "d.example", {"spf": True}) == {"spf": True}
    assert lag.apply(store, "a", "d.example", {"spf": False}) == {"spf": False}  # wrong: again
    now[0] += 5
    assert lag.apply(store, "a", "d.example", {"spf": True}) == {"spf": False}
