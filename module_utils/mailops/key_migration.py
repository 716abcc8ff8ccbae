"""Copy a tenant's keys from the ``file`` store to the ``vault`` store, write-once, and prove
each copy by authenticating with the key read back from the store (the body of the
``sendcloud_key_migrate`` module; playbooks/migrate_keys.yml runs it). A key in the file that
does not authenticate is not copied: the store is write-once."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.credentials import CredentialStore, read_password
from ansible.module_utils.mailops.errors import AuthError, ConflictError, ValidationError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.key_store import KEY_STORE_ARG, open_key_store
from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient
from ansible.module_utils.mailops.sendcloud.keys import check_keys
from ansible.module_utils.mailops.stages.api_users import NAMES_OPTION

MIGRATE_ARGS: dict[str, dict[str, Any]] = {
    "edition": {"type": "str", "default": "domestic", "choices": ["domestic", "overseas"]},
    "api_base": {"type": "str"},
    "tenant_id": {"type": "str", "required": True},
    "api_user_names": NAMES_OPTION,
    "credentials_file": {"type": "path", "required": True},
    "vault_password_file": {"type": "path", "required": True, "no_log": False},
    "vault_id": {"type": "str", "default": "default"},
    "key_store": KEY_STORE_ARG,
    "lock_timeout": {"type": "float", "default": 120},
    "timeout": {"type": "float", "default": 15.0},
}


def migrate_keys(params: dict[str, Any], check_mode: bool,
                 http: HttpClient | None = None) -> dict[str, Any]:
    if (params["key_store"] or {}).get("kind") != "vault":
        raise ValidationError("the migration copies keys into the vault store, but "
                              "mailops_key_store is not vault for this run",
                              hint="run it with -e mailops_key_store=vault and the store's "
                              "settings (docs/credentials.md, Migration)")
    password = read_password(params["vault_password_file"], params["vault_id"])
    source = CredentialStore(params["credentials_file"], password, params["vault_id"])
    target = open_key_store(params)
    tenant_id = params["tenant_id"]
    names = list(params["api_user_names"].values())
    with source.lock(tenant_id, params["lock_timeout"], check_mode), \
            target.lock(tenant_id, params["lock_timeout"], check_mode):
        document = source.load()
        in_file = {name: entry for name, entry in document["api_users"].items() if name in names}
        if document.get("pending"):
            raise ConflictError(
                f"{source.path} journals a create that did not finish "
                f"({', '.join(sorted(document['pending']))}); nothing was copied",
                hint="run onboard.yml with the file store first, so that it settles, then migrate")
        verify(params, {name: entry["key"] for name, entry in in_file.items()}, sorted(in_file),
               http, "in the file store")
        in_store = target.keys()
        copies = []
        for name in names:
            entry = in_file.get(name)
            if entry is None:
                copies.append({"name": name, "action": "absent from the file"})
                continue
            if name in in_store and in_store[name] != entry["key"]:
                raise ConflictError(
                    f"the store already holds another key for {name} ({target.location}); "
                    "the migration never replaces a stored key",
                    hint="find out which key authenticates (playbooks/audit.yml with either "
                    "store) and remove the other one by hand")
            action = "unchanged" if name in in_store else "copy"
            if action == "copy" and not check_mode:
                details = {k: v for k, v in entry.items() if k not in ("key", "captured_at")}
                target.add_key(tenant_id, name, entry["key"], **details,
                               migrated_from=str(source.path))
            copies.append({"name": name, "action": action})
    if not check_mode:
        verify(params, target.keys(), sorted(in_file), http, "read back from the store")
    return {"changed": any(c["action"] == "copy" for c in copies), "api_users": copies,
            "key_store": target.location}


def verify(params: dict[str, Any], stored_keys: dict[str, str], names: list[str],
           http: HttpClient | None, read_where: str) -> None:
    """Every key of ``names`` in ``stored_keys`` authenticates at SendCloud."""
    account = Account.build(params["edition"], "-", "-", params["api_base"])
    http = http or HttpClient("SendCloud", timeout=params["timeout"])
    results = check_keys(account, names, stored_keys, lambda acc: SendCloudClient(acc, http))
    failing = [r for r in results if not r["authenticated"]]
    if failing:
        raise AuthError(
            f"tenant {params['tenant_id']}: the key {read_where} for "
            f"{', '.join(r['name'] for r in failing)} does not authenticate "
            f"({', '.join(r['reason'] for r in failing)}); the file store is unchanged",
            hint="if the key was reset in the console, import the new one "
            "(playbooks/import_key.yml with the vault store)")
