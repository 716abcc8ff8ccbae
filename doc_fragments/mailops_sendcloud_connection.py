"""The SendCloud connection options of the modules that take them at the top level
(``SENDCLOUD_ARGS`` in module_utils/mailops/module_glue.py)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  edition: {description: "SendCloud edition of the account.", type: str, choices: [domestic, overseas], default: domestic}
  api_base: {description: "API base URL; defaults to the edition's public endpoint.", type: str}
  api_user: {description: "An API_USER of the account, for management calls.", type: str, required: true}
  api_key: {description: "Its API_KEY.", type: str, required: true}
  timeout: {description: "Seconds per HTTP request.", type: float, default: 15.0}
"""
