"""ansible-vault's file format (``$ANSIBLE_VAULT;1.2;AES256;<vault-id>``), for modules.

Modules run inside AnsiballZ, where the controller's ``ansible.parsing.vault`` cannot be
imported, so this implements the documented VaultAES256 format with ``cryptography``:
PBKDF2-HMAC-SHA256 (10 000 iterations, 32-byte salt) derives an AES-256-CTR key, an
HMAC-SHA256 key and the counter IV; the plaintext is PKCS#7-padded; the body is
hexlify(hexlify(salt) \\n hexlify(hmac) \\n hexlify(ciphertext)) in 80-column lines.
The tests prove every file this writes opens with the real ``ansible-vault view`` and
that files written by ``ansible-vault`` decrypt here.
"""

from __future__ import annotations

import functools
import hmac
import os
import re
from binascii import hexlify, unhexlify
from hashlib import sha256

from ansible.module_utils.mailops.errors import AuthError, ValidationError
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

HEADER = "$ANSIBLE_VAULT"
ITERATIONS = 10000


# Keyed by the file's salt: a file read after this process wrote or read it needs no new
# PBKDF2 (each write draws a fresh salt, so a key and IV are never reused for new plaintext).
@functools.lru_cache(maxsize=32)
def _derive(password: bytes, salt: bytes) -> tuple[bytes, bytes, bytes]:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=80, salt=salt, iterations=ITERATIONS)
    derived = kdf.derive(password)
    return derived[:32], derived[32:64], derived[64:80]


def encrypt(plaintext: bytes, password: bytes, vault_id: str = "default") -> str:
    salt = os.urandom(32)
    cipher_key, hmac_key, iv = _derive(password, salt)
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    signature = hmac.new(hmac_key, ciphertext, sha256).hexdigest().encode()
    body = hexlify(b"\n".join([hexlify(salt), signature, hexlify(ciphertext)])).decode()
    header = f"{HEADER};1.2;AES256;{vault_id}" if vault_id != "default" else f"{HEADER};1.1;AES256"
    lines = [body[i : i + 80] for i in range(0, len(body), 80)]
    return "\n".join([header, *lines]) + "\n"


def decrypt(vaulttext: str, password: bytes, source: str = "vault file",
            vault_id: str | None = None) -> bytes:
    """``vault_id``: the id the password is for, named when the file says another one."""
    salt, signature, ciphertext, file_id = _read_envelope(vaulttext, source)
    cipher_key, hmac_key, iv = _derive(password, salt)
    expected = hmac.new(hmac_key, ciphertext, sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, signature.lower()):
        if vault_id and file_id and file_id != vault_id:
            raise AuthError(
                f"{source} is encrypted for the vault id {file_id!r}, and the password given is "
                f"the one of {vault_id!r} (credentials_vault_id): it does not open it",
                hint=f"give this inventory the password file of {file_id!r} and set "
                f"credentials_vault_id to {file_id!r}, or re-encrypt the file for {vault_id!r} "
                "(ansible-vault rekey)")
        raise _wrong_password_or_damaged(source)
    decryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise _damaged(source, "its decrypted content has invalid padding") from None


def _read_envelope(vaulttext: str, source: str) -> tuple[bytes, bytes, bytes, str | None]:
    """The salt, the HMAC (hex), the ciphertext and the vault id a 1.2 header names (if any)
    of a vault file; a malformed envelope is damage whatever the password, so it is named as
    such before any key is derived."""
    lines = vaulttext.strip().splitlines()
    if not lines or not lines[0].startswith(HEADER + ";"):
        raise ValidationError(
            f"{source} is damaged or not encrypted: its first line is not an ansible-vault header "
            f"({HEADER};1.1;AES256 or {HEADER};1.2;AES256;<vault id>)",
            hint="restore it from backup; if it was decrypted in place (ansible-vault decrypt), "
            "encrypt it again with ansible-vault encrypt --vault-id ID@PASSWORD_FILE "
            "--encrypt-vault-id ID",
        )
    header = lines[0].strip().split(";")
    if len(header) < 3 or not re.fullmatch(r"\d+\.\d+", header[1]) or not header[2]:
        raise _damaged(source, "its header line is malformed")
    if header[2] != "AES256":
        raise ValidationError(
            f"{source} uses an unsupported vault cipher {header[2]!r}",
            hint="re-encrypt it with ansible-vault (AES256)",
        )
    body = "".join(line.strip() for line in lines[1:])
    if not body:
        raise _damaged(source, "it has a header but no encrypted body (truncated)")
    try:
        parts = unhexlify(body).split(b"\n")
    except ValueError:
        raise _damaged(source, "its encrypted body is not hexadecimal (odd length or a stray "
                       "character)") from None
    if len(parts) != 3:
        raise _damaged(source, f"its encrypted body has {len(parts)} of its 3 parts "
                       "(salt, HMAC, ciphertext)")
    salt_hex, signature, ciphertext_hex = parts
    try:
        salt, ciphertext = unhexlify(salt_hex), unhexlify(ciphertext_hex)
    except ValueError:
        raise _damaged(source, "its salt or ciphertext is not hexadecimal") from None
    if len(signature) != 2 * sha256().digest_size:
        raise _damaged(source, "its HMAC has the wrong length")
    if not ciphertext or len(ciphertext) % (algorithms.AES.block_size // 8):
        raise _damaged(source, "its ciphertext is not a whole number of AES blocks (truncated)")
    return salt, signature, ciphertext, (header[3] or None) if len(header) > 3 else None


def _damaged(source: str, reason: str) -> ValidationError:
    return ValidationError(
        f"{source} is damaged: {reason}",
        hint="restore it from backup; no vault password opens it as it is",
    )


def _wrong_password_or_damaged(source: str) -> AuthError:
    # The HMAC covers the ciphertext under a key derived from the password: a wrong password and
    # a damaged ciphertext fail it alike. Other files under the same password tell them apart.
    return AuthError(
        f"{source} does not open with the given vault password: either the password is wrong "
        "or the file is damaged (its HMAC does not match, which cannot tell them apart)",
        hint="if other tenants' credential files open with the same password "
        "(ansible-vault view --vault-id ID@PASSWORD_FILE FILE), this file is damaged: restore it "
        "from backup; if none opens, check credentials_vault_password_file and "
        "credentials_vault_id (or --vault-id) for this inventory",
    )
