"""A fair share of the upstream for every credential.

One tenant's fan-out (`nodes(ids: [100 ids])`) must not fill the upstream's queue ahead
of everyone else's single lookup: each credential has at most `limit` requests in
flight, the rest wait their turn here. Entries exist only while a credential has
requests waiting or in flight, so memory follows current traffic, not every key seen.

Usage::

    slots = CredentialSlots(limit=32)
    async with slots.hold(credential.fingerprint) as waited:
        ...  # send; `waited` is the seconds spent queueing (not the upstream's time)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator


@dataclasses.dataclass
class _Slots:
    semaphore: asyncio.Semaphore
    users: int = 0  # requests holding or waiting for a slot


class CredentialSlots:
    def __init__(self, limit: int) -> None:
        """`limit` requests in flight per credential; 0 or less: no limit."""
        self.limit = limit
        self._slots: dict[str, _Slots] = {}

    @contextlib.asynccontextmanager
    async def hold(self, fingerprint: str) -> AsyncIterator[float]:
        if self.limit <= 0:
            yield 0.0
            return
        slots = self._slots.get(fingerprint)
        if slots is None:
            slots = self._slots[fingerprint] = _Slots(asyncio.Semaphore(self.limit))
        slots.users += 1
        started = time.monotonic()
        try:
            async with slots.semaphore:
                yield time.monotonic() - started
        finally:
            slots.users -= 1
            if slots.users == 0:
                del self._slots[fingerprint]

    def __len__(self) -> int:
        """Credentials with requests waiting or in flight."""
        return len(self._slots)
