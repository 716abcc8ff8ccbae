"""Token bucket and backoff: bounded, jittered, capped."""

from __future__ import annotations

import random

from ansible.module_utils.mailops.dns.ratelimit import TokenBucket
from ansible.module_utils.mailops.retries import backoff_delay


def test_bucket_waits_once_its_burst_is_spent():
    now = [0.0]
    waits: list[float] = []
    bucket = TokenBucket(3600, capacity=2, clock=lambda: now[0], sleep=waits.append)

    for _ in range(3):
        bucket.acquire()

    assert waits == [1.0]


def test_backoff_is_capped_and_jittered():
    rng = random.Random(7)
    delays = [backoff_delay(attempt, base=1, cap=8, floor=0.5, rng=rng) for attempt in range(8)]
    assert all(0.5 <= delay <= 8 for delay in delays)
    assert len(set(delays)) == len(delays)
