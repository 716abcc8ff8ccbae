"""The sandbox process: one HTTP server per component, the DNS server, admin routes, the request log.

The framework owns sockets, threads, the request log, injected latency and faults; the
components (``sandbox/core.py`` contract) only turn a request into a response.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import struct
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox import requestlog
from sandbox.cloudflare import CloudflareEmulator
from sandbox.config import SandboxConfig
from sandbox.core import Component, Request, RequestName, Response, Store
from sandbox.dns_server import DnsServer
from sandbox.dnspod import DnspodEmulator
from sandbox.faults import FaultInjector, FaultRule, LatencyInjector
from sandbox.platform import PlatformEmulator
from sandbox.ports import busy_ports
from sandbox.requestlog import LogEntry
from sandbox.route53 import Route53Moto

try:  # written by another part of the project; the sandbox runs without it
    from sandbox.sendcloud import SendCloudEmulator
except ImportError:  # pragma: no cover - only while sendcloud.py does not exist
    SendCloudEmulator = None  # type: ignore[assignment,misc]

log = logging.getLogger("sandbox")

ADMIN_PREFIX = "/_sandbox/"
FRAMEWORK_ADMIN_PATHS = ("/healthz", "/_sandbox/requests", "/_sandbox/latency", "/_sandbox/faults")
PRE_HANDLING_FAULTS = ("http_500", "timeout", "reset")
POLL_INTERVAL_S = 0.1  # how fast serve_forever notices shutdown()
META_SCHEMA = "CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


@dataclass
class Outcome:
    """What the framework did with one API request, for the request log."""

    status: int | None
    action: str
    kind: str = "read"
    account: str = ""
    params: dict[str, Any] | None = None
    fault: str | None = None


class SeedCredentialChecker:
    """Fallback for the platform when the SendCloud emulator is missing: the seed's admin pairs."""

    def __init__(self, seed: dict[str, Any]) -> None:
        accounts = (seed.get("sendcloud") or {}).get("accounts") or []
        self.keys = {str(a["api_user"]): str(a["api_key"]) for a in accounts}

    def __call__(self, api_user: str, api_key: str) -> bool:
        return self.keys.get(api_user) == api_key


