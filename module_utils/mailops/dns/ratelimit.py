"""Client-side token bucket for per-account request caps (e.g. DNSPod's ~3600 requests/hour)."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """``capacity`` tokens, refilled at ``per_hour`` tokens an hour; ``acquire`` waits if empty."""

    def __init__(
        self,
        per_hour: int,
        capacity: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate_per_second = per_hour / 3600.0
        self.capacity = float(capacity if capacity is not None else max(1, per_hour // 60))
        self.tokens = self.capacity
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate_per_second)
        self.updated = now

    def acquire(self) -> float:
        """Take one token; returns the seconds waited."""
        self._refill()
        waited = 0.0
        if self.tokens < 1:
            wait = (1 - self.tokens) / self.rate_per_second
            self.sleep(wait)
            waited = wait
            self._refill()
        self.tokens = max(0.0, self.tokens - 1)
        return waited
