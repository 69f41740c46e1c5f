"""The ``cur_`` pagination cursor: ``"cur_" + base62(JSON.stringify([direction, id]))``.

Decoding follows ``src/packages/server/pagination/src/cursor.ts``: the decoded bytes are read
as UTF-8 with replacement, and any JSON array whose first two items are a direction and a
string id is accepted (extra items are ignored).

base62 follows the base-x convention (alphabet ``0-9a-zA-Z``): the bytes are one big-endian
number, and each leading zero byte is written as a leading ``0``.
"""

from __future__ import annotations

import json
from typing import Literal

__all__ = [
    "CURSOR_PREFIX",
    "CursorError",
    "base62_decode",
    "base62_encode",
    "decode_cursor",
    "encode_cursor",
]

Direction = Literal["after", "before"]

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_INDEX = {char: index for index, char in enumerate(_ALPHABET)}
CURSOR_PREFIX = _PREFIX = "cur_"


class CursorError(ValueError):
    """The cursor does not have the ``cur_`` prefix or does not decode."""


def base62_encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return _ALPHABET[0] * zeros + "".join(reversed(chars))


def base62_decode(text: str) -> bytes:
    zeros = len(text) - len(text.lstrip(_ALPHABET[0]))
    number = 0
    for char in text[zeros:]:
        digit = _INDEX.get(char)
        if digit is None:
            raise CursorError(f"not a base62 character: {char!r}")
        number = number * 62 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_cursor(direction: Direction, id_: str) -> str:
    payload = json.dumps([direction, id_], separators=(",", ":"), ensure_ascii=False)
    return _PREFIX + base62_encode(payload.encode("utf-8"))


def decode_cursor(cursor: str) -> tuple[Direction, str]:
    if not cursor.startswith(_PREFIX):
        raise CursorError("missing cur_ prefix")
    try:
        # TextDecoder replaces bad UTF-8; destructuring `[type, id]` reads the first two items.
        value = json.loads(base62_decode(cursor[len(_PREFIX) :]).decode("utf-8", "replace"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CursorError("does not decode") from exc
    if (
        isinstance(value, list)
        and len(value) >= 2
        and value[0] in ("after", "before")
        and isinstance(value[1], str)
    ):
        direction: Direction = "after" if value[0] == "after" else "before"
        return direction, value[1]
    raise CursorError("not a [direction, id] pair")
