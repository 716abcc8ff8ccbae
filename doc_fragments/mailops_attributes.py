"""The attributes every module documents (check mode, diff mode, where it runs), as Ansible's
own modules and community.dns describe them; each module states its support."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return a changed status prediction without modifying the target.
  diff_mode:
    description: Will return details on what has changed (or would change in check mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
    details:
      - Runs where the task's connection runs it. For the project's tenants
        (C(ansible_connection=local)) that is the controller; the module talks to the SendCloud
        API, the DNS provider, DNS servers and the platform, never to the host itself.
"""
