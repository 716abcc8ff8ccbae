"""Shared pytest setup.

Makes ``module_utils/`` importable as ``ansible.module_utils.*`` (the way Ansible's module
loader sees it), and registers the shared fixtures (a throw-away sandbox, a BIND9 server and an
OpenBao server) and the zone corpus's summary.
"""

from __future__ import annotations

from pathlib import Path

import ansible.module_utils

REPO_ROOT = Path(__file__).resolve().parent.parent
_module_utils = str(REPO_ROOT / "module_utils")
if _module_utils not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(_module_utils)

pytest_plugins = [
    "tests.helpers.sandbox_fixture",
    "tests.helpers.bind_fixture",
    "tests.helpers.pdns_fixture",
    "tests.helpers.moto_fixture",
    "tests.helpers.zone_corpus_report",
    "tests.helpers.openbao_fixture",
]
