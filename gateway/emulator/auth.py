"""API keys, as ``src/packages/server/bearer/src/`` and ``src/backend/auth/src/index.ts`` read them.

- The token comes from ``Authorization: Bearer <token>``: the header is trimmed and split on
  single spaces; anything but exactly two parts with the first exactly ``Bearer`` is 401
  "Malformed Authorization header" (``parseBearerToken.ts``). An empty header counts as absent.
- Without a header the token may come as ``?token=`` or else ``?key=`` (``extractToken.ts``:
  ``searchParams.get('token') ?? searchParams.get('key')``, so an empty ``token=`` hides ``key=``).
- No token at all: 401 "Missing Authorization header" with the auth module's description and
  hint. A token no key matches: 401 "Invalid API key" (``machineAccessAuth.ts``).

Keys: every configured key is a secret key bound to its instance. A key beginning
``metorial_pk_`` is a publishable key (no ``instance.callback:*`` scope): bound to its instance
when configured, otherwise (reading, so that any ``metorial_pk_`` key works as the design says)
to an instance of its own that holds nothing. The scope check itself runs later, after
validation and lookup (``checkAccess.ts``, see ``app.py``).

All instances belong to one emulated organization (:data:`ORGANIZATION_ID`); the rate limit is
kept per organization (``apis/core/src/rest.ts``), so every key shares one budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gateway.emulator.errors import ApiError, forbidden, unauthorized

__all__ = [
    "ORGANIZATION_ID",
    "PUBLISHABLE_PREFIX",
    "READ_SCOPE",
    "WRITE_SCOPE",
    "KeyRing",
    "Principal",
    "extract_token",
]

READ_SCOPE = "instance.callback:read"
WRITE_SCOPE = "instance.callback:write"
PUBLISHABLE_PREFIX = "metorial_pk_"
ORGANIZATION_ID = "org_emulator"


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who a request acts as."""

    instance_id: str
    organization_id: str = ORGANIZATION_ID
    publishable: bool = False

    def require(self, scope: str) -> None:
        """403 unless the key holds ``scope`` (secret keys hold both callback scopes)."""
        if self.publishable:
            raise forbidden()


def _malformed(authorization: str) -> ApiError:
    return unauthorized(
        "Malformed Authorization header",
        description=f'Expected "Bearer <token>", got "{authorization}"',
    )


def extract_token(authorization: str | None, query: Mapping[str, list[str]]) -> str | None:
    """The token of a request, or ``None``; 401 on a malformed ``Authorization`` header.

    ``query`` maps each (decoded) query parameter name to its values in order.
    """
    # Fetch's Headers strip leading and trailing HTTP white space from every value.
    authorization = authorization.strip(" \t\r\n") if authorization else authorization
    if authorization:
        parts = authorization.strip().split(" ")
        if len(parts) != 2 or parts[0] != "Bearer":
            raise _malformed(authorization)
        if parts[1]:
            return parts[1]
        # "Bearer " trims to one part above; two parts with an empty token cannot happen.
    for name in ("token", "key"):
        values = query.get(name)
        if values:
            return values[0] or None
    return None


def _own_instance(key: str) -> str:
    return "ins_pk_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


class KeyRing:
    """Resolves a token to the :class:`Principal` its key is bound to."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._keys = MappingProxyType(dict(keys))

    def __repr__(self) -> str:
        return f"KeyRing(<{len(self._keys)} keys>)"

    def authenticate(self, token: str | None) -> Principal:
        """The principal of ``token``; 401 when there is none or no key matches it."""
        if token is None:
            raise unauthorized(
                "Missing Authorization header",
                description='Expected the authentication header to be "Bearer <token>".',
                hint=(
                    "Copy your API key from the Metorial dashboard and use it in the "
                    '"Authorization" header in the format "Bearer your_token_from_the_dashboard"'
                ),
            )
        instance_id = self._keys.get(token)
        if token.startswith(PUBLISHABLE_PREFIX):
            return Principal(instance_id=instance_id or _own_instance(token), publishable=True)
        if instance_id is None:
            raise unauthorized(
                "Invalid API key",
                hint="Make sure to use a valid API key from the Metorial dashboard",
            )
        return Principal(instance_id=instance_id)
