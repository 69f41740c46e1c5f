"""GraphQL answers serialized with a byte limit, without holding the event loop.

A small answer (the cost estimate says so) is one orjson call. A large one is written
piece by piece (lists element by element, objects without lists in one call),
yielding to the event loop every YIELD_EVERY bytes so other requests (and /healthz)
are served meanwhile, and stopping as soon as it passes the limit.

Usage::

    body = await encode({"data": result.data}, limit=20_000_000, small=False)
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

YIELD_EVERY = 256 * 1024  # bytes written between two turns of the event loop


class AnswerTooLarge(Exception):
    """The answer would pass GATEWAY_MAX_RESPONSE_BYTES."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The answer is larger than {limit} bytes and was not sent. Ask for fewer "
            "fields, smaller pages or fewer lists."
        )
        self.message = str(self)


async def encode(value: Any, limit: int, *, small: bool) -> bytes:
    if small:
        body = orjson.dumps(value)
        if len(body) > limit:
            raise AnswerTooLarge(limit)
        return body
    writer = _Writer(limit)
    await writer.write(value)
    return bytes(writer.out)


class _Writer:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.out = bytearray()
        self.since_yield = 0

    async def write(self, value: Any) -> None:
        if isinstance(value, list):
            await self._put(b"[")
            for index, item in enumerate(value):
                if index:
                    await self._put(b",")
                await self.write(item)
            await self._put(b"]")
        elif isinstance(value, dict) and any(isinstance(v, list | dict) for v in value.values()):
            await self._put(b"{")
            for index, (key, item) in enumerate(value.items()):
                await self._put((b"," if index else b"") + orjson.dumps(key) + b":")
                await self.write(item)
            await self._put(b"}")
        else:
            await self._put(orjson.dumps(value))

    async def _put(self, piece: bytes) -> None:
        self.out += piece
        if len(self.out) > self.limit:
            raise AnswerTooLarge(self.limit)
        self.since_yield += len(piece)
        if self.since_yield >= YIELD_EVERY:
            self.since_yield = 0
            await asyncio.sleep(0)
