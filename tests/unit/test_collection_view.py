

def test_a_computed_doc_fragment_is_written_out_as_literal_strings():
    from scripts.collection_view import literal_fragment

    fragment = literal_fragment(
        'PART = "a: 1\\n"\n\nclass ModuleDocFragment:\n    DOCUMENTATION = "options:\\n" + PART\n')
    assert "DOCUMENTATION = 'options:\\na: 1\\n'" in fragment