class Sandbox:
    """All components over one SQLite store, their listeners, and the shared injectors."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = FaultInjector()
        self.latency = LatencyInjector()
        self.store: Store | None = None
        self.dnspod = DnspodEmulator()
        self.cloudflare = CloudflareEmulator()
        self.sendcloud: Any = None
        if SendCloudEmulator is not None:
            self.sendcloud = SendCloudEmulator(default_dns_server=(config.host, config.ports.dns))
        checker = (
            self.sendcloud.check_credentials
            if self.sendcloud
            else SeedCredentialChecker(config.seed)
        )
        self.platform = PlatformEmulator(check_credentials=checker)
        self.http_servers: list[ComponentHTTPServer] = []
        self.dns_server: DnsServer | None = None
        self.route53: Route53Moto | None = None
        if config.route53_enabled:
            self.route53 = Route53Moto(config.host, config.ports.route53, config.seed["route53"],
                                       config.state_dir / "moto.log")

    def components(self) -> dict[str, Component]:
        found: dict[str, Component] = {}
        if self.sendcloud is not None:
            found["sendcloud"] = self.sendcloud
        found["dnspod"] = self.dnspod
        found["platform"] = self.platform
        found["cloudflare"] = self.cloudflare
        return found

    # ------------------------------------------------------------------------------- state
    def open_state(self) -> Store:
        """Open ``state.db``, create every table, seed it once (first start only)."""
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        store = Store(self.config.db_path)
        store.execute(META_SCHEMA)
        requestlog.init_schema(store)
        for component in self.components().values():
            component.init_schema(store)
        seeded = store.query("SELECT value FROM sandbox_meta WHERE key = 'seeded_at'")
        if not seeded:
            for component in self.components().values():
                component.load_seed(store, self.config.seed)
            store.execute(
                "INSERT INTO sandbox_meta (key, value) VALUES ('seeded_at', ?)", (str(time.time()),)
            )
        self.dnspod.configure(self.config.seed)
        self.cloudflare.configure(self.config.seed)
        if self.sendcloud is not None:
            self.sendcloud.configure(self.config.seed)
        self.store = store
        return store

    # ----------------------------------------------------------------------------- network
    def start(self) -> None:
        if self.store is None:
            self.open_state()
        host, ports = self.config.host, self.config.ports.http_ports()
        for name, component in self.components().items():
            server = ComponentHTTPServer((host, ports[name]), self, component)
            self.http_servers.append(server)
        if self.route53 is not None:
            self.route53.start()
        sources: tuple[Any, ...] = (self.cloudflare,)
        if self.route53 is not None:
            sources += (self.route53,)
        self.dns_server = DnsServer(host, self.config.ports.dns, self.dnspod, sources)
        for server in self.http_servers:
            threading.Thread(
                target=server.serve_forever,
                args=(POLL_INTERVAL_S,),
                name=f"http-{server.component.name}",
                daemon=True,
            ).start()
        self.dns_server.start()

    def stop(self) -> None:
        """Stop every listener (in parallel: each shutdown() waits for one poll interval)."""
        stoppers = [threading.Thread(target=server.shutdown) for server in self.http_servers]
        if self.dns_server is not None:
            stoppers.append(threading.Thread(target=self.dns_server.stop))
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        for server in self.http_servers:
            server.server_close()
        if self.route53 is not None:
            self.route53.stop()

    def endpoints(self) -> dict[str, Any]:
        host, ports = self.config.host, self.config.ports
        endpoints: dict[str, Any] = {}
        if self.sendcloud is not None:
            endpoints["sendcloud"] = {"url": f"http://{host}:{ports.sendcloud}"}
        endpoints["dnspod"] = {"url": f"http://{host}:{ports.dnspod}"}
        endpoints["dns"] = {"host": host, "port": ports.dns}
        endpoints["platform"] = {"url": f"http://{host}:{ports.platform}"}
        if self.route53 is not None and self.route53.process is not None:  # moto installed
            endpoints["route53"] = {"url": self.route53.url}
        endpoints["cloudflare"] = {"url": f"http://{host}:{ports.cloudflare}"}
        return endpoints

    def record(
        self,
        component: str,
        request: Request,
        outcome: Outcome,
        started: float,
        extra_ms: float = 0.0,
    ) -> None:
        if self.store is None:
            return
        entry = LogEntry(
            component=component,
            method=request.method,
            path=request.path,
            action=outcome.action,
            kind=outcome.kind,
            account=outcome.account,
            params=outcome.params or {},
            status=outcome.status,
            duration_ms=(time.monotonic() - started) * 1000.0 + extra_ms,
            fault=outcome.fault,
            client=request.client,
        )
        try:
            requestlog.record(self.store, entry)
        except Exception:  # the log must never break a request
            log.exception("could not write the request log")


class ComponentHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, component: Component) -> None:
        self.sandbox = sandbox
        self.component = component
        self.reset_requests: set[socket.socket] = set()
        self.reset_lock = threading.Lock()
        super().__init__(address, ComponentHandler)

    def mark_for_reset(self, request: socket.socket) -> None:
        request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self.reset_lock:
            self.reset_requests.add(request)

    def shutdown_request(self, request: Any) -> None:
        with self.reset_lock:
            reset = request in self.reset_requests
            self.reset_requests.discard(request)
        if reset:  # no FIN first: close at once, SO_LINGER 0 turns it into a TCP RST
            self.close_request(request)
        else:
            super().shutdown_request(request)


class ComponentHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: ComponentHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self.dispatch()

    def do_POST(self) -> None:
        self.dispatch()

    def do_PUT(self) -> None:
        self.dispatch()

    def do_DELETE(self) -> None:
        self.dispatch()

    def do_PATCH(self) -> None:
        self.dispatch()

    # ---------------------------------------------------------------------------- plumbing
    def read_request(self) -> Request:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        return Request(
            method=self.command,
            path=url.path or "/",
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            client="{}:{}".format(*self.client_address[:2]),
        )

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, data: Any) -> None:
        self.send(status, json_bytes(data))

    def drop(self, reset: bool) -> None:
        """Close without a response: a TCP RST (reset) or a plain close."""
        self.close_connection = True
        if reset:
            self.server.mark_for_reset(self.connection)

    def dispatch(self) -> None:
        started = time.monotonic()
        try:
            request = self.read_request()
        except (OSError, ValueError):
            self.close_connection = True
            return
        if request.path in FRAMEWORK_ADMIN_PATHS:
            self.handle_admin(request)
        elif request.path.startswith(ADMIN_PREFIX):
            response = self.call_component(request)
            self.send(response.status, response.body, response.headers)
        else:
            self.handle_api(request, started)

    def call_component(self, request: Request) -> Response:
        try:
            return self.server.component.handle(request)
        except Exception:
            log.error(
                "component %s failed:\n%s", self.server.component.name, traceback.format_exc()
            )
            return Response(status=500, body=json_bytes({"error": "internal error in the sandbox"}))

    # ------------------------------------------------------------------------- API requests
    def handle_api(self, request: Request, started: float) -> None:
        """Latency, faults, the component, the log; the log row is written before the reply
        goes out, so a client that got its answer finds its request in the log."""
        sandbox, name = self.server.sandbox, self.server.component.name
        delay = sandbox.latency.delay_seconds(name)
        if delay:
            time.sleep(delay)
        request_name = self.server.component.name_request(request)
        names = request_names(request, request_name)
        rule = sandbox.faults.pick(name, names, PRE_HANDLING_FAULTS)
        if rule is not None:
            self.inject_before(request, request_name, rule, started)
            return
        response = self.call_component(request)
        outcome = Outcome(
            response.status, response.action, response.kind, response.account, response.params
        )
        if response.committed_write:
            drop_rule = sandbox.faults.pick(name, names, ("commit_then_drop",))
            if drop_rule is not None:
                outcome.status, outcome.fault = None, drop_rule.kind
                sandbox.record(name, request, outcome, started)
                self.drop(reset=True)
                return
        sandbox.record(name, request, outcome, started)
        self.send(response.status, response.body, response.headers)

    def inject_before(self, request: Request, request_name: RequestName, rule: FaultRule,
                      started: float) -> None:
        """A fault that replaces the component: the request is logged, with the action and kind
        it has when it is answered (a filter on writes finds an attempted write), then the fault
        acts."""
        sandbox, name = self.server.sandbox, self.server.component.name
        outcome = Outcome(500 if rule.kind == "http_500" else None, request_name.action,
                          request_name.kind, fault=rule.kind)
        hold_ms = rule.hold_s * 1000.0 if rule.kind == "timeout" else 0.0
        sandbox.record(name, request, outcome, started, extra_ms=hold_ms)
        if rule.kind == "http_500":
            error = {"code": "injected_fault", "message": "injected HTTP 500"}
            self.send_json(500, {"error": error})
        elif rule.kind == "timeout":
            time.sleep(rule.hold_s)
            self.drop(reset=False)
        else:  # reset
            self.drop(reset=True)

    # ------------------------------------------------------------------------ admin routes
    def handle_admin(self, request: Request) -> None:
        try:
            status, data = self.admin_route(request)
        except (ValueError, TypeError, KeyError) as error:
            status, data = 400, {"error": {"code": "bad_request", "message": str(error)}}
        self.send_json(status, data)

    def admin_route(self, request: Request) -> tuple[int, Any]:
        sandbox, method, path = self.server.sandbox, request.method, request.path
        if path == "/healthz" and method == "GET":
            return 200, {"ok": True, "component": self.server.component.name}
        if path == "/_sandbox/requests":
            if method == "GET":
                assert sandbox.store is not None
                return 200, {"requests": requestlog.query_store(sandbox.store, **request.query)}
            if method == "DELETE":
                assert sandbox.store is not None
                requestlog.clear(sandbox.store)
                return 200, {"ok": True}
        if path == "/_sandbox/latency":
            if method == "GET":
                return 200, {"latency": sandbox.latency.describe()}
            if method == "PUT":
                body = parse_json_object(request.body)
                sandbox.latency.configure(
                    float(body.get("fixed_ms", 0)),
                    float(body.get("jitter_ms", 0)),
                    body.get("component"),
                )
                return 200, {"latency": sandbox.latency.describe()}
            if method == "DELETE":
                sandbox.latency.clear()
                return 200, {"latency": {}}
        if path == "/_sandbox/faults":
            if method == "GET":
                return 200, sandbox.faults.describe()
            if method == "PUT":
                body = parse_json_object(request.body)
                sandbox.faults.configure(list(body.get("rules") or []), int(body.get("seed", 0)))
                return 200, sandbox.faults.describe()
            if method == "DELETE":
                sandbox.faults.clear()
                return 200, sandbox.faults.describe()
        return 405, {"error": {"code": "method_not_allowed", "message": f"{method} {path}"}}


def parse_json_object(body: bytes) -> dict[str, Any]:
    data = json.loads(body.decode("utf-8") or "{}")
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def request_names(request: Request, request_name: RequestName) -> tuple[str, ...]:
    """The names a fault rule's ``action`` glob is matched against.

    The action the request log gives it (``domain/add``, ``CreateRecord``, ``PUT binding``),
    the DNSPod action header, the path (``/apiv2/domain/add``) and the path after its first
    segment (``domain/add``), and the method with the path (``PUT /api/v1/tenants/acme/binding``).
    """
    tail = "/".join(request.path.strip("/").split("/")[1:])
    return (request_name.action, request.headers.get("x-tc-action", ""), request.path, tail,
            f"{request.method} {request.path}")


# ------------------------------------------------------------------------------ process
def write_runtime_files(sandbox: Sandbox) -> None:
    config = sandbox.config
    config.pid_path.write_text(f"{os.getpid()}\n")
    config.endpoints_path.write_text(json.dumps(sandbox.endpoints(), indent=2) + "\n")


def remove_runtime_files(config: SandboxConfig) -> None:
    try:
        if config.pid_path.read_text().strip() == str(os.getpid()):
            config.pid_path.unlink()
            config.endpoints_path.unlink(missing_ok=True)
    except FileNotFoundError:
        pass


def serve(config: SandboxConfig, exit_after: float | None = None) -> int:
    """Run the sandbox in this process until SIGTERM/SIGINT (or ``exit_after`` seconds)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if busy := busy_ports(config):   # in the log instead of a bind's traceback
        for message in busy:
            log.error(message)
        return 1
    sandbox = Sandbox(config)
    sandbox.open_state()
    sandbox.start()
    write_runtime_files(sandbox)
    if SendCloudEmulator is None:
        log.warning("sandbox/sendcloud.py not found: serving without the SendCloud emulator")
    log.info("sandbox serving (pid %s): %s", os.getpid(), json.dumps(sandbox.endpoints()))
    try:
        stop_requested.wait(timeout=exit_after)
        if not stop_requested.is_set():
            log.info("--exit-after %s s reached, stopping", exit_after)
    finally:
        sandbox.stop()
        remove_runtime_files(config)
        log.info("sandbox stopped")
    return 0
