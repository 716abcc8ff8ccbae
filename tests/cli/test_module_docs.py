"""Every module's documentation renders with ansible-doc (make sanity checks them against the argument specs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (REPO / "library").glob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_the_module(module):
    rendered = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "-M", "library", module],
                              cwd=REPO, capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert rendered.returncode == 0, rendered.stderr
    assert "OPTIONS" in rendered.stdout and "RETURN VALUES" in rendered.stdout


@pytest.mark.parametrize("action", sorted(p.stem for p in (REPO / "action_plugins").glob("*.py")))
def test_every_action_plugin_runs_a_module_whose_docs_say_so(action):
    module = REPO / "library" / f"{action}.py"
    assert module.exists(), f"action_plugins/{action}.py has no module library/{action}.py"
    assert "mailops_in_process]" in module.read_text()


def test_mailops_tenant_says_what_the_audit_of_a_pending_rebind_returns():
    """Issue 21, point 18: the sentence read 'With continue_after_failed_stage, the audit, the
    bound domain's sending-domain stage is returned beside it instead.'"""
    rendered = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "-M", "library",
                               "mailops_tenant"], cwd=REPO, capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    text = " ".join(rendered.stdout.split())
    assert "the audit, the bound domain's" not in text
    assert ("the sending-domain stage still runs, for the bound domain, and its result is "
            "returned beside stages.rebind_pending") in text.replace("`", "").replace("'", "")


def test_mailops_tenant_documents_the_suboptions_of_its_dict_options():
    """Issue 21, point 18: ansible-doc showed 'The options of X' and nothing of them."""
    import json

    shown = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "-M", "library", "--json",
                            "mailops_tenant"], cwd=REPO, capture_output=True, text=True, timeout=60)
    options = json.loads(shown.stdout)["mailops_tenant"]["doc"]["options"]
    # the options that take a stage module's options (the others hand back an earlier result)
    stage_options = ("sendcloud", "preflight", "domain", "dns", "api_users", "binding")
    assert [name for name in stage_options if not options[name].get("suboptions")] == []
    assert "tenant_id" in options["preflight"]["suboptions"]
    assert "provider" in options["dns"]["suboptions"]
