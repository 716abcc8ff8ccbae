"""SendCloud's verification lag: an item counts as verified only once its record has been served
right for ``lag`` seconds, as SendCloud's own checker, which looks at DNS on its schedule, sees it.

The lag is set per account or for every account, in the seed (``sendcloud.verify_lag_s``, and an
account's own ``verify_lag_s``; read on every start) and at run time through the admin route
``/_sandbox/sendcloud/verify-lag`` (kept in memory: a restart goes back to the seed's).

The emulator has no checker running between requests: the lag counts from the first request
that found the record served right (any call that reports ``verify``), and starts again when a
request finds it wrong (an account without a lag keeps no such times: a lag set later counts
from the next request). When each item was first found right is kept in SQLite, so a restart
does not restart the lag.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sandbox.core import Store

ALL_ACCOUNTS = "*"


class VerifyLag:
    """The configured lag per account (``*``: every account without one of its own)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, float] = {}
        self.clock = clock

    @staticmethod
    def init_schema(store: Store) -> None:
        store.execute(
            "CREATE TABLE IF NOT EXISTS sc_verify_seen ("
            " domain TEXT NOT NULL, item TEXT NOT NULL, since REAL NOT NULL,"
            " PRIMARY KEY (domain, item))"
        )

    def configure_from_seed(self, seed: dict[str, Any]) -> None:
        sendcloud = seed.get("sendcloud") or {}
        seconds = {}
        if sendcloud.get("verify_lag_s") is not None:
            seconds[ALL_ACCOUNTS] = _seconds(sendcloud["verify_lag_s"])
        for account in sendcloud.get("accounts") or []:
            if account.get("verify_lag_s") is not None:
                seconds[str(account["api_user"])] = _seconds(account["verify_lag_s"])
        with self.lock:
            self.seconds = seconds

    def set(self, seconds: float, account: str | None = None) -> None:
        with self.lock:
            self.seconds[account or ALL_ACCOUNTS] = _seconds(seconds)

    def clear(self) -> None:
        with self.lock:
            self.seconds = {}

    def describe(self) -> dict[str, float]:
        with self.lock:
            return dict(self.seconds)

    def lag_for(self, account: str) -> float:
        with self.lock:
            return self.seconds.get(account, self.seconds.get(ALL_ACCOUNTS, 0.0))

    def apply(self, store: Store, account: str, domain: str,
              served_right: dict[str, bool | None]) -> dict[str, bool]:
        """``served_right`` (item -> the record is served right now; None: unknown, the lookup
        got no answer) turned into item -> verified: right now and for at least the account's
        lag. An unknown item is not verified now but does not start its lag again. Without a
        lag, as served."""
        lag = self.lag_for(account)
        if lag <= 0:
            return {item: bool(ok) for item, ok in served_right.items()}
        now = self.clock()
        right = [item for item, ok in served_right.items() if ok]
        wrong = [item for item, ok in served_right.items() if ok is False]
        with store.transaction() as conn:
            for item in wrong:
                conn.execute("DELETE FROM sc_verify_seen WHERE domain = ? AND item = ?",
                             (domain, item))
            for item in right:
                conn.execute("INSERT OR IGNORE INTO sc_verify_seen (domain, item, since)"
                             " VALUES (?, ?, ?)", (domain, item, now))
            since = dict(conn.execute(
                "SELECT item, since FROM sc_verify_seen WHERE domain = ?", (domain,)).fetchall())
        return {item: bool(ok) and now - since.get(item, now) >= lag
                for item, ok in served_right.items()}

    @staticmethod
    def forget(conn: Any, domain: str) -> None:
        """A deleted or renamed domain's items start again."""
        conn.execute("DELETE FROM sc_verify_seen WHERE domain = ?", (domain,))


def _seconds(value: Any) -> float:
    seconds = float(value)
    if seconds < 0:
        raise ValueError("verify_lag_s must not be negative")
    return seconds
