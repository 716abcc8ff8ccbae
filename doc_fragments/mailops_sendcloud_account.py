"""The ``sendcloud`` option of the modules that run several stages with one SendCloud account."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  sendcloud:
    description: The tenant's SendCloud account, for every SendCloud call the module makes.
    type: dict
    required: true
    suboptions:
      edition: {description: "SendCloud edition.", type: str, choices: [domestic, overseas], default: domestic}
      api_base: {description: "API base URL; defaults to the edition's public endpoint.", type: str}
      api_user: {description: "API_USER for management calls.", type: str, required: true}
      api_key: {description: "Its API_KEY.", type: str, required: true}
      timeout: {description: "Seconds per HTTP request.", type: float, default: 15.0}
"""
