"""The request log: one row per emulator API request, in the sandbox's SQLite database.

The server writes it; tests and benchmarks read it, either over HTTP
(``GET /_sandbox/requests``) or directly with :func:`query`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.core import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS request_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          REAL NOT NULL,
    component   TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    action      TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT 'read',
    account     TEXT NOT NULL DEFAULT '',
    params      TEXT NOT NULL DEFAULT '{}',
    status      INTEGER,
    duration_ms REAL NOT NULL DEFAULT 0,
    fault       TEXT,
    client      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS request_log_account ON request_log (account, kind);
"""

FILTER_COLUMNS = ("component", "kind", "account", "action", "method", "fault")


@dataclass
class LogEntry:
    component: str
    method: str
    path: str
    action: str = ""
    kind: str = "read"
    account: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    status: int | None = None  # None when no response was sent (timeout, reset)
    duration_ms: float = 0.0
    fault: str | None = None
    client: str = ""  # the peer "host:port" of the TCP connection the request came on
    ts: float = field(default_factory=time.time)


def init_schema(store: Store) -> None:
    with store.lock:
        store.conn.executescript(SCHEMA)
        columns = {row[1] for row in store.conn.execute("PRAGMA table_info(request_log)")}
        if "client" not in columns:  # a state directory from before the column
            store.conn.execute("ALTER TABLE request_log ADD COLUMN client TEXT NOT NULL DEFAULT ''")


def record(store: Store, entry: LogEntry) -> None:
    store.execute(
        "INSERT INTO request_log (ts, component, method, path, action, kind, account, params,"
        " status, duration_ms, fault, client) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.ts,
            entry.component,
            entry.method,
            entry.path,
            entry.action,
            entry.kind,
            entry.account,
            json.dumps(entry.params, ensure_ascii=False, default=str),
            entry.status,
            round(entry.duration_ms, 3),
            entry.fault,
            entry.client,
        ),
    )


def clear(store: Store) -> None:
    store.execute("DELETE FROM request_log")


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    values: list[Any] = []
    for column in FILTER_COLUMNS:
        value = filters.get(column)
        if value not in (None, ""):
            clauses.append(f"{column} = ?")
            values.append(value)
    since_id = filters.get("since_id")
    if since_id not in (None, ""):
        clauses.append("id > ?")
        values.append(int(since_id))
    unknown = set(filters) - set(FILTER_COLUMNS) - {"since_id"}
    if unknown:
        raise ValueError(f"unknown request-log filter(s): {', '.join(sorted(unknown))}")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", values


def _row_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    entry = dict(row)
    entry["params"] = json.loads(entry["params"] or "{}")
    return entry


def query_store(store: Store, **filters: Any) -> list[dict[str, Any]]:
    where, values = _where(filters)
    rows = store.query(f"SELECT * FROM request_log{where} ORDER BY id", tuple(values))
    return [_row_to_dict(row) for row in rows]


def query(state_dir: Path | str, **filters: Any) -> list[dict[str, Any]]:
    """Read the request log straight from ``<state_dir>/state.db``.

    Filters: component, kind, account, action, method, fault (equality) and since_id (id >).
    """
    db_path = Path(state_dir) / "state.db"
    where, values = _where(filters)
    if not db_path.exists():
        return []
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(f"SELECT * FROM request_log{where} ORDER BY id", values).fetchall()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return []
        raise
    finally:
        conn.close()
    return [_row_to_dict(row) for row in rows]
