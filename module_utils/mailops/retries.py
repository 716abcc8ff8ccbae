"""Retrying a call: the one backoff formula, and the one loop that re-reads before sending an
unsure write again. SendCloud and the platform (http.py), DNSPod and Route 53 use them."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any


def backoff_delay(attempt: int, base: float, cap: float, floor: float = 0.0,
                  rng: random.Random | None = None) -> float:
    """Delay before retry number ``attempt`` (0-based): capped exponential with full jitter,
    uniform in [min(floor, bound), bound] where bound = min(cap, base * 2**attempt)."""
    bound = min(cap, base * (2**attempt))
    return (rng or random).uniform(min(floor, bound), bound)


def call_with_retries(call: Callable[[], Any], *, attempts: int,
                      retryable: Callable[[Exception], bool],
                      unsure: Callable[[Exception], bool] = lambda _error: False,
                      landed: Callable[[], bool] | None = None, landed_result: Any = None,
                      pause: Callable[[int], None]) -> Any:
    """``call()`` up to ``attempts`` times. An error ``retryable`` refuses is raised at once;
    another is retried after ``pause(attempt)``. After an ``unsure`` error (a write whose
    outcome is unknown: the connection broke after it was sent) ``landed()``, a read, is asked
    before the write is sent again (after the pause, so a write that landed late is found) and
    once more after the last attempt: when it says the write landed, ``landed_result`` is
    returned and nothing is sent again. The last error is raised when the attempts run out."""
    last_error: Exception | None = None
    for attempt in range(attempts):
        if last_error is not None and landed is not None and unsure(last_error) and landed():
            return landed_result
        try:
            return call()
        except Exception as error:
            if not retryable(error):
                raise
            last_error = error
        if attempt + 1 < attempts:
            pause(attempt)
    if last_error is None:
        raise AssertionError("attempts must be at least 1")
    if landed is not None and unsure(last_error) and landed():
        return landed_result
    raise last_error
