"""Do the API users' stored keys still authenticate? (userinfo/get with each key; read-only)"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.errors import AuthError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.key_store import open_key_store
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


def check_stored_keys(edition: str, api_base: str | None, names: list[str],
                      store_params: dict[str, Any], timeout: float,
                      http: HttpClient | None = None) -> list[dict[str, Any]]:
    """``check_keys`` for the keys in a tenant's key store (``store_params``: the options
    ``open_key_store`` reads)."""
    store = open_key_store(store_params)
    account = Account.build(edition, "-", "-", api_base)
    http = http or HttpClient("SendCloud", timeout=timeout)
    return check_keys(account, names, store.keys(), lambda acc: SendCloudClient(acc, http))
