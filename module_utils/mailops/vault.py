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


def decrypt(vaulttext: str, password: bytes, source: str = "vault file") -> bytes:
    lines = vaulttext.strip().splitlines()
    if not lines or not lines[0].startswith(HEADER + ";"):
        raise ValidationError(
            f"{source} is not in ansible-vault format",
            hint="it must start with $ANSIBLE_VAULT; restore it from backup",
        )
    header = lines[0].split(";")
    if len(header) < 3 or header[2].strip() != "AES256":
        raise ValidationError(
            f"{source} uses an unsupported vault cipher {header[2:3]}",
            hint="re-encrypt it with ansible-vault (AES256)",
        )
    try:
        salt_hex, signature, ciphertext_hex = unhexlify("".join(lines[1:])).split(b"\n", 2)
        salt, ciphertext = unhexlify(salt_hex), unhexlify(ciphertext_hex)
    except ValueError:
        raise ValidationError(
            f"{source} is corrupt (its vault body does not decode)", hint="restore it from backup"
        ) from None
    cipher_key, hmac_key, iv = _derive(password, salt)
    expected = hmac.new(hmac_key, ciphertext, sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, signature):
        raise AuthError(
            f"{source} does not open with the given vault password",
            hint="check the vault password file / --vault-id for this inventory",
        )
    decryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(algorithms.AES.block_size).unpadder()
    return unpadder.update(padded) + unpadder.finalize()
