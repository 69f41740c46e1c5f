"""The server's own limits (issue 12, findings 3, 4, 12), on a real `gateway serve` process:
raw sockets play the slow or greedy client, and a concurrent /healthz must answer."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.faults import GatewayProcess

LIMITS = {
    "GATEWAY_MAX_HEADER_BYTES": "8192",
    "GATEWAY_MAX_HEADERS": "20",
    "GATEWAY_HEADER_TIMEOUT": "1",
    "GATEWAY_BODY_TIMEOUT": "1",
    "GATEWAY_KEEPALIVE_TIMEOUT": "1",
    "GATEWAY_MAX_CONNECTIONS": "20",
}
WAIT = 20  # seconds, generous: only "is it closed at all" is asserted, never how fast


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    async with GatewayProcess(tmp_path, "http://127.0.0.1:9", **LIMITS) as gateway:
        yield gateway


async def connect(gateway: GatewayProcess) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", gateway.port)


async def answer_then_close(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    try:
        return await asyncio.wait_for(reader.read(), WAIT)
    except ConnectionResetError:
        return b"<reset>"


async def healthz(gateway: GatewayProcess) -> int:
    async with httpx.AsyncClient(timeout=WAIT) as client:
        return (await client.get(gateway.url + "/healthz")).status_code


async def test_headers_past_the_byte_limit_are_431_and_the_stream_is_cut(
    served: GatewayProcess,
) -> None:
    reader, writer = await connect(served)
    writer.write(b"POST /graphql HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 16_000)
    assert (await answer_then_close(reader)).startswith(b"HTTP/1.1 431 ")
    writer.close()
    # A 96 MB header, streamed: the server hangs up long before.
    reader, writer = await connect(served)
    sent, cut = 0, False
    writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ")
    try:
        for _ in range(96 * 16):
            writer.write(b"a" * 65536)
            await asyncio.wait_for(writer.drain(), WAIT)
            sent += 65536
    except ConnectionError:
        cut = True
    assert cut
    assert sent < 16_000_000
    writer.close()
    assert await healthz(served) == 200


async def test_too_many_headers_are_431(served: GatewayProcess) -> None:
    reader, writer = await connect(served)
    headers = b"".join(b"x-h%d: v\r\n" % i for i in range(30))
    writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + headers + b"\r\n")
    assert (await answer_then_close(reader)).startswith(b"HTTP/1.1 431 ")
    writer.close()


async def test_slow_loris_headers_and_bodies_are_closed_while_healthz_answers(
    served: GatewayProcess,
) -> None:
    slow = []
    for i in range(8):
        reader, writer = await connect(served)
        if i % 2:
            writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-partial: ")  # never ends
        else:
            writer.write(
                b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                b'content-length: 1000\r\n\r\n{"query":'  # 990 bytes never come
            )
        slow.append((reader, writer))
    assert await healthz(served) == 200  # answered while the slow sockets are held
    answers = [await answer_then_close(reader) for reader, _ in slow]
    for i, answer in enumerate(answers):
        if i % 2:
            assert answer.startswith(b"HTTP/1.1 408 "), answer
        # (a body that never arrives: the connection is simply closed)
    for _, writer in slow:
        writer.close()
    assert await healthz(served) == 200


async def test_connections_past_the_limit_are_refused_at_once(served: GatewayProcess) -> None:
    held = [await connect(served) for _ in range(30)]  # silent: nothing sent
    refused = 0
    for reader, _ in held[20:]:
        if (await answer_then_close(reader)).startswith(b"HTTP/1.1 503 "):
            refused += 1
    assert refused == 10
    # The silent 20 are closed by the header timeout; then the server answers again.
    for reader, _ in held[:20]:
        assert (await answer_then_close(reader)).startswith(b"HTTP/1.1 408 ")
    for _, writer in held:
        writer.close()
    assert await healthz(served) == 200


async def test_an_idle_keep_alive_connection_is_closed(served: GatewayProcess) -> None:
    reader, writer = await connect(served)
    writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
    answer = await answer_then_close(reader)  # answered, then closed once idle
    assert answer.startswith(b"HTTP/1.1 200 ")
    writer.close()


async def test_aborted_uploads_and_bad_requests_are_logged_as_json_without_tracebacks(
    served: GatewayProcess,
) -> None:
    for _ in range(5):
        reader, writer = await connect(served)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b'content-length: 100000\r\n\r\n{"query":'
        )
        await writer.drain()
        writer.close()  # aborted upload
    reader, writer = await connect(served)
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    assert (await answer_then_close(reader)).startswith(b"HTTP/1.1 400 ")
    writer.close()
    assert await healthz(served) == 200
    await asyncio.sleep(0.5)
    lines = served.log_lines()
    entries = [json.loads(line) for line in lines]  # every line is JSON
    assert not [e for e in entries if "Traceback" in json.dumps(e)]
    outcomes = [e.get("outcome") for e in entries if e.get("logger") == "gateway.access"]
    assert outcomes.count("disconnected") == 5
    assert [e for e in entries if e["logger"].startswith("uvicorn")]  # the 400, as JSON


async def test_large_documents_do_not_stay_in_the_parse_caches(served: GatewayProcess) -> None:
    async with httpx.AsyncClient(timeout=WAIT) as client:

        async def send(padding: int) -> None:
            comment = "# " + secrets.token_hex(padding // 2) + "\n"
            query = comment + "{ __typename }"
            response = await client.post(served.url + "/graphql", json={"query": query})
            assert response.json() == {"data": {"__typename": "Query"}}

        await send(900_000)  # warm-up
        before = served.memory()
        for _ in range(100):  # 100 distinct documents of 900 KB: ~180 MB if all were kept
            await send(900_000)
        assert served.memory() - before < 60_000_000
