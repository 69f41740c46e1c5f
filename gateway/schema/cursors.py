"""Opaque connection cursors.

A cursor names the upstream item it points at and the connection it came from
(which list, which order, which filter), so that a cursor from another connection
is refused instead of silently misread.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json

from gateway.errors import bad_input
from gateway.upstream.records import SAFE_ID

_VERSION = 1
_MAX_CURSOR_LENGTH = 400


@dataclasses.dataclass(frozen=True)
class ConnectionKey:
    """Identifies one connection: the list, its order and its filter."""

    list_name: str
    order: str
    filter: tuple[str, ...] = ()
    fingerprint: str = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        text = "\x1f".join((self.list_name, self.order, *self.filter))
        object.__setattr__(self, "fingerprint", hashlib.sha256(text.encode()).hexdigest()[:12])


def encode_cursor(key: ConnectionKey, upstream_id: str) -> str:
    if SAFE_ID.fullmatch(upstream_id):  # nothing to escape: skip the JSON encoder
        payload = f'[{_VERSION},"{key.fingerprint}","{upstream_id}"]'
    else:
        payload = json.dumps([_VERSION, key.fingerprint, upstream_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(key: ConnectionKey, cursor: str, argument: str) -> str:
    """The upstream id a cursor points at; BAD_USER_INPUT if it is not one of `key`'s."""
    payload = _load(cursor) if len(cursor) <= _MAX_CURSOR_LENGTH else None
    if payload is None:
        raise bad_input(f"Invalid cursor in `{argument}`: not a cursor of this API.")
    _version, fingerprint, upstream_id = payload
    if fingerprint != key.fingerprint:
        raise bad_input(
            f"Invalid cursor in `{argument}`: it belongs to another connection "
            "(a different list, order or filter)."
        )
    return upstream_id


def _load(cursor: str) -> tuple[int, str, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if (
        isinstance(data, list)
        and len(data) == 3
        and data[0] == _VERSION
        and isinstance(data[1], str)
        and isinstance(data[2], str)
        and SAFE_ID.fullmatch(data[2])
    ):
        return data[0], data[1], data[2]
    return None
