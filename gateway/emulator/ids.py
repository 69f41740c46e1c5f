"""Metorial-style ids: ``<prefix>`` + 9 chars base36 epoch-ms + 13 chars base62.

Ids sort (as plain strings) in creation order. Within one millisecond, or when the clock
steps back, the random tail is incremented instead of redrawn (as ULIDs do), so ids made by
one process are unique and strictly increasing.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

__all__ = [
    "BASE62_ALPHABET",
    "IdGenerator",
    "callback_ids",
    "callback_trigger_ids",
    "destination_ids",
    "new_hook_key",
    "new_request_id",
    "new_signing_secret",
    "timestamp_ms_of",
]

#: Digits, then upper case, then lower case: the ASCII order, so strings sort like numbers.
BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE36_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TIME_CHARS = 9
_TAIL_CHARS = 13
_TAIL_SPACE = 62**_TAIL_CHARS
_MAX_STEP = 2**20


def _encode(number: int, alphabet: str, width: int) -> str:
    base = len(alphabet)
    chars: list[str] = []
    while number:
        number, digit = divmod(number, base)
        chars.append(alphabet[digit])
    return "".join(reversed(chars)).rjust(width, alphabet[0])


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class IdGenerator:
    """Thread-safe generator of strictly increasing ids for one prefix."""

    def __init__(self, prefix: str, *, clock: Callable[[], int] = _now_ms) -> None:
        self.prefix = prefix
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_tail = 0

    def __repr__(self) -> str:
        return f"IdGenerator(prefix={self.prefix!r})"

    def new(self) -> tuple[str, int]:
        """Return a new id and the epoch-ms it encodes (use it as the creation time)."""
        with self._lock:
            ms = self._clock()
            if ms <= self._last_ms:
                ms = self._last_ms
                tail = self._last_tail + 1 + secrets.randbelow(_MAX_STEP)
                if tail >= _TAIL_SPACE:
                    ms += 1
                    tail = secrets.randbelow(_TAIL_SPACE // 2)
            else:
                # Start in the lower half so increments within the millisecond never overflow.
                tail = secrets.randbelow(_TAIL_SPACE // 2)
            self._last_ms, self._last_tail = ms, tail
        return (
            self.prefix
            + _encode(ms, _BASE36_ALPHABET, _TIME_CHARS)
            + _encode(tail, BASE62_ALPHABET, _TAIL_CHARS),
            ms,
        )


def timestamp_ms_of(id_: str, prefix: str) -> int:
    """The creation epoch-ms encoded in an id made by :class:`IdGenerator`."""
    return int(id_[len(prefix) : len(prefix) + _TIME_CHARS], 36)


def _random_chars(count: int) -> str:
    return "".join(secrets.choice(BASE62_ALPHABET) for _ in range(count))


def new_signing_secret() -> str:
    return "clb_sec_" + _random_chars(50)


def new_request_id(*, now_ms: int | None = None) -> str:
    """``generateId('req_')`` (``shared/id``): 9 chars base36 epoch-ms + 11 random."""
    ms = _now_ms() if now_ms is None else now_ms
    return "req_" + _encode(ms, _BASE36_ALPHABET, _TIME_CHARS) + _random_chars(11)


def new_hook_key() -> str:
    """A callback hook key: ``generatePlainId(45)``."""
    return _random_chars(45)


#: Process-wide generators: ids stay ordered across every app in the process.
destination_ids = IdGenerator("cld_")
callback_ids = IdGenerator("clb_")
callback_trigger_ids = IdGenerator("cbpt_")
