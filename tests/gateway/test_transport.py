"""The sharded upstream transport: warm connections for serial traffic, spread for fan-out."""

from __future__ import annotations

import asyncio

import httpx

from gateway.upstream.transport import ShardedTransport
from tests.conftest import ALPHA_KEY, start_emulator


async def test_one_at_a_time_traffic_stays_on_one_pool_and_a_fan_out_spreads() -> None:
    emulator = await start_emulator(latency_ms=100)
    transport = ShardedTransport(shards=4)
    client = httpx.AsyncClient(
        transport=transport, base_url=emulator.url, headers={"Authorization": f"Bearer {ALPHA_KEY}"}
    )
    try:
        for _ in range(3):
            assert (await client.get("/callbacks")).status_code == 200
        assert transport.sent == [3, 0, 0, 0]
        responses = await asyncio.gather(*(client.get("/callbacks") for _ in range(8)))
        assert all(r.status_code == 200 for r in responses)
        assert transport.sent[1:] == [2, 2, 2]  # the 8 concurrent ones: 2 per pool
        assert transport.busy == [0, 0, 0, 0]
    finally:
        await client.aclose()
        await emulator.stop()
