"""The ``key_store`` option of the modules that read or write the API keys."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  key_store:
    description:
      - Where the API keys are kept (docs/credentials.md). C(file), the default, is the
        ansible-vault file C(credentials_file). C(vault) is the KV v2 engine of OpenBao or
        HashiCorp Vault, one secret per API user at C(<mount>/<path>/<api_user>), written once
        (check-and-set 0); C(credentials_file) then names only the local spool's place
        (C(<tenant>.spool.vault.yml) beside it), where a key goes if the store fails after
        SendCloud returned it. The rebind modules keep their journal and backups in the same
        folder.
    type: dict
    default: {}
    suboptions:
      kind: {description: "C(file) or C(vault).", type: str, choices: [file, vault], default: file}
      url: {description: "The store's address; default the environment's C(VAULT_ADDR).", type: str}
      token: {description: "Its token; default the environment's C(VAULT_TOKEN) (unless an AppRole is given).", type: str}
      role_id: {description: "AppRole role id, instead of a token.", type: str}
      secret_id: {description: "AppRole secret id.", type: str}
      mount: {description: "The KV v2 engine's mount.", type: str, default: secret}
      path: {description: "The tenant's folder in it (the inventory's default is C(mailops/<tenant_id>)).", type: str}
      ca_cert: {description: "CA bundle to verify the store's TLS certificate; default the environment's C(VAULT_CACERT).", type: str}
      verify: {description: "Verify the store's TLS certificate.", type: bool, default: true}
      timeout: {description: "Seconds per request to the store.", type: float, default: 15.0}
"""
