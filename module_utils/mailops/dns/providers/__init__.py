"""Provider factory by name."""

from __future__ import annotations

from ansible.module_utils.mailops.dns.providers.base import DNSProvider
from ansible.module_utils.mailops.errors import ValidationError

PROVIDER_NAMES = ("dnspod", "rfc2136", "manual")


def create_provider(name: str, **options: object) -> DNSProvider:
    """Build the provider called ``name`` from keyword options (see each provider's __init__)."""
    if name == "dnspod":
        from ansible.module_utils.mailops.dns.providers.dnspod import DnspodProvider

        return DnspodProvider(**options)  # type: ignore[arg-type]
    if name == "rfc2136":
        from ansible.module_utils.mailops.dns.providers.rfc2136 import Rfc2136Provider

        return Rfc2136Provider(**options)  # type: ignore[arg-type]
    if name == "manual":
        from ansible.module_utils.mailops.dns.providers.manual import ManualProvider

        return ManualProvider(**options)  # type: ignore[arg-type]
    raise ValidationError(
        f"DNS provider {name!r} is not supported", hint=f"use one of {', '.join(PROVIDER_NAMES)}"
    )
