"""Keys derived from one secret: credential fingerprints, key names, sealed values.

A `Keyring` turns an `Authorization` value into a fingerprint (HMAC-SHA256) that names
the credential's cache entries, and into a sealing key of its own: values kept outside
the process (Redis) are AES-GCM encrypted with the credential's key, bound to their key
name, so what Redis holds reveals no API key, no signing secret and no upstream id.
Processes that share a store share the secret (`GATEWAY_CACHE_KEY_SECRET`); without it
each process draws a random one.

Usage::

    keyring = Keyring.from_secret("a long shared secret")
    sealer = keyring.sealer("Bearer metorial_sk_...")
    blob = sealer.seal(b"value", b"key-name")
    assert sealer.open(blob, b"key-name") == b"value"
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class Sealer:
    """AES-GCM with one credential's key; the associated data is the value's key name."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Sealer(<key>)"

    def seal(self, plaintext: bytes, name: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, name)

    def open(self, blob: bytes, name: bytes) -> bytes | None:
        """The plaintext, or None for a blob that is not this key's value for `name`."""
        try:
            return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], name)
        except (InvalidTag, ValueError):
            return None


class Keyring:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "Keyring(<key>)"

    @classmethod
    def from_secret(cls, secret: str | None) -> Keyring:
        """The keyring of a shared secret, or of a random per-process one when None."""
        if secret is None:
            return cls(secrets.token_bytes(32))
        return cls(hashlib.sha256(b"gateway keyring\0" + secret.encode()).digest())

    def fingerprint(self, authorization: str) -> str:
        return self._mac(b"fingerprint", authorization.encode())[:32]

    def name(self, text: str) -> str:
        """A key name for `text` (a path, a query) that does not reveal it."""
        return self._mac(b"name", text.encode())[:40]

    def sealer(self, authorization: str) -> Sealer:
        return Sealer(hmac.digest(self._key, b"seal\0" + authorization.encode(), "sha256"))

    def _mac(self, purpose: bytes, data: bytes) -> str:
        return hmac.new(self._key, purpose + b"\0" + data, hashlib.sha256).hexdigest()


PROCESS_KEYRING = Keyring.from_secret(None)
