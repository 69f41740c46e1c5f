"""Per-credential response cache with single flight and write invalidation.

Keys are (credential fingerprint, path, normalized query): one credential's data
is never served to another. Every entry records the credential's generation when
its fetch started; a write bumps the generation, which invalidates all of that
credential's entries at once (O(1)), and a fetch that started before the write is
neither joined nor stored, so a client always reads its own writes. Entries are
bounded by the bytes of the upstream answers, and expire `ttl` seconds after
their fetch started.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from cachetools import TTLCache

if TYPE_CHECKING:
    from gateway.upstream.sealing import Sealer

CacheKey = tuple[str, str, str]  # (credential fingerprint, path, normalized query)
_MAX_CREDENTIALS = 1_000_000  # generations remembered (an int each), for the window below


@dataclasses.dataclass(frozen=True)
class Fetched:
    """What a fetch returns: the value, and the size of the answer it came from."""

    value: Any
    size: int


@dataclasses.dataclass(frozen=True)
class _Entry:
    value: Any
    fetched_at: float
    generation: int
    size: int


class _Generations(TTLCache[str, int]):
    """Each credential's generation, forgotten `ttl` seconds after its last write.

    Forgetting by age is safe (see ResponseCache); forgetting early, because the map is
    full, is not: then `floor` moves to a value no entry carries, so every credential
    without a remembered generation loses its entries (a cache flush, never a stale read).
    """

    floor = 0
    next_value: Callable[[], int]

    def popitem(self) -> tuple[str, int]:
        item = super().popitem()  # only called when full
        self.floor = self.next_value()
        return item


@dataclasses.dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    shared: int = 0  # callers that joined an in-flight fetch
    invalidations: int = 0


class UpstreamCache(Protocol):
    """What the client needs of a GET cache: this in-process one, or the Redis one
    (gateway.upstream.redis_cache) that several processes share."""

    ttl: float
    stats: CacheStats

    async def get_or_fetch_dated(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[Fetched]],
        *,
        read_cache: bool = True,
        sealer: Sealer | None = None,
        observe: Callable[[str], object] | None = None,
    ) -> tuple[Any, float]:
        """The cached value and when it was fetched; `observe` is told `hit`, `miss` or
        `shared` (joined a fetch in flight), for traces."""

    async def drop(self, fingerprint: str) -> None:
        """Forget this credential's entries, wherever they are kept, before returning."""


class ResponseCache:
    def __init__(
        self,
        *,
        ttl: float,
        max_bytes: int,
        generation_window: float,
        max_credentials: int = _MAX_CREDENTIALS,
    ) -> None:
        """`generation_window` must outlast an entry plus the longest fetch: a generation
        forgotten by age reads as the floor, which no entry fetched after a write carries."""
        self.ttl = ttl
        self.stats = CacheStats()
        self._entries: TTLCache[CacheKey, _Entry] | None = (
            TTLCache(maxsize=max_bytes, ttl=ttl, getsizeof=_size)
            if ttl > 0 and max_bytes > 0
            else None
        )
        self._inflight: dict[tuple[CacheKey, int], asyncio.Task[tuple[Any, float]]] = {}
        self._clock = itertools.count(1)
        self._generations = _Generations(maxsize=max_credentials, ttl=generation_window)
        self._generations.next_value = lambda: next(self._clock)

    async def get_or_fetch(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[Fetched]],
        *,
        read_cache: bool = True,
    ) -> Any:
        """The cached value for `key`, or the result of one shared `fetch()`."""
        value, _ = await self.get_or_fetch_dated(key, fetch, read_cache=read_cache)
        return value

    async def get_or_fetch_dated(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[Fetched]],
        *,
        read_cache: bool = True,
        sealer: Sealer | None = None,
        observe: Callable[[str], object] | None = None,
    ) -> tuple[Any, float]:
        """Like `get_or_fetch`, with the `time.monotonic()` at which the value was fetched.

        `read_cache=False` skips stored entries but still joins a fetch in flight
        (it is as fresh as a new one would be) and stores its answer. `sealer` is for
        caches kept outside the process: entries here are never sealed. `observe` is told
        `hit`, `miss` or `shared` (joined a fetch in flight)."""
        say = observe or _ignore
        generation = self.generation(key[0])
        if read_cache and self._entries is not None:
            entry = self._entries.get(key)
            if (
                entry is not None
                and entry.generation == generation
                and entry.fetched_at + self.ttl > time.monotonic()
            ):
                self.stats.hits += 1
                say("hit")
                return entry.value, entry.fetched_at
        self.stats.misses += 1
        flight = (key, generation)
        task = self._inflight.get(flight)
        if task is None:
            task = asyncio.ensure_future(self._fetch_and_store(key, generation, fetch))
            self._inflight[flight] = task
            task.add_done_callback(lambda _: self._forget(flight, task))
            say("miss")
        else:
            self.stats.shared += 1
            say("shared")
        # shield: a cancelled caller must not cancel the fetch others are waiting on
        return await asyncio.shield(task)

    async def _fetch_and_store(
        self, key: CacheKey, generation: int, fetch: Callable[[], Awaitable[Fetched]]
    ) -> tuple[Any, float]:
        started = time.monotonic()
        fetched = await fetch()
        entries = self._entries
        entry = _Entry(fetched.value, started, generation, fetched.size)
        if (
            entries is not None
            and self.generation(key[0]) == generation
            and _size(entry) <= entries.maxsize
        ):
            entries[key] = entry
        return fetched.value, started

    def generation(self, fingerprint: str) -> int:
        """Changed by every write of this credential: what was fetched before is stale."""
        return self._generations.get(fingerprint, self._generations.floor)

    def invalidate(self, fingerprint: str) -> None:
        """Forget this credential's entries; fetches in flight won't be joined or stored."""
        self._generations[fingerprint] = next(self._clock)
        self.stats.invalidations += 1

    async def drop(self, fingerprint: str) -> None:
        self.invalidate(fingerprint)

    def _forget(self, flight: tuple[CacheKey, int], task: asyncio.Task[Any]) -> None:
        if self._inflight.get(flight) is task:
            del self._inflight[flight]
        if not task.cancelled():
            task.exception()  # mark retrieved: failures go to their waiters, not the loop log


def _ignore(outcome: str) -> None:
    del outcome


def _size(entry: _Entry) -> int:
    return entry.size + 200  # plus the key and bookkeeping, roughly
