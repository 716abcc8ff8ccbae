"""Injected faults and latency, set at run time through ``/_sandbox/faults`` and ``/_sandbox/latency``.

Both live in the server process's memory (not in SQLite): a restart clears them.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("http_500", "timeout", "reset", "commit_then_drop")


@dataclass
class FaultRule:
    component: str = "*"
    action: str = "*"  # fnmatch glob against the action (or the path)
    kind: str = "http_500"
    probability: float = 1.0
    count: int | None = None  # fire on the next N matching requests; None = unlimited
    hold_s: float = 5.0  # timeout only: how long the connection is held
    fired: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        kind = str(data.get("kind", "http_500"))
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}"
            )
        count = data.get("count")
        probability = float(data.get("probability", 1.0))
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        return cls(
            component=str(data.get("component", "*")),
            action=str(data.get("action", "*")),
            kind=kind,
            probability=probability,
            count=None if count is None else int(count),
            hold_s=float(data.get("hold_s", 5.0)),
        )

    def matches(self, component: str, names: tuple[str, ...]) -> bool:
        if not fnmatch.fnmatchcase(component, self.component):
            return False
        return any(fnmatch.fnmatchcase(name, self.action) for name in names if name)

    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count


class FaultInjector:
    """Decides, per request, whether a fault fires. Seeded, so a run can be replayed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seed = 0
        self.rules: list[FaultRule] = []
        self.rng = random.Random(0)

    def configure(self, rules: list[dict[str, Any]], seed: int = 0) -> None:
        parsed = [FaultRule.from_dict(rule) for rule in rules]
        with self.lock:
            self.seed = seed
            self.rng = random.Random(seed)
            self.rules = parsed

    def clear(self) -> None:
        self.configure([], seed=0)

    def describe(self) -> dict[str, Any]:
        with self.lock:
            return {"seed": self.seed, "rules": [asdict(rule) for rule in self.rules]}

    def pick(
        self, component: str, names: tuple[str, ...], kinds: tuple[str, ...]
    ) -> FaultRule | None:
        """The first rule of one of ``kinds`` that matches and wins its dice roll, or None."""
        with self.lock:
            for rule in self.rules:
                if rule.kind not in kinds or rule.exhausted():
                    continue
                if not rule.matches(component, names):
                    continue
                if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None


@dataclass
class Latency:
    fixed_ms: float = 0.0
    jitter_ms: float = 0.0


class LatencyInjector:
    """Sleep before a component handles a request: fixed plus uniform jitter, per component or all."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_component: dict[str, Latency] = {}  # "*" applies to every component
        self.rng = random.Random()

    def configure(
        self, fixed_ms: float, jitter_ms: float = 0.0, component: str | None = None
    ) -> None:
        if fixed_ms < 0 or jitter_ms < 0:
            raise ValueError("latency must not be negative")
        with self.lock:
            self.by_component[component or "*"] = Latency(fixed_ms, jitter_ms)

    def clear(self) -> None:
        with self.lock:
            self.by_component.clear()

    def describe(self) -> dict[str, Any]:
        with self.lock:
            return {name: asdict(latency) for name, latency in self.by_component.items()}

    def delay_seconds(self, component: str) -> float:
        with self.lock:
            latency = self.by_component.get(component) or self.by_component.get("*")
            if latency is None:
                return 0.0
            jitter = self.rng.uniform(0, latency.jitter_ms) if latency.jitter_ms else 0.0
        return (latency.fixed_ms + jitter) / 1000.0
