"""Capped exponential backoff with full jitter."""

from __future__ import annotations

import random


def backoff_delay(
    attempt: int, base: float = 1.0, cap: float = 20.0, rng: random.Random | None = None
) -> float:
    """Delay before retry number ``attempt`` (0-based): uniform in [base/2, min(cap, base*2^n)]."""
    ceiling = min(cap, base * (2**attempt))
    chooser = rng or random
    return chooser.uniform(min(base / 2, ceiling), ceiling)
