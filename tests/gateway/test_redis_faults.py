"""Redis trouble never fails a query: a private redis-server, killed, restarted, paused.

The gateways here run in the test process (over ASGI) against a real emulator; each
has its own Redis connections, as separate processes would.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.settings import Settings
from tests.conftest import Gateway, GatewayFactory, RunningServer
from tests.faults import GatewayProcess
from tests.redis_helpers import (
    PrivateRedis,
    gateway_env,
    gateway_settings,
    machine_redis,
    new_prefix,
    prefixed_items,
    private_redis,
)

LIST = "{ callbackDestinations(first: 50) { nodes { destinationId name } } }"
CREATE = """mutation($name: String!) { createCallbackDestination(input: {name: $name,
  url: "https://e.com/h", callbacks: {type: ALL}}) { callbackDestination { destinationId } } }"""


@pytest.fixture
async def redis_server() -> AsyncIterator[PrivateRedis]:
    async for server in private_redis():
        yield server


async def on(
    make_gateway: GatewayFactory, emulator: RunningServer, server: PrivateRedis
) -> Gateway:
    settings = gateway_settings(server.url, "gw:", redis_timeout=0.2)
    gateway: Gateway = await make_gateway(emulator.url, **settings)
    return gateway


def upstream_gets(emulator: RunningServer) -> int:
    return sum(1 for r in emulator.app.state.request_log if r.method == "GET")


def names(data: dict[str, object]) -> list[str]:
    nodes = data["callbackDestinations"]["nodes"]  # type: ignore[index]
    return [n["name"] for n in nodes]


async def metric(gateway: Gateway, name: str) -> float:
    text = (await gateway.client.get("/metrics")).text
    values = re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, flags=re.M)
    return sum(float(v) for v in values)


async def wait_until_redis_is_used(gateway: Gateway) -> None:
    """Bounded by tries, not time: /readyz probes a Redis found down (after its backoff)."""
    for _ in range(200):
        if (await gateway.client.get("/readyz")).json().get("redis") == "up":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not use Redis again")


async def test_queries_succeed_while_redis_is_down_and_redis_is_used_again_when_back(
    emulator: RunningServer,
    make_gateway: GatewayFactory,
    redis_server: PrivateRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = await on(make_gateway, emulator, redis_server)
    await gateway.data(CREATE, {"name": "one"})
    assert names(await gateway.data(LIST)) == ["one"]
    assert await metric(gateway, "gateway_redis_up") == 1
    await redis_server.kill()
    with caplog.at_level(logging.WARNING, logger="gateway.redis"):
        for round in range(5):
            assert len(names(await gateway.data(LIST))) == round + 1
            await gateway.data(CREATE, {"name": f"down {round}"})
        assert len(names(await gateway.data(LIST))) == 6  # writes are visible: no cache
        assert await metric(gateway, "gateway_redis_up") == 0
        assert await metric(gateway, "gateway_redis_errors_total") >= 1
        ready = await gateway.client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["redis"] == "down"

        await redis_server.start()
        await wait_until_redis_is_used(gateway)
        await gateway.data(LIST)
        calls = upstream_gets(emulator)
        assert len(names(await gateway.data(LIST))) == 6
        assert upstream_gets(emulator) == calls  # served from Redis again
    assert await metric(gateway, "gateway_redis_up") == 1
    assert await prefixed_items(redis_server.url, "gw:")
    messages = [r.getMessage() for r in caplog.records if r.name == "gateway.redis"]
    assert sum("unavailable" in m for m in messages) == 1  # once per state change
    assert sum("available again" in m for m in messages) == 1
    assert all(redis_server.url not in m for m in messages)


async def test_a_paused_redis_is_bypassed_and_no_query_fails(
    emulator: RunningServer, make_gateway: GatewayFactory, redis_server: PrivateRedis
) -> None:
    gateway = await on(make_gateway, emulator, redis_server)
    await gateway.data(LIST)
    redis_server.pause()
    try:
        for round in range(4):
            await gateway.data(CREATE, {"name": f"paused {round}"})
            assert len(names(await gateway.data(LIST))) == round + 1
        assert await metric(gateway, "gateway_redis_up") == 0
        assert (await gateway.client.get("/readyz")).status_code == 200
    finally:
        redis_server.resume()
    await wait_until_redis_is_used(gateway)
    assert len(names(await gateway.data(LIST))) == 4


async def test_a_write_while_redis_is_paused_reaches_every_process_once_it_resumes(
    emulator: RunningServer, make_gateway: GatewayFactory, redis_server: PrivateRedis
) -> None:
    a = await on(make_gateway, emulator, redis_server)
    b = await on(make_gateway, emulator, redis_server)
    assert names(await b.data(LIST)) == []  # cached in Redis
    redis_server.pause()
    try:
        await a.data(CREATE, {"name": "while paused"})  # its generation bump is kept
    finally:
        redis_server.resume()
    assert names(await a.data(LIST)) == ["while paused"]
    await wait_until_redis_is_used(a)  # the kept bump is sent first
    assert names(await b.data(LIST)) == ["while paused"]


async def test_killing_redis_mid_load_produces_no_client_error(
    emulator: RunningServer, make_gateway: GatewayFactory, redis_server: PrivateRedis
) -> None:
    a = await on(make_gateway, emulator, redis_server)
    b = await on(make_gateway, emulator, redis_server)
    created: list[str] = []
    kill, restart = asyncio.Event(), asyncio.Event()

    async def client(writer: Gateway, reader: Gateway, worker: int) -> None:
        for round in range(12):
            name = f"w{worker}r{round}"
            await writer.data(CREATE, {"name": name})  # data() asserts: no errors
            created.append(name)
            (kill if len(created) >= 6 else asyncio.Event()).set()
            (restart if len(created) >= 14 else asyncio.Event()).set()
            assert name in names(await reader.data(LIST))  # the other reads the write

    async def faults() -> None:
        await kill.wait()
        await redis_server.kill()
        await restart.wait()
        await redis_server.start()

    await asyncio.gather(client(a, b, 0), client(b, a, 1), client(a, a, 2), faults())
    assert len(created) == 36


def test_redis_without_a_cache_key_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="GATEWAY_CACHE_KEY_SECRET"):
        Settings(upstream_url="http://x", redis_url="redis://127.0.0.1:6379/0")
    with pytest.raises(ValueError, match="GATEWAY_CACHE_KEY_SECRET"):
        Settings(redis_url="redis://127.0.0.1:6379/0", cache_key_secret="short")


async def test_serve_with_two_workers_warns_without_redis(
    tmp_path: Path, emulator: RunningServer
) -> None:
    gateway = GatewayProcess(tmp_path, emulator.url)
    gateway.args += ["--workers", "2"]
    async with gateway:
        pass
    assert (
        "caches, persisted queries and read-your-writes are per worker" in gateway.log.read_text()
    )


async def test_two_workers_share_one_redis(tmp_path: Path, emulator: RunningServer) -> None:
    url = await machine_redis()
    prefix = new_prefix()
    gateway = GatewayProcess(tmp_path, emulator.url, **gateway_env(url, prefix))
    gateway.args += ["--workers", "2"]
    async with gateway:
        import httpx

        headers = {"Authorization": "Bearer metorial_sk_test_alpha_one"}
        async with httpx.AsyncClient(base_url=gateway.url, headers=headers) as http:
            for _ in range(6):  # whichever worker answers, the answer is the same
                answer = (await http.post("/graphql", json={"query": LIST})).json()
                assert answer == {"data": {"callbackDestinations": {"nodes": []}}}
    assert "per worker" not in gateway.log.read_text()
    assert await prefixed_items(url, prefix)
