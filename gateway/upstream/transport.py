"""The upstream transport: several small connection pools instead of one large one.

httpcore's pool re-scans all of its connections (and, for each, all of them again)
every time a request starts or ends (encode/httpcore#1035), so a fan-out of 50
concurrent GETs over 50 connections costs ~50^3 steps of bookkeeping: about 150 ms
of CPU measured by `make bench`. Spreading requests over `shards` pools of a
`shards`-th the size divides that cost by about `shards` squared. Each request goes
to the least busy pool (the first on a tie), so one-at-a-time traffic keeps reusing
the same warm connection.
"""

from __future__ import annotations

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
        self.busy = [0] * shards  # requests waiting for their answer, per pool
        self.sent = [0] * shards  # requests sent, per pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shard = self.busy.index(min(self.busy))
        self.busy[shard] += 1
        self.sent[shard] += 1
        try:
            return await self.pools[shard].handle_async_request(request)
        finally:
            self.busy[shard] -= 1

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()
