"""SendCloud and the platform through an enterprise proxy (issue 21, point 10): HTTPS_PROXY /
HTTP_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE are honoured as requests reads them, against a real
proxy and a real TLS server on loopback (trustme's CA)."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from ansible.module_utils.mailops.errors import TransientError, ValidationError
from ansible.module_utils.mailops.http import HttpClient, RetryPolicy

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
                   "CURL_CA_BUNDLE")


class Recording(BaseHTTPRequestHandler):
    """Answers every GET with JSON, recording its request line (a proxy sees absolute URLs)."""

    seen: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.seen.append(self.requestline)
        body = json.dumps({"result": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serving(tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    server.seen = []
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def clean_environment(monkeypatch) -> None:
    for name in PROXY_VARIABLES + tuple(v.lower() for v in PROXY_VARIABLES):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def proxy(clean_environment) -> Iterator[ThreadingHTTPServer]:
    server = serving()
    yield server
    server.shutdown()


def client() -> HttpClient:
    return HttpClient("SendCloud", timeout=5, retry=RetryPolicy(attempts=1, sleep=lambda _s: None))


def test_the_proxy_of_the_environment_carries_the_request(proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    result = client().request("GET", "http://api.sendcloud.invalid/apiv2/userinfo/get",
                              action="userinfo/get", idempotent=True)
    assert result.body == {"result": True}
    assert proxy.seen == ["GET http://api.sendcloud.invalid/apiv2/userinfo/get HTTP/1.1"]


def test_no_proxy_sends_the_request_past_the_proxy(proxy, monkeypatch):
    direct = serving()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client().request("GET", f"http://127.0.0.1:{direct.server_port}/api/v1/tenants/acme/binding",
                     action="binding", idempotent=True)
    direct.shutdown()
    assert proxy.seen == [] and direct.seen == ["GET /api/v1/tenants/acme/binding HTTP/1.1"]


def test_the_ca_bundle_of_the_environment_is_trusted(clean_environment, monkeypatch, tmp_path):
    authority = trustme.CA()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    server = serving(tls)
    url = f"https://127.0.0.1:{server.server_port}/apiv2/userinfo/get"
    try:
        with pytest.raises(TransientError):   # the CA is not trusted by default
            client().request("GET", url, action="userinfo/get", idempotent=True)
        bundle = tmp_path / "corporate-ca.pem"
        authority.cert_pem.write_to_path(str(bundle))
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        assert client().request("GET", url, action="userinfo/get", idempotent=True).status == 200
    finally:
        server.shutdown()


def test_a_ca_bundle_that_does_not_exist_is_named(clean_environment, monkeypatch, tmp_path):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(ValidationError, match="REQUESTS_CA_BUNDLE names .*missing.pem, which does not exist"):
        client().request("GET", "https://api.sendcloud.net/apiv2/userinfo/get", action="userinfo/get",
                         idempotent=True)
