"""The upstream transport: several small connection pools instead of one large one.

httpcore's pool re-scans all of its connections (and, for each, all of them again)
every time a request starts or ends (encode/httpcore#1035), so a fan-out of 50
concurrent GETs over 50 connections costs ~50^3 steps of bookkeeping: about 150 ms
of CPU measured by `make bench`. Spreading requests round-robin over `shards`
pools of a `shards`-th the size divides that cost by about `shards` squared.
"""

from __future__ import annotations

import itertools

import httpx


class ShardedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self, *, shards: int = 8, max_connections: int = 200, max_keepalive: int = 64
    ) -> None:
        limits = httpx.Limits(
            max_connections=max(1, max_connections // shards),
            max_keepalive_connections=max(1, max_keepalive // shards),
        )
        self.pools = [httpx.AsyncHTTPTransport(limits=limits) for _ in range(shards)]
        self._next = itertools.cycle(self.pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()
