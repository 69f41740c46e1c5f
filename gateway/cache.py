"""Per-credential response cache with single flight and write invalidation.

Keys are (credential fingerprint, path, normalized query): one credential's data
is never served to another. A fetch that started before a write to the same
credential is neither joined nor stored after that write (generation counter),
so a client always reads its own writes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache

CacheKey = tuple[str, str, str]  # (credential fingerprint, path, normalized query)


@dataclasses.dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    shared: int = 0  # callers that joined an in-flight fetch
    invalidations: int = 0


class ResponseCache:
    def __init__(self, *, ttl: float, maxsize: int) -> None:
        self.ttl = ttl
        self.stats = CacheStats()
        self._entries: TTLCache[CacheKey, tuple[Any, float]] | None = (
            TTLCache(maxsize=maxsize, ttl=ttl) if ttl > 0 and maxsize > 0 else None
        )
        self._inflight: dict[tuple[CacheKey, int], asyncio.Task[tuple[Any, float]]] = {}
        self._generations: dict[str, int] = {}

    async def get_or_fetch(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[Any]],
        *,
        read_cache: bool = True,
    ) -> Any:
        """The cached value for `key`, or the result of one shared `fetch()`."""
        value, _ = await self.get_or_fetch_dated(key, fetch, read_cache=read_cache)
        return value

    async def get_or_fetch_dated(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[Any]],
        *,
        read_cache: bool = True,
    ) -> tuple[Any, float]:
        """Like `get_or_fetch`, with the `time.monotonic()` at which the value was fetched."""
        generation = self.generation(key[0])
        if read_cache and self._entries is not None:
            found = self._entries.get(key)
            if found is not None:
                self.stats.hits += 1
                return found
        self.stats.misses += 1
        flight = (key, generation)
        task = self._inflight.get(flight) if read_cache else None
        if task is None:
            task = asyncio.ensure_future(self._fetch_and_store(key, generation, fetch))
            if read_cache:
                self._inflight[flight] = task
                task.add_done_callback(lambda _: self._forget(flight, task))
        else:
            self.stats.shared += 1
        # shield: a cancelled caller must not cancel the fetch others are waiting on
        return await asyncio.shield(task)

    async def _fetch_and_store(
        self, key: CacheKey, generation: int, fetch: Callable[[], Awaitable[Any]]
    ) -> tuple[Any, float]:
        started = time.monotonic()
        entry = (await fetch(), started)
        if self._entries is not None and self.generation(key[0]) == generation:
            self._entries[key] = entry
        return entry

    def generation(self, fingerprint: str) -> int:
        """Bumped by every write of this credential: results computed before are stale."""
        return self._generations.get(fingerprint, 0)

    def _forget(self, flight: tuple[CacheKey, int], task: asyncio.Task[Any]) -> None:
        if self._inflight.get(flight) is task:
            del self._inflight[flight]
        if not task.cancelled():
            task.exception()  # mark retrieved: failures go to their waiters, not the loop log

    def invalidate(self, fingerprint: str, path_prefix: str) -> None:
        """Drop this credential's entries under `path_prefix`; in-flight fetches won't store."""
        self._generations[fingerprint] = self._generations.get(fingerprint, 0) + 1
        self.stats.invalidations += 1
        if self._entries is None:
            return
        stale = [k for k in self._entries if k[0] == fingerprint and k[1].startswith(path_prefix)]
        for k in stale:
            self._entries.pop(k, None)

    def __len__(self) -> int:
        return 0 if self._entries is None else len(self._entries)
