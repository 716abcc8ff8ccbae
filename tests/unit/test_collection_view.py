"""The collection view make sanity checks spells the project's sources as a collection would."""

from __future__ import annotations

from scripts.collection_view import collection_source, literal_fragment

MODULE = '''DOCUMENTATION = r"""
description: Upserts (as M(dns_record_set)), then waits (M(dns_propagation), O(mailops_tenant#module:wait)).
extends_documentation_fragment: [mailops_attributes, mailops_in_process]
seealso:
  - module: dns_record_set
"""
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.mailops.module_glue import run
'''


def test_imports_of_the_project_module_utils_become_collection_imports():
    source = collection_source(MODULE)
    assert ("from ansible_collections.mailops.onboarding.plugins.module_utils.mailops.module_glue "
            "import run") in source
    assert "from ansible.module_utils.basic import AnsibleModule" in source


def test_doc_fragments_and_module_references_are_fully_qualified():
    source = collection_source(MODULE)
    assert ("extends_documentation_fragment: [mailops.onboarding.mailops_attributes, "
            "mailops.onboarding.mailops_in_process]") in source
    assert "M(mailops.onboarding.dns_record_set)" in source
    assert "M(mailops.onboarding.dns_propagation)" in source
    assert "O(mailops.onboarding.mailops_tenant#module:wait)" in source
    assert "  - module: mailops.onboarding.dns_record_set\n" in source


def test_a_computed_doc_fragment_is_written_out_as_literal_strings():
    fragment = literal_fragment(
        'PART = "a: 1\\n"\n\nclass ModuleDocFragment:\n    DOCUMENTATION = "options:\\n" + PART\n')
    assert "DOCUMENTATION = 'options:\\na: 1\\n'" in fragment
