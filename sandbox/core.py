"""The contract between the sandbox's process framework and its emulated components.

Every HTTP component (SendCloud, DNSPod, platform) is a plain object with a ``name`` and a
``handle(request) -> Response`` method. The framework (``sandbox/server.py``) owns sockets,
threads, the request log, injected latency and faults and the ``/_sandbox/*`` admin routes;
a component only turns one request into one response and says how to log it.

State lives in one SQLite database (``Store``); each component creates its own tables in
``init_schema`` and loads its part of the seed file in ``load_seed``.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass
class Request:
    method: str
    path: str                      # without the query string
    query: dict[str, str]          # query-string parameters (last value wins)
    headers: dict[str, str]        # header names lower-cased
    body: bytes
    client: str = ""               # the peer "host:port": one value per TCP connection


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # What the request log records. ``action`` is the API action ("domain/add",
    # "CreateRecord", "PUT binding"); ``kind`` is "read" or "write"; ``account`` names the
    # account/tenant the call acted for; ``params`` must already have secrets redacted.
    action: str = ""
    kind: str = "read"
    account: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # True when the request changed state: "commit then drop" faults only fire on these.
    committed_write: bool = False


@dataclass(frozen=True)
class RequestName:
    """What the request log calls a request, known before it is handled: a request that a fault
    replaces is logged with the same action and kind as when it is answered."""

    action: str
    kind: str  # "read" or "write"


class Component(Protocol):
    name: str

    def name_request(self, request: Request) -> RequestName: ...

    def init_schema(self, store: Store) -> None: ...

    def load_seed(self, store: Store, seed: dict[str, Any]) -> None: ...

    def handle(self, request: Request) -> Response: ...


class Store:
    """One SQLite database shared by every component; one lock serialises writers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.execute(sql, params)

    def transaction(self) -> _Transaction:
        return _Transaction(self)


class _Transaction:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.store.lock.acquire()
        self.store.conn.execute("BEGIN IMMEDIATE")
        return self.store.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.store.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.store.lock.release()
