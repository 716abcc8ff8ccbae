"""The one form a domain name takes before it is compared or stored."""

from __future__ import annotations


def domain_key(name: str) -> str:
    """``name`` without surrounding space or trailing dot, in lower case."""
    return name.strip().rstrip(".").lower()
