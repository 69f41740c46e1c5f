"""Two gateway processes share one Redis: the same answers and freshness as one process.

Real `gateway serve` processes, a real emulator (counting upstream requests in its log)
and the machine's Redis under a key prefix of each test's own.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ALPHA_KEY, ALPHA_KEY_2, BETA_KEY, RunningServer, start_emulator
from tests.faults import GatewayProcess
from tests.redis_helpers import (
    delete_prefixed,
    gateway_env,
    machine_redis,
    new_prefix,
    prefixed_items,
    pttl,
)

LIST = "{ callbackDestinations(first: 50) { nodes { destinationId name description } } }"
BY_ID = "query($id: ID!) { callbackDestination(id: $id) { destinationId name description } }"
CALLBACKS = "{ callbacks(first: 1) { nodes { callbackId } } }"
FILTERED = """query($ids: [ID!]) { callbackDestinations(first: 50, callbackIds: $ids) {
  nodes { name } } }"""
CREATE_SELECTED = """mutation($name: String!, $cb: ID!) { createCallbackDestination(input: {
  name: $name, url: "https://e.com/h", callbacks: {type: SELECTED, callbackIds: [$cb]}}) {
  callbackDestination { destinationId } } }"""
CREATE = """mutation($name: String!) { createCallbackDestination(input: {name: $name,
  url: "https://e.com/h", callbacks: {type: ALL}}) { callbackDestination { destinationId } } }"""
UPDATE = """mutation($id: ID!, $name: String!) { updateCallbackDestination(input: {id: $id,
  name: $name, description: "changed"}) { callbackDestination { name } userErrors { message } } }"""
DELETE = """mutation($id: ID!) { deleteCallbackDestination(input: {id: $id}) {
  deletedCallbackDestinationId userErrors { message } } }"""


class Pair:
    def __init__(self, emulator: RunningServer, a: GatewayProcess, b: GatewayProcess) -> None:
        self.emulator = emulator
        self.a = a
        self.b = b
        self.http = httpx.AsyncClient(timeout=30)

    async def data(
        self, gateway: GatewayProcess, query: str, key: str = ALPHA_KEY, **variables: Any
    ) -> Any:
        body = await self.send(gateway, {"query": query, "variables": variables}, key)
        assert "errors" not in body, body
        return body["data"]

    async def send(self, gateway: GatewayProcess, body: dict[str, Any], key: str) -> Any:
        response = await self.http.post(
            gateway.url + "/graphql", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def upstream_gets(self, path: str = "/callbacks-destinations") -> int:
        log = self.emulator.app.state.request_log
        return sum(1 for r in log if r.method == "GET" and r.path == path)


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    url = await machine_redis()
    value = new_prefix()
    yield value
    await delete_prefixed(url, value)


async def start_pair(tmp_path: Path, prefix: str, **env: str) -> Pair:
    url = await machine_redis()
    emulator = await start_emulator(latency_ms=100)
    settings = gateway_env(url, prefix, redis_timeout="2", **env)
    a = await GatewayProcess(tmp_path, emulator.url, **settings).__aenter__()
    b = await GatewayProcess(tmp_path, emulator.url, **settings).__aenter__()
    return Pair(emulator, a, b)


@pytest.fixture
async def pair(tmp_path: Path, prefix: str) -> AsyncIterator[Pair]:
    pair = await start_pair(tmp_path, prefix)
    yield pair
    await pair.http.aclose()
    await pair.a.__aexit__()
    await pair.b.__aexit__()
    await pair.emulator.stop()


def names(data: Any) -> list[str]:
    return [n["name"] for n in data["callbackDestinations"]["nodes"]]


async def test_a_create_through_one_process_is_read_at_once_through_the_other(
    pair: Pair,
) -> None:
    [callback] = (await pair.data(pair.a, CALLBACKS))["callbacks"]["nodes"]
    cb = callback["callbackId"]
    assert names(await pair.data(pair.b, LIST)) == []  # b's answers are cached now
    assert names(await pair.data(pair.b, FILTERED, ids=[cb])) == []
    created = await pair.data(pair.a, CREATE_SELECTED, name="via a", cb=cb)
    new_id = created["createCallbackDestination"]["callbackDestination"]["destinationId"]
    assert names(await pair.data(pair.b, LIST)) == ["via a"]
    assert names(await pair.data(pair.b, FILTERED, ids=[cb])) == ["via a"]
    by_id = await pair.data(pair.b, BY_ID, id=new_id)
    assert by_id["callbackDestination"]["name"] == "via a"


async def test_an_update_through_one_process_is_read_at_once_through_the_other(
    pair: Pair,
) -> None:
    created = await pair.data(pair.a, CREATE, name="before")
    new_id = created["createCallbackDestination"]["callbackDestination"]["destinationId"]
    assert (await pair.data(pair.b, BY_ID, id=new_id))["callbackDestination"]["name"] == "before"
    assert names(await pair.data(pair.b, LIST)) == ["before"]
    updated = await pair.data(pair.a, UPDATE, id=new_id, name="after")
    assert updated["updateCallbackDestination"]["userErrors"] == []
    read = (await pair.data(pair.b, BY_ID, id=new_id))["callbackDestination"]
    assert (read["name"], read["description"]) == ("after", "changed")
    assert names(await pair.data(pair.b, LIST)) == ["after"]


async def test_a_delete_through_one_process_is_read_at_once_through_the_other(
    pair: Pair,
) -> None:
    created = await pair.data(pair.a, CREATE, name="doomed")
    new_id = created["createCallbackDestination"]["callbackDestination"]["destinationId"]
    assert (await pair.data(pair.b, BY_ID, id=new_id))["callbackDestination"] is not None
    assert names(await pair.data(pair.b, LIST)) == ["doomed"]
    deleted = await pair.data(pair.a, DELETE, id=new_id)
    assert deleted["deleteCallbackDestination"]["userErrors"] == []
    assert names(await pair.data(pair.b, LIST)) == []  # deleted ones are not listed


async def test_a_repeated_query_is_served_from_redis_through_either_process(pair: Pair) -> None:
    await pair.data(pair.a, LIST)
    calls = pair.upstream_gets()
    await pair.data(pair.b, LIST)
    await pair.data(pair.a, LIST)
    assert pair.upstream_gets() == calls


async def test_a_cold_key_stampede_from_two_processes_costs_one_upstream_call(
    pair: Pair,
) -> None:
    # Different documents (so the whole-result cache does not answer), the same upstream GET.
    queries = [
        f"{{ callbackDestinations(first: 50) {{ nodes {{ {fields} }} }} }}"
        for fields in ("name", "destinationId", "description", "name description", "id")
    ]
    sends = [
        pair.data(gateway, query)
        for gateway in (pair.a, pair.b)
        for query in queries
        for _ in range(3)
    ]
    await asyncio.gather(*sends)
    assert pair.upstream_gets() == 1


async def test_apq_registered_through_one_process_runs_through_the_other(pair: Pair) -> None:
    digest = hashlib.sha256(LIST.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    registered = await pair.send(pair.a, {"query": LIST, "extensions": extensions}, ALPHA_KEY)
    assert "errors" not in registered
    by_hash = await pair.send(pair.b, {"extensions": extensions}, ALPHA_KEY)
    assert by_hash == registered
    other = await pair.send(pair.b, {"extensions": extensions}, BETA_KEY)
    assert other["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_credentials_never_share_entries_and_redis_holds_nothing_in_clear(
    pair: Pair, prefix: str
) -> None:
    created = await pair.data(pair.a, CREATE, name="alpha only")
    new_id = created["createCallbackDestination"]["callbackDestination"]["destinationId"]
    secret_query = (
        "{ callbackDestinations(first: 5) { nodes { webhookDestination { url signingSecret } } } }"
    )
    secrets = await pair.data(pair.a, secret_query)
    signing = secrets["callbackDestinations"]["nodes"][0]["webhookDestination"]["signingSecret"]
    await pair.data(pair.a, BY_ID, id=new_id)
    digest = hashlib.sha256(LIST.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    await pair.send(pair.a, {"query": LIST, "extensions": extensions}, ALPHA_KEY)
    assert names(await pair.data(pair.a, LIST)) == ["alpha only"]
    assert names(await pair.data(pair.b, LIST, key=BETA_KEY)) == []
    assert names(await pair.data(pair.b, LIST, key=ALPHA_KEY_2)) == ["alpha only"]

    items = await prefixed_items(await machine_redis(), prefix)
    assert len(items) >= 5
    clear = [ALPHA_KEY, ALPHA_KEY_2, BETA_KEY, signing, new_id, "metorial_sk", "clb_sec_"]
    clear += ["alpha only", "callbackDestinations", "example.com", "cld_", "https://e.com"]
    for key, value in items.items():
        for text in clear:
            assert text.encode() not in key, (text, key)
            assert value is None or text.encode() not in value, (text, key)


async def test_entries_expire_in_redis_after_the_ttl(tmp_path: Path, prefix: str) -> None:
    pair = await start_pair(tmp_path, prefix, cache_ttl="1")
    try:
        await pair.data(pair.a, LIST)
        url = await machine_redis()
        entries = [k for k in await prefixed_items(url, prefix) if not k.endswith(b":g")]
        assert entries
        for key in entries:
            assert 0 < await pttl(url, key) <= 1000
        calls = pair.upstream_gets()
        await asyncio.sleep(1.2)
        await pair.data(pair.b, LIST)
        assert pair.upstream_gets() == calls + 1
    finally:
        await pair.http.aclose()
        await pair.a.__aexit__()
        await pair.b.__aexit__()
        await pair.emulator.stop()
