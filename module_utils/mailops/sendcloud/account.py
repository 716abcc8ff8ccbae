"""Account health: do the credentials work, KYC, balance, quota, reputation —
normalised across the domestic and overseas field sets."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.errors import AuthError
from ansible.module_utils.mailops.sendcloud.client import (
    DEFAULT_API_BASE,
    OTHER_EDITION,
    Account,
    SendCloudClient,
)


def normalise_user_info(info: dict[str, Any], edition: str) -> dict[str, Any]:
    quota = int(info.get("quota") or 0)
    used = int(info.get("todayUsedQuota") or 0)
    reputation = float(info.get("reputation") or 0)
    available = info.get("avaliableBalance", info.get("availableBalance"))  # the API's typo first
    return {
        "authenticated": True,
        "edition": edition,
        "user_name": info.get("userName"),
        "account_type": info.get("accountType"),
        "email": info.get("email"),
        "kyc": {
            "website_verified": info.get("websiteAuthStatus"),
            "business_verified": info.get("businessAuthStatus"),
        },
        "balance": _number(info.get("balance")),
        "available_balance": _number(available),
        "remaining_mails": _number(info.get("restNum")),
        "quota": 0 if reputation < 0 else quota,
        "quota_used": used,
        "quota_remaining": max((0 if reputation < 0 else quota) - used, 0),
        "reputation": reputation,
    }


def other_edition_base(account: Account) -> str:
    """Where the other edition would answer: its default host, or the same host with the
    other dialect's path (/apiv2 <-> /api) when the inventory points at a custom base."""
    other = OTHER_EDITION[account.edition]
    if account.api_base == DEFAULT_API_BASE[account.edition]:
        return DEFAULT_API_BASE[other]
    if account.api_base.endswith("/apiv2"):
        return account.api_base[: -len("/apiv2")] + "/api"
    if account.api_base.endswith("/api"):
        return account.api_base + "v2"
    return DEFAULT_API_BASE[other]


def account_info(client: SendCloudClient) -> dict[str, Any]:
    try:
        return normalise_user_info(client.user_info(), client.account.edition)
    except AuthError as error:
        account = client.account
        other = OTHER_EDITION[account.edition]
        probe = SendCloudClient(
            Account(other, other_edition_base(account), account.api_user, account.api_key),
            client.http,
        )
        try:
            probe.user_info()
        except AuthError:
            raise error from None
        raise AuthError(
            f"SendCloud refused account {account.api_user} on the {account.edition} edition "
            f"({account.api_base}), but the {other} edition ({probe.account.api_base}) accepts it",
            code=error.code,
            provider_message=error.provider_message,
            hint=f"set sendcloud_edition: {other} for this tenant",
        ) from None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
