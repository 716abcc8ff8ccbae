"""The credential files are ansible-vault files: header, errors, damage, salts (the CLI's own
round trip is tests/cli/test_vault_cli.py)."""

from __future__ import annotations

from binascii import hexlify, unhexlify

import pytest
from ansible.module_utils.mailops import vault
from ansible.module_utils.mailops.errors import AuthError, ValidationError


def test_header_names_the_vault_id():
    assert vault.encrypt(b"x", b"pw", "sandbox").startswith("$ANSIBLE_VAULT;1.2;AES256;sandbox\n")


def test_wrong_password_is_an_auth_error_without_the_password_in_it():
    text = vault.encrypt(b"secret", b"right-password")
    with pytest.raises(AuthError) as caught:
        vault.decrypt(text, b"wrong-password", source="creds.yml")
    assert "creds.yml" in str(caught.value)
    assert "right-password" not in str(caught.value) and "wrong-password" not in str(caught.value)


def test_plaintext_file_is_refused_with_a_clear_error():
    with pytest.raises(ValidationError, match="creds.yml is damaged or not encrypted"):
        vault.decrypt("api_users: {}\n", b"pw", source="creds.yml")


def test_wrong_password_says_the_file_may_be_damaged_and_how_to_tell():
    with pytest.raises(AuthError) as caught:
        vault.decrypt(vault.encrypt(b"secret", b"right"), b"wrong", source="creds.yml")
    message = str(caught.value)
    assert "either the password is wrong or the file is damaged" in message
    assert "other tenants' credential files open with the same password" in message
    assert "ansible-vault view" in message and "restore it from backup" in message


def test_a_file_of_another_vault_id_says_which_id_it_needs():
    text = vault.encrypt(b"secret", b"prod-password", "prod")
    with pytest.raises(AuthError) as caught:
        vault.decrypt(text, b"sandbox-password", source="creds.yml", vault_id="sandbox")
    message = str(caught.value)
    assert "creds.yml is encrypted for the vault id 'prod'" in message
    assert "the one of 'sandbox' (credentials_vault_id)" in message
    with pytest.raises(AuthError, match="either the password is wrong"):   # same id: as before
        vault.decrypt(text, b"wrong", source="creds.yml", vault_id="prod")


def test_damage_inside_whole_ciphertext_blocks_is_reported_as_password_or_damage():
    # Cut a whole 16-byte block off the ciphertext: the envelope still parses, only the HMAC fails.
    text = vault.encrypt(b"api_users:\n  a: {key: k1}\n" * 4, b"pw")
    salt_hex, signature, ciphertext_hex = _body(text).split(b"\n")
    damaged = _envelope(text, b"\n".join([salt_hex, signature, ciphertext_hex[:-32]]))
    with pytest.raises(AuthError, match="either the password is wrong or the file is damaged"):
        vault.decrypt(damaged, b"pw", source="creds.yml")


def _body(text: str) -> bytes:
    return unhexlify("".join(text.splitlines()[1:]))


def _envelope(text: str, body: bytes) -> str:
    return "\n".join([text.splitlines()[0], hexlify(body).decode()]) + "\n"


def _cut_ciphertext(text: str, nbytes: int) -> str:
    salt_hex, signature, ciphertext_hex = _body(text).split(b"\n")
    return _envelope(text, b"\n".join([salt_hex, signature, ciphertext_hex[: -2 * nbytes]]))


VALID = vault.encrypt(b"api_users:\n  a: {key: k1}\n" * 4, b"pw")
MALFORMED = {
    "the last line cut short (odd hex)": VALID.rstrip("\n")[:-1] + "\n",
    "the last lines missing": "\n".join(VALID.splitlines()[:-2]) + "\n",
    "a ciphertext not a whole number of blocks": _cut_ciphertext(VALID, 5),
    "only the header": VALID.splitlines()[0] + "\n",
    "a header without the cipher": "$ANSIBLE_VAULT;1.1\n" + "\n".join(VALID.splitlines()[1:]),
    "a header missing a separator": VALID.replace(";1.1;", ";1.1", 1),
    "a header with a garbled version": VALID.replace(";1.1;", ";1,1;", 1),
    "a stray character in the body": VALID[:200] + "z" + VALID[201:],
    "no ciphertext": _envelope(VALID, b"\n".join(_body(VALID).split(b"\n")[:2])),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_vault_envelope_is_called_damaged_whatever_the_password(case):
    with pytest.raises(ValidationError) as caught:
        vault.decrypt(MALFORMED[case], b"pw", source="creds.yml")
    assert "creds.yml is damaged" in str(caught.value)
    assert "restore it from backup" in str(caught.value)


def test_reading_back_what_this_process_wrote_needs_no_new_key_derivation():
    vault._derive.cache_clear()
    text = vault.encrypt(b"api_users: {}\n", b"pw")
    assert vault.decrypt(text, b"pw") == b"api_users: {}\n"
    assert vault.decrypt(text, b"pw") == b"api_users: {}\n"
    assert vault._derive.cache_info().misses == 1


def test_every_write_draws_a_fresh_salt():
    first, second = vault.encrypt(b"same", b"pw"), vault.encrypt(b"same", b"pw")
    assert first != second
    assert vault.decrypt(second, b"pw") == b"same"
    with pytest.raises(AuthError):
        vault.decrypt(first, b"other password")
