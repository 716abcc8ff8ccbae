"""The providers: every module of this package but ``base`` is one, found here by its file.

Each provider file defines ``PLUGIN`` (``base.ProviderPlugin``). From these declarations come
the ``provider`` choices and the provider options of the modules (``option_specs``), the
inventory variables the tenant's arguments read (``tenant_inputs``), the inventory validator's
required variables, and the client (``build_provider``).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ansible.module_utils.mailops.dns.providers.base import (
    BuildContext,
    DNSProvider,
    ProviderOption,
    ProviderPlugin,
)
from ansible.module_utils.mailops.errors import ValidationError

if TYPE_CHECKING:
    # Never run. A module run by AnsiballZ (not in-process) carries only the module_utils it
    # imports by name: this import names every provider file so that it carries them all.
    # tests/unit/dns/test_provider_plugins.py fails when a provider file is missing from it.
    from ansible.module_utils.mailops.dns.providers import (  # noqa: F401
        cloudflare,
        dnspod,
        manual,
        powerdns,
        rfc2136,
        route53,
    )

NOT_PROVIDERS = ("base",)


def provider_names() -> tuple[str, ...]:
    """Every provider, by file name, sorted."""
    return tuple(sorted(
        module.name for module in pkgutil.iter_modules(__path__)
        if not module.name.startswith("_") and module.name not in NOT_PROVIDERS
    ))


def plugin(name: str) -> ProviderPlugin:
    if name not in provider_names():
        raise ValidationError(
            f"DNS provider {name!r} is not supported",
            hint=f"use one of {', '.join(provider_names())}",
        )
    module = importlib.import_module(f"{__name__}.{name}")
    return module.PLUGIN


def plugins() -> tuple[ProviderPlugin, ...]:
    return tuple(plugin(name) for name in provider_names())


def provider_options() -> tuple[ProviderOption, ...]:
    """Every provider's options, provider by provider."""
    return tuple(option for each in plugins() for option in each.options)


def option_specs() -> dict[str, dict[str, Any]]:
    """The argument spec of every provider's options (flat, as the modules take them)."""
    return {option.option: option.argument_spec() for option in provider_options()}


def build_provider(
    params: Mapping[str, Any], nameservers: list[Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> DNSProvider:
    """The client of ``params["provider"]`` from the module's parameters."""
    chosen = plugin(params["provider"])
    context = BuildContext(tenant=params.get("tenant") or "tenant", nameservers=nameservers or [])
    return chosen.create(params, context, os.environ if environ is None else environ)
