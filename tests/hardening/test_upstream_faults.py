"""Upstreams that misbehave (issue 12, findings 2, 6, 14, 15): real HTTP fault servers.

Each one is bounded: the gateway reads no more than GATEWAY_UPSTREAM_MAX_BYTES of an
answer (decompressed), /readyz answers whatever the upstream does, no message shows a
secret, and a write lost after it was sent says it may have been applied.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx

from tests.conftest import ALPHA_KEY, GatewayFactory
from tests.faults import (
    FaultServer,
    GatewayProcess,
    big_body,
    echo_credential,
    endless_chunks,
    gzip_bomb,
    swallow,
    trickle,
)

LIST = "{ callbackDestinations(first: 5) { nodes { id } } }"
CREATE = """mutation { createCallbackDestination(input: {name: "n", url: "https://e.com",
  callbacks: {type: ALL}}) { callbackDestination { id } userErrors { message } } }"""
LIMIT = 1_000_000


async def test_a_never_ending_body_is_read_only_up_to_the_limit(
    make_gateway: GatewayFactory,
) -> None:
    async with FaultServer(endless_chunks) as upstream:
        gateway = await make_gateway(upstream.url, upstream_max_bytes=LIMIT, cache_ttl=0)
        result = await gateway.query(LIST)
        [error] = result["errors"]
        assert error["extensions"]["code"] == "UPSTREAM_ERROR"
        assert f"larger than {LIMIT} bytes" in error["message"]
        await asyncio.sleep(0.2)  # the server notices the hang-up
        # What the server managed to send: the limit plus what the socket buffers held.
        assert upstream.sent < 32 * LIMIT


async def test_a_gzip_bomb_is_counted_after_decompression(make_gateway: GatewayFactory) -> None:
    bomb = gzip_bomb(200_000_000)
    async with FaultServer(bomb) as upstream:
        gateway = await make_gateway(upstream.url, upstream_max_bytes=LIMIT, cache_ttl=0)
        result = await gateway.query(LIST)
        [error] = result["errors"]
        assert error["extensions"]["code"] == "UPSTREAM_ERROR"
        assert f"larger than {LIMIT} bytes" in error["message"]


async def test_huge_answers_to_many_ids_leave_a_gateway_process_small(tmp_path: Path) -> None:
    ids = ", ".join(f'"cld_00000000000000000000000{i}"' for i in range(8))
    query = f"{{ nodes(ids: [{ids}]) {{ id }} }}"
    async with (
        FaultServer(big_body(100_000_000)) as upstream,
        GatewayProcess(tmp_path, upstream.url, GATEWAY_CACHE_TTL="0") as gateway,
        httpx.AsyncClient(timeout=60) as client,
    ):
        before = gateway.memory()
        for bomb in (big_body(100_000_000), gzip_bomb(200_000_000), endless_chunks):
            upstream.handler = bomb
            response = await client.post(
                gateway.url + "/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {ALPHA_KEY}"},
            )
            codes = {e["extensions"]["code"] for e in response.json()["errors"]}
            assert codes == {"UPSTREAM_ERROR"}
            assert (await client.get(gateway.url + "/healthz")).status_code == 200
        # 8 x 100 MB (or 200 MB inflated) were offered three times: unbounded, the peak grew
        # by GBs. The default limit (5 MB) reads 8 x 5 MB at most (about 120 MB of peak
        # growth measured, first-request warm-up included).
        assert gateway.memory("VmHWM") - before < 300_000_000


async def test_readyz_answers_when_the_upstream_trickles_bytes(
    make_gateway: GatewayFactory,
) -> None:
    async with FaultServer(trickle) as upstream:
        gateway = await make_gateway(upstream.url)
        response = await gateway.client.get("/readyz", timeout=60)
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert (await gateway.client.get("/healthz")).status_code == 200


async def test_readyz_never_reads_a_huge_body(make_gateway: GatewayFactory) -> None:
    async with FaultServer(endless_chunks) as upstream:
        gateway = await make_gateway(upstream.url)
        response = await gateway.client.get("/readyz", timeout=60)
        assert response.status_code in (200, 503)
        await asyncio.sleep(0.2)
        assert upstream.sent < 32 * LIMIT


async def test_an_upstream_message_that_echoes_the_callers_key_is_redacted(
    make_gateway: GatewayFactory,
) -> None:
    secret = "tok_4f9a8b7c6d5e4f3a2b1c"  # not shaped like a Metorial key: only the caller knows
    async with FaultServer(echo_credential(400)) as upstream:
        gateway = await make_gateway(upstream.url, cache_ttl=0)
        for key in (secret, ALPHA_KEY):
            result = await gateway.query(LIST, key=key)
            [error] = result["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert "is not allowed here" in error["message"]
            assert key not in error["message"]
            assert "[REDACTED]" in error["message"]


async def test_a_write_lost_after_it_was_sent_may_have_been_applied(
    make_gateway: GatewayFactory,
) -> None:
    async with FaultServer(swallow) as upstream:
        gateway = await make_gateway(upstream.url)
        result = await gateway.query(CREATE)
        [error] = result["errors"]
        assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        assert error["extensions"]["writeMayHaveApplied"] is True
        assert [r.method for r in upstream.requests] == ["POST"]  # sent once, never again


async def test_a_write_that_never_connected_was_not_applied(
    make_gateway: GatewayFactory,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens there
    gateway = await make_gateway(closed)
    result = await gateway.query(CREATE)
    [error] = result["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["extensions"]["writeMayHaveApplied"] is False
