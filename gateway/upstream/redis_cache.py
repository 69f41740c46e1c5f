"""The upstream GET cache kept in Redis, shared by every gateway process.

The same guarantees as `ResponseCache` (gateway.upstream.cache), across processes:
entries per credential (key names are keyed hashes, values sealed with the credential's
own key), TTL set in Redis itself, a size bound per entry, writes visible at once to
every process (the credential's generation, see gateway.upstream.redis_entries), and
single flight: in a process, identical GETs share one task; across processes, the first
to miss takes a short lock and fetches while the others poll for its answer (at most
`lock_seconds`, then they fetch themselves).

Without Redis (down, slow, restarting) nothing is cached or shared: every GET goes to the
upstream (a fetch in flight may have started before another process's write, which this
process cannot see), and the cache is used again once Redis answers.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from gateway.upstream.cache import CacheKey, CacheStats, Fetched
from gateway.upstream.redis_entries import RedisEntries
from gateway.upstream.sealing import Keyring, Sealer

_KIND = "u"
_FIRST_PAUSE = 0.005  # seconds between polls for a peer's answer, growing to _LAST_PAUSE
_LAST_PAUSE = 0.05
Dated = tuple[Any, float]


class RedisResponseCache:
    def __init__(
        self,
        entries: RedisEntries,
        keyring: Keyring,
        *,
        ttl: float,
        max_entry_bytes: int,
        lock_seconds: float,
    ) -> None:
        self.entries = entries
        self.keyring = keyring
        self.ttl = ttl
        self.max_entry_bytes = max_entry_bytes
        self.lock_seconds = lock_seconds
        self.stats = CacheStats()
        self._inflight: dict[tuple[CacheKey, str], asyncio.Task[Dated]] = {}

    async def get_or_fetch_dated(
        self,
        key: CacheKey,
        fetch: Callable[[], Awaitable[Fetched]],
        *,
        read_cache: bool = True,
        sealer: Sealer | None = None,
        observe: Callable[[str], object] | None = None,
    ) -> Dated:
        say = observe or _ignore
        fingerprint, path, query = key
        read = None
        digest = self.keyring.name(f"{path}?{query}")
        if sealer is not None and self.ttl > 0:
            read = await self.entries.read(fingerprint, _KIND, digest)
        if read is None or sealer is None:
            self.stats.misses += 1
            say("miss")
            started = time.monotonic()
            return (await fetch()).value, started
        name = self.entries.name(fingerprint, read.generation, _KIND, digest)
        if read_cache and read.value is not None:
            hit = self._open(read.value, name, sealer)
            if hit is not None:
                self.stats.hits += 1
                say("hit")
                return hit
        self.stats.misses += 1
        flight = (key, read.generation)
        task = self._inflight.get(flight)
        if task is None:
            fill = self._fill(fingerprint, digest, name, fetch, sealer, wait=read_cache)
            task = asyncio.ensure_future(fill)
            self._inflight[flight] = task
            task.add_done_callback(lambda _: self._forget(flight, task))
            say("miss")
        else:
            self.stats.shared += 1
            say("shared")
        return await asyncio.shield(task)

    async def drop(self, fingerprint: str) -> None:
        self.stats.invalidations += 1
        await self.entries.bump(fingerprint)

    async def _fill(
        self,
        fingerprint: str,
        digest: str,
        name: str,
        fetch: Callable[[], Awaitable[Fetched]],
        sealer: Sealer,
        *,
        wait: bool,
    ) -> Dated:
        locked = False
        if wait:
            peer = await self._wait_for_peer(fingerprint, digest, name, sealer)
            if isinstance(peer, tuple):
                return peer
            locked = peer
        started, started_wall = time.monotonic(), time.time()
        try:
            fetched = await fetch()
        except BaseException:
            if locked:
                await self.entries.release(name)
            raise
        blob = sealer.seal(orjson.dumps([started_wall, fetched.value]), name.encode())
        ttl_ms = int((self.ttl - (time.monotonic() - started)) * 1000)
        if len(blob) <= self.max_entry_bytes and ttl_ms > 0:
            await self.entries.write(name, blob, ttl_ms)
        elif locked:
            await self.entries.release(name)
        return fetched.value, started

    async def _wait_for_peer(
        self, fingerprint: str, digest: str, name: str, sealer: Sealer
    ) -> Dated | bool:
        """A peer's answer; or True: this process holds the lock and fetches; or False:
        fetch without it (Redis gone, a write meanwhile, or the peer took too long)."""
        token = secrets.token_hex(8)
        lock_ms = max(1, int(self.lock_seconds * 1000))
        deadline = time.monotonic() + self.lock_seconds
        pause = _FIRST_PAUSE
        while True:
            read = await self.entries.read(
                fingerprint, _KIND, digest, lock_ms=lock_ms, lock_token=token
            )
            if (
                read is None
                or self.entries.name(fingerprint, read.generation, _KIND, digest) != name
            ):
                return False
            if read.value is not None:
                hit = self._open(read.value, name, sealer)
                if hit is not None:
                    self.stats.shared += 1
                    return hit
                return False
            if read.locked:
                return True
            if time.monotonic() + pause > deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(_LAST_PAUSE, pause * 1.5)

    def _open(self, blob: bytes, name: str, sealer: Sealer) -> Dated | None:
        plain = sealer.open(blob, name.encode())
        if plain is None:
            return None
        fetched_wall, value = orjson.loads(plain)
        age = max(0.0, time.time() - fetched_wall)
        if age >= self.ttl:
            return None
        return value, time.monotonic() - age

    def _forget(self, flight: tuple[CacheKey, str], task: asyncio.Task[Dated]) -> None:
        if self._inflight.get(flight) is task:
            del self._inflight[flight]
        if not task.cancelled():
            task.exception()  # failures go to their waiters, not the loop's log


def _ignore(outcome: str) -> None:
    del outcome
