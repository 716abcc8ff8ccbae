"""Do the API users' stored keys still authenticate? (userinfo/get with each key; read-only)"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.errors import AuthError
from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient


def check_keys(account: Account, names: list[str], stored_keys: dict[str, str],
               client_factory=SendCloudClient) -> list[dict[str, Any]]:
    results = []
    for name in names:
        key = stored_keys.get(name)
        if key is None:
            results.append({"name": name, "authenticated": False, "reason": "no key stored"})
            continue
        client = client_factory(Account(account.edition, account.api_base, name, key))
        try:
            client.user_info()
        except AuthError as error:
            results.append({"name": name, "authenticated": False, "reason": f"refused ({error.code})"})
            continue
        results.append({"name": name, "authenticated": True, "reason": ""})
    return results
