"""ResponseCache semantics that need precise interleavings: single flight and writes."""

from __future__ import annotations

import asyncio

import pytest

from gateway.upstream.cache import Fetched, ResponseCache

KEY = ("credential-a", "/callbacks-destinations", "limit=20")
OTHER = ("credential-b", "/callbacks-destinations", "limit=20")


def new_cache(max_bytes: int = 100_000) -> ResponseCache:
    return ResponseCache(ttl=60, max_bytes=max_bytes, generation_window=120)


class Upstream:
    """A fetch whose answers the test releases by hand."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.fail = False

    async def fetch(self) -> Fetched:
        self.calls += 1
        call = self.calls
        await self.release.wait()
        if self.fail:
            raise RuntimeError("upstream down")
        return Fetched({"call": call}, size=100)


async def test_concurrent_callers_share_one_fetch() -> None:
    cache, upstream = new_cache(), Upstream()
    waiters = [asyncio.create_task(cache.get_or_fetch(KEY, upstream.fetch)) for _ in range(5)]
    await asyncio.sleep(0)
    upstream.release.set()
    assert [await w for w in waiters] == [{"call": 1}] * 5
    assert upstream.calls == 1
    assert cache.stats.shared == 4


async def test_a_failure_is_not_shared_with_later_callers() -> None:
    cache, upstream = new_cache(), Upstream()
    upstream.fail = True
    upstream.release.set()
    with pytest.raises(RuntimeError):
        await cache.get_or_fetch(KEY, upstream.fetch)
    upstream.fail = False
    assert await cache.get_or_fetch(KEY, upstream.fetch) == {"call": 2}


async def test_a_fetch_started_before_a_write_is_neither_joined_nor_stored() -> None:
    cache, upstream = new_cache(), Upstream()
    before_write = asyncio.create_task(cache.get_or_fetch(KEY, upstream.fetch))
    await asyncio.sleep(0)
    cache.invalidate("credential-a")
    after_write = asyncio.create_task(cache.get_or_fetch(KEY, upstream.fetch))
    await asyncio.sleep(0)
    upstream.release.set()
    assert await before_write == {"call": 1}
    assert await after_write == {"call": 2}
    assert await cache.get_or_fetch(KEY, upstream.fetch) == {"call": 2}


async def test_invalidation_drops_only_that_credentials_entries() -> None:
    cache, upstream = new_cache(), Upstream()
    upstream.release.set()
    await cache.get_or_fetch(KEY, upstream.fetch)
    await cache.get_or_fetch(OTHER, upstream.fetch)
    cache.invalidate("credential-a")
    assert await cache.get_or_fetch(OTHER, upstream.fetch) == {"call": 2}
    assert await cache.get_or_fetch(KEY, upstream.fetch) == {"call": 3}
    assert upstream.calls == 3


async def test_the_byte_budget_bounds_what_is_kept() -> None:
    cache, upstream = new_cache(max_bytes=700), Upstream()
    upstream.release.set()
    keys = [("credential-a", "/callbacks-destinations", f"limit={n}") for n in range(5)]
    for key in keys:
        await cache.get_or_fetch(key, upstream.fetch)
    # 300 bytes an entry (100 of answer + bookkeeping): two fit, the oldest went first.
    assert await cache.get_or_fetch(keys[-1], upstream.fetch) == {"call": 5}
    assert await cache.get_or_fetch(keys[0], upstream.fetch) == {"call": 6}


async def test_a_no_cache_read_still_joins_a_fetch_in_flight() -> None:
    cache, upstream = new_cache(), Upstream()
    first = asyncio.create_task(cache.get_or_fetch(KEY, upstream.fetch))
    await asyncio.sleep(0)
    fresh = asyncio.create_task(cache.get_or_fetch(KEY, upstream.fetch, read_cache=False))
    await asyncio.sleep(0)
    upstream.release.set()
    assert await first == await fresh == {"call": 1}
    assert upstream.calls == 1


async def test_a_cancelled_caller_does_not_cancel_the_shared_fetch() -> None:
    cache, upstream = new_cache(), Upstream()
    first = asyncio.create_task(cache.get_or_fetch(KEY, upstream.fetch))
    second = asyncio.create_task(cache.get_or_fetch(KEY, upstream.fetch))
    await asyncio.sleep(0)
    first.cancel()
    upstream.release.set()
    assert await second == {"call": 1}
    assert first.cancelled()


async def test_skipping_the_cache_still_refreshes_it() -> None:
    cache, upstream = new_cache(), Upstream()
    upstream.release.set()
    await cache.get_or_fetch(KEY, upstream.fetch)
    assert await cache.get_or_fetch(KEY, upstream.fetch, read_cache=False) == {"call": 2}
    assert await cache.get_or_fetch(KEY, upstream.fetch) == {"call": 2}


async def test_a_generation_forgotten_early_never_revives_entries_from_before_a_write() -> None:
    cache = ResponseCache(ttl=60, max_bytes=100_000, generation_window=120, max_credentials=2)
    upstream = Upstream()
    upstream.release.set()
    await cache.get_or_fetch(KEY, upstream.fetch)  # stored before credential-a's write
    cache.invalidate("credential-a")
    cache.invalidate("credential-b")
    cache.invalidate("credential-c")  # the map is full: credential-a's generation goes
    assert await cache.get_or_fetch(KEY, upstream.fetch) == {"call": 2}
