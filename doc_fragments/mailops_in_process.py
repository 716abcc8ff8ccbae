"""The note of the modules that have an action plugin of their name (action_plugins/)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
notes:
  - With a C(local) connection (every tenant's), this module's code runs inside the worker
    process Ansible forks for the task (the action plugin of the same name), not in a new
    Python; arguments, check mode, diff, C(no_log) and results are the same. Any other
    connection, an C(async) task, or the variable C(mailops_in_process=false) runs it as an
    ordinary module.
"""
