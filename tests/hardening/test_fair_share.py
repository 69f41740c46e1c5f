"""One tenant cannot starve another through the shared upstream (issue 12, finding 5).

The upstream here holds every request of tenant B until the test releases it, so what is
measured is counts and order, never time: how many of B's requests the gateway lets
reach the upstream at once, and that A's lookup is answered while B's are still held."""

from __future__ import annotations

import asyncio
import collections

import httpx

from tests.conftest import ALPHA_KEY, BETA_KEY, Gateway, GatewayFactory, Rest, RunningServer

NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
ONE = "query($id: ID!) { callbackDestination(id: $id) { name } }"


class HoldingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the emulator; those sent with `held_key` wait for `release`."""

    def __init__(self, held_key: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.held = f"Bearer {held_key}"
        self.release = asyncio.Event()
        self.in_flight: collections.Counter[str] = collections.Counter()
        self.most_in_flight: collections.Counter[str] = collections.Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["Authorization"]
        self.in_flight[key] += 1
        self.most_in_flight[key] = max(self.most_in_flight[key], self.in_flight[key])
        try:
            if key == self.held:
                await self.release.wait()
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight[key] -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


async def held(transport: HoldingTransport, count: int) -> None:
    """Wait (bounded) until `count` requests of the held key are at the upstream."""
    for _ in range(1000):
        if transport.in_flight[transport.held] >= count:
            break
        await asyncio.sleep(0.01)
    assert transport.in_flight[transport.held] == count


async def test_a_tenants_fan_out_gets_a_fair_share_and_another_tenant_is_answered_meanwhile(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    mine = Rest(emulator.url, key=ALPHA_KEY)
    found = await mine.create("A's own")
    await mine.client.aclose()
    transport = HoldingTransport(held_key=BETA_KEY)
    gateway: Gateway = await make_gateway(
        emulator.url,
        transport=transport,
        cache_ttl=0,
        upstream_concurrency_per_credential=4,
        upstream_version="2025-01-01",
    )
    ids = [f"cld_{n:09d}AAAAAAAAAAAAA" for n in range(40)]
    fan_out = asyncio.ensure_future(gateway.query(NODES, {"ids": ids}, key=BETA_KEY))
    await held(transport, 4)  # B has taken its whole share
    answer = await gateway.data(ONE, {"id": found["id"]}, key=ALPHA_KEY)
    assert answer == {"callbackDestination": {"name": "A's own"}}
    assert not fan_out.done()  # A was answered while all of B's share was held
    transport.release.set()
    result = await fan_out
    assert result["data"]["nodes"] == [None] * 40  # every id asked, none lost
    assert transport.most_in_flight[f"Bearer {BETA_KEY}"] == 4
    assert len(gateway.app.state.upstream().slots) == 0  # nothing kept per credential after


async def test_no_limit_when_the_share_is_zero(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    transport = HoldingTransport(held_key=BETA_KEY)
    gateway: Gateway = await make_gateway(
        emulator.url, transport=transport, cache_ttl=0, upstream_concurrency_per_credential=0
    )
    ids = [f"cld_{n:09d}AAAAAAAAAAAAA" for n in range(40)]
    fan_out = asyncio.ensure_future(gateway.query(NODES, {"ids": ids}, key=BETA_KEY))
    await held(transport, 40)  # all 40 reach the upstream together
    transport.release.set()
    await fan_out
