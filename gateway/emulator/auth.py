"""API keys: each secret key is bound to one instance; publishable keys have no scopes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gateway.emulator.errors import forbidden, unauthorized

__all__ = ["PUBLISHABLE_PREFIX", "READ_SCOPE", "WRITE_SCOPE", "KeyRing"]

READ_SCOPE = "instance.callback:read"
WRITE_SCOPE = "instance.callback:write"
PUBLISHABLE_PREFIX = "metorial_pk_"


class KeyRing:
    """Resolves an ``Authorization`` header to the instance its key is bound to."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._keys = MappingProxyType(dict(keys))

    def __repr__(self) -> str:
        return f"KeyRing(<{len(self._keys)} keys>)"

    def authenticate(self, authorization: str | None, *, scope: str) -> str:
        """Return the instance id, or raise 401 (no/bad/unknown key) or 403 (missing scope)."""
        if authorization is None:
            raise unauthorized("Missing Authorization header")
        scheme, _, key = authorization.strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key or any(char.isspace() for char in key):
            raise unauthorized("Invalid API key")
        if key.startswith(PUBLISHABLE_PREFIX):
            # Publishable keys hold neither instance.callback:read nor :write.
            raise forbidden(scope)
        instance_id = self._keys.get(key)
        if instance_id is None:
            raise unauthorized("Invalid API key")
        return instance_id
