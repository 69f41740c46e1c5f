"""The per-credential response cache and the DataLoaders, counted at the emulator."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from tests.conftest import (
    ALPHA_KEY_2,
    BETA_KEY,
    Gateway,
    GatewayFactory,
    Rest,
    RunningServer,
    start_emulator,
)
from tests.faults import FaultTransport, status

LIST = "{ callbackDestinations(first: 10) { nodes { destinationId name } } }"
CREATE = """mutation($name: String!) { createCallbackDestination(input: {name: $name,
  url: "https://e.com", callbacks: {type: ALL}}) { callbackDestination { destinationId } } }"""


def upstream_calls(emulator: RunningServer, path_prefix: str = "/callbacks") -> int:
    app: FastAPI = emulator.app
    return sum(1 for r in app.state.request_log if r.path.startswith(path_prefix))


async def test_identical_query_within_ttl_makes_no_upstream_call(
    gateway: Gateway, emulator: RunningServer
) -> None:
    first = await gateway.data(LIST)
    calls = upstream_calls(emulator)
    assert await gateway.data(LIST) == first
    assert upstream_calls(emulator) == calls


async def test_query_after_ttl_calls_upstream_again(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway = await make_gateway(emulator.url, cache_ttl=0.2)
    await gateway.data(LIST)
    calls = upstream_calls(emulator)
    await asyncio.sleep(0.3)
    await gateway.data(LIST)
    assert upstream_calls(emulator) == calls + 1


async def test_ttl_zero_disables_the_cache(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway = await make_gateway(emulator.url, cache_ttl=0)
    await gateway.data(LIST)
    await gateway.data(LIST)
    assert upstream_calls(emulator) == 2


async def test_no_cache_header_skips_reading_the_cache(
    gateway: Gateway, emulator: RunningServer, rest: Rest
) -> None:
    await gateway.data(LIST)
    await rest.create("behind the gateway's back")
    cached = await gateway.data(LIST)
    assert cached["callbackDestinations"]["nodes"] == []
    fresh = await gateway.data(LIST, headers={"Cache-Control": "no-cache"})
    assert [n["name"] for n in fresh["callbackDestinations"]["nodes"]] == [
        "behind the gateway's back"
    ]


async def test_credentials_never_share_cache_entries(
    gateway: Gateway, emulator: RunningServer, rest: Rest
) -> None:
    await rest.create("alpha only")
    alpha = await gateway.data(LIST)
    beta = await gateway.data(LIST, key=BETA_KEY)
    assert [n["name"] for n in alpha["callbackDestinations"]["nodes"]] == ["alpha only"]
    assert beta["callbackDestinations"]["nodes"] == []
    # Even a second key of the same instance gets its own entry (and its own upstream call).
    calls = upstream_calls(emulator)
    await gateway.data(LIST, key=ALPHA_KEY_2)
    assert upstream_calls(emulator) == calls + 1
    # A bad key is never answered from a good key's cache.
    result = await gateway.query(LIST, key="metorial_sk_not_a_key")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_writer_reads_its_own_create_update_and_delete_at_once(gateway: Gateway) -> None:
    assert (await gateway.data(LIST))["callbackDestinations"]["nodes"] == []
    created = await gateway.data(CREATE, {"name": "new"})
    destination_id = created["createCallbackDestination"]["callbackDestination"]["destinationId"]
    by_id = "query($id: ID!) { callbackDestination(id: $id) { name description } }"
    assert (await gateway.data(by_id, {"id": destination_id}))["callbackDestination"] == {
        "name": "new",
        "description": "",
    }
    listed = await gateway.data(LIST)
    assert [n["name"] for n in listed["callbackDestinations"]["nodes"]] == ["new"]
    await gateway.data(
        'mutation($id: ID!) { updateCallbackDestination(input: {id: $id, name: "renamed"})'
        " { userErrors { message } } }",
        {"id": destination_id},
    )
    assert (await gateway.data(by_id, {"id": destination_id}))["callbackDestination"][
        "name"
    ] == "renamed"
    assert [n["name"] for n in (await gateway.data(LIST))["callbackDestinations"]["nodes"]] == [
        "renamed"
    ]
    await gateway.data(
        "mutation($id: ID!) { deleteCallbackDestination(input: {id: $id}) "
        "{ userErrors { message } } }",
        {"id": destination_id},
    )
    assert (await gateway.data(LIST))["callbackDestinations"]["nodes"] == []


async def test_filtered_lists_are_invalidated_too(gateway: Gateway, rest: Rest) -> None:
    callback = (await rest.callbacks())[0]["id"]
    filtered = "query($c: [ID!]) { callbackDestinations(callbackIds: $c) { nodes { name } } }"
    assert (await gateway.data(filtered, {"c": [callback]}))["callbackDestinations"]["nodes"] == []
    await gateway.data(CREATE, {"name": "all-type"})
    nodes = (await gateway.data(filtered, {"c": [callback]}))["callbackDestinations"]["nodes"]
    assert nodes == [{"name": "all-type"}]


async def test_concurrent_identical_queries_share_one_upstream_call(
    make_gateway: GatewayFactory,
) -> None:
    emulator = await start_emulator(latency_ms=150)
    try:
        gateway = await make_gateway(emulator.url)
        results = await asyncio.gather(*(gateway.data(LIST) for _ in range(20)))
        assert all(r == results[0] for r in results)
        assert upstream_calls(emulator) == 1
    finally:
        await emulator.stop()


async def test_nodes_with_duplicates_fetches_each_unique_id_once(
    gateway: Gateway, emulator: RunningServer, rest: Rest
) -> None:
    ids = [(await rest.create(f"d{i}"))["id"] for i in range(5)]
    emulator.app.state.clear_request_log()
    data = await gateway.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on CallbackDestination { name } } }",
        {"ids": ids + ids + ids[:2]},
    )
    assert [n["name"] for n in data["nodes"]] == [f"d{i}" for i in range(5)] * 2 + ["d0", "d1"]
    assert upstream_calls(emulator) == 5


async def test_nodes_fetches_run_concurrently(make_gateway: GatewayFactory) -> None:
    emulator = await start_emulator(latency_ms=200)
    try:
        rest = Rest(emulator.url)
        ids = [(await rest.create(f"d{i}"))["id"] for i in range(10)]
        await rest.client.aclose()
        faults = FaultTransport()
        gateway = await make_gateway(emulator.url, transport=faults)
        await gateway.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
        # Each answer takes 200 ms: all ten were waiting on the upstream together.
        assert faults.count("GET") == 10
        assert faults.most_in_flight == 10
    finally:
        await emulator.stop()


async def test_list_results_prime_the_loaders(
    gateway: Gateway, emulator: RunningServer, rest: Rest
) -> None:
    chosen = [c["id"] for c in await rest.callbacks()][:2]
    await rest.create("picky", callbacks={"type": "selected", "callback_id": chosen})
    emulator.app.state.clear_request_log()
    data = await gateway.data(
        "{ callbacks(first: 10) { nodes { destinations(first: 10) { nodes "
        "{ callbacks { callbacks { callbackId } } } } } } }"
    )
    nested = data["callbacks"]["nodes"][0]["destinations"]["nodes"][0]["callbacks"]["callbacks"]
    assert [c["callbackId"] for c in nested] == chosen
    paths = [r.path for r in emulator.app.state.request_log]
    # The callbacks list primed the loader: no callback was fetched again by id.
    assert not [p for p in paths if p.startswith("/callbacks/")], paths


async def test_cache_counters_are_exported(gateway: Gateway) -> None:
    await gateway.data(LIST)
    await gateway.data(LIST)  # the same document: served whole, before execution
    await gateway.data(LIST.replace("name", "name destinationId"))  # same upstream GET
    text = (await gateway.client.get("/metrics")).text
    assert 'gateway_result_cache_events_total{result="hit"} 1.0' in text
    assert 'gateway_result_cache_events_total{result="miss"} 2.0' in text
    assert 'gateway_cache_events_total{result="hit"} 1.0' in text
    assert 'gateway_cache_events_total{result="miss"} 1.0' in text
    assert "gateway_upstream_requests_total{" in text


async def test_a_write_whose_answer_was_lost_still_invalidates(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    faults = FaultTransport()
    gateway: Gateway = await make_gateway(emulator.url, transport=faults)
    assert (await gateway.data(LIST))["callbackDestinations"]["nodes"] == []
    faults.lose_responses = 1
    result = await gateway.query(CREATE, {"name": "maybe"})
    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_TIMEOUT"
    # The create did happen upstream; the writer's next read must not hide it.
    listed = await gateway.data(LIST)
    assert [n["name"] for n in listed["callbackDestinations"]["nodes"]] == ["maybe"]


async def test_whole_results_are_never_staler_than_their_upstream_data(
    emulator: RunningServer, make_gateway: GatewayFactory, rest: Rest
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, cache_ttl=0.4)
    await gateway.data(LIST)  # the upstream list is fetched (and cached) now
    await asyncio.sleep(0.25)
    other = LIST.replace("name", "name destinationId")
    await gateway.data(other)  # built from the 0.25 s old upstream entry
    await rest.create("later")
    await asyncio.sleep(0.2)  # the upstream entry has expired; the result must too
    fresh = await gateway.data(other)
    assert [n["name"] for n in fresh["callbackDestinations"]["nodes"]] == ["later"]


async def test_results_differ_by_variables_and_errors_are_not_kept(
    emulator: RunningServer, make_gateway: GatewayFactory, rest: Rest
) -> None:
    faults = FaultTransport()
    gateway: Gateway = await make_gateway(emulator.url, transport=faults, upstream_retries=0)
    query = "query($n: Int) { callbackDestinations(first: $n) { nodes { name } } }"
    await rest.create("one")
    await rest.create("two")
    faults.script(status(503))
    failed = await gateway.query(query, {"n": 1})
    assert failed["errors"][0]["extensions"]["code"] == "UPSTREAM_ERROR"
    one = await gateway.data(query, {"n": 1})
    two = await gateway.data(query, {"n": 2})
    assert len(one["callbackDestinations"]["nodes"]) == 1
    assert len(two["callbackDestinations"]["nodes"]) == 2
    assert await gateway.data(query, {"n": 1}) == one
    assert faults.count("GET") == 3
