"""Query limits: each at and past its edge, refused before any upstream call."""

from __future__ import annotations

from graphql import get_introspection_query

from gateway.schema.build import PARSE_CACHE_SIZE
from tests.conftest import Gateway, GatewayFactory, RunningServer


def nested(depth: int) -> str:
    """A query `depth` fields deep: callbacks > nodes > destinations > nodes > ..."""
    chain = ["callbacks(first: 1)", "nodes", "destinations(first: 1)", "nodes", "callbacks"]
    chain += ["callbacks", "destinations(first: 1)", "nodes"] * 3
    fields = chain[: depth - 1]
    leaf = "__typename"
    body = "id" if fields[-1] in ("nodes", "callbacks") else leaf
    query = body
    for field in reversed(fields):
        query = f"{field} {{ {query} }}"
    return "{ " + query + " }"


async def upstream_count(emulator: RunningServer) -> int:
    return len(emulator.app.state.request_log)


async def test_depth_at_the_limit_runs_and_past_it_is_refused(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_depth=4)
    ok = await gateway.query(nested(4))
    assert "errors" not in ok, ok
    before = await upstream_count(emulator)
    refused = await gateway.query(nested(5))
    assert refused["data"] is None
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "5 levels deep; the limit is 4" in error["message"]
    assert await upstream_count(emulator) == before


async def test_depth_counts_through_fragments(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_depth=3)
    query = """query Deep { callbacks { ...C } }
      fragment C on CallbackConnection { nodes { destinations { nodes { id } } } }"""
    result = await gateway.query(query)
    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "'Deep' is 5 levels deep" in result["errors"][0]["message"]


async def test_aliases_at_the_limit_run_and_past_it_are_refused(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_aliases=3)
    three = "{ a: __typename b: __typename c: __typename }"
    assert await gateway.data(three) == {"a": "Query", "b": "Query", "c": "Query"}
    result = await gateway.query("{ a: __typename b: __typename c: __typename d: __typename }")
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "more than 3 aliases" in error["message"]


async def test_tokens_at_the_limit_run_and_past_it_are_refused(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_tokens=5)
    assert await gateway.data("{ __typename }") == {"__typename": "Query"}  # 3 tokens
    assert await gateway.data("query Q { __typename }") == {"__typename": "Query"}  # 5 tokens
    result = await gateway.query("query Q { __typename __typename }")  # 6 tokens
    [error] = result["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "more than 5 tokens" in error["message"]


async def test_standard_introspection_query_passes_every_default_limit(gateway: Gateway) -> None:
    for descriptions in (True, False):
        query = get_introspection_query(descriptions=descriptions, specified_by_url=True)
        data = await gateway.data(query, key=None)
        names = {t["name"] for t in data["__schema"]["types"]}
        assert {"CallbackDestination", "Callback", "PageInfo", "UserError"} <= names


async def test_introspection_can_be_turned_off(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, introspection=False)
    result = await gateway.query("{ __schema { queryType { name } } }")
    assert result["data"] is None
    assert "introspection" in result["errors"][0]["message"].lower()
    assert await gateway.data("{ callbackDestinations { nodes { id } } }") is not None


async def test_first_above_the_configured_page_size_is_refused(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_page_size=10)
    result = await gateway.query("{ callbackDestinations(first: 11) { nodes { id } } }")
    assert "between 0 and 10" in result["errors"][0]["message"]


async def test_batches_past_the_limit_are_refused(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_batch=2)
    two = await gateway.client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert two.status_code == 200
    three = await gateway.client.post("/graphql", json=[{"query": "{ __typename }"}] * 3)
    assert three.status_code == 400
    assert "1 to 2 operations" in three.json()["errors"][0]["message"]


async def test_parse_and_validation_caches_hit_across_requests(gateway: Gateway) -> None:
    from strawberry.extensions.parser_cache import _get_parse_cache
    from strawberry.extensions.validation_cache import _get_validate_cache

    parse_cache = _get_parse_cache(PARSE_CACHE_SIZE)
    validate_cache = _get_validate_cache(PARSE_CACHE_SIZE)
    query = "query CacheProbe { callbackDestinations(first: 3) { nodes { name } } }"
    fresh = {"Cache-Control": "no-cache"}  # past the whole-result cache, into execution
    await gateway.data(query, headers=fresh)
    parse_hits = parse_cache.cache_info().hits
    validate_hits = validate_cache.cache_info().hits
    await gateway.data(query, headers=fresh)
    await gateway.data(query, headers=fresh)
    assert parse_cache.cache_info().hits == parse_hits + 2
    assert validate_cache.cache_info().hits == validate_hits + 2


async def test_id_lists_are_bounded_before_any_upstream_call(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_page_size=3)
    ids = [f"cld_000000000AAAAAAAAAAAA{i}" for i in range(4)]
    before = await upstream_count(emulator)
    nodes = await gateway.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert nodes["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert nodes["errors"][0]["message"] == "`ids` takes at most 3 ids, got 4."
    callback_ids = [f"clb_000000000AAAAAAAAAAAA{i}" for i in range(4)]
    filtered = await gateway.query(
        "query($c: [ID!]) { callbackDestinations(callbackIds: $c) { nodes { id } } }",
        {"c": callback_ids},
    )
    assert filtered["errors"][0]["message"] == "`callbackIds` takes at most 3 ids, got 4."
    assert await upstream_count(emulator) == before
    assert "errors" not in await gateway.query(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids[:3]}
    )


NESTED = """query Nested($n: Int) {
  callbacks(first: $n) { nodes { ...Receivers } }
}
fragment Receivers on Callback { destinations(first: 5) { nodes { id } } }"""


async def test_upstream_request_bound_at_the_limit_runs_and_past_it_is_refused(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_upstream_requests=100)
    # 1 list of callbacks + 1 list of destinations per callback (through the fragment).
    assert "errors" not in await gateway.query(NESTED, {"n": 99})
    before = await upstream_count(emulator)
    refused = await gateway.query(NESTED, {"n": 100})
    assert refused["data"] is None
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["message"].startswith(
        "This operation could make up to 101 upstream requests; the limit is 100 per HTTP request"
    )
    assert await upstream_count(emulator) == before


async def test_nested_selections_multiply_the_bound_by_the_instances_real_callbacks(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_upstream_requests=300)
    query = """{ callbackDestinations(first: 100) { edges { node { callbacks {
        callbacks { destinations(first: 10) { nodes { id } } } } } } } }"""
    result = await gateway.query(query)
    # The worst case (2,000 callbacks) does not fit, so the instance's list (3 callbacks,
    # one shared walk) is read: 1 list + 1 walk + 100 x (1 selection + 3 x 1 list)
    assert "up to 402 upstream requests" in result["errors"][0]["message"]
    assert "errors" not in await gateway.query(query.replace("first: 100", "first: 10"))


async def test_fragments_spread_at_every_level_are_checked_in_linear_time(
    gateway: Gateway,
) -> None:
    # Each fragment spreads the next one twice: 2^40 paths if expanded naively.
    levels = 40
    fragments = "\n".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = f"query Wide {{ ...F0 }}\n{fragments}\nfragment F{levels} on Query {{ __typename }}"
    assert await gateway.data(query, key=None) == {"__typename": "Query"}


async def test_the_bound_sees_through_interfaces_defaults_and_integral_floats(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_upstream_requests=50)
    through_node = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Callback {
        destinations(first: 10) { nodes { callbacks { callbacks { id } } } } } } }"""
    ids = [f"clb_000000000AAAAAAAAAAAA{i}" for i in range(5)]
    result = await gateway.query(through_node, {"ids": ids})  # 5 + 5 x (1 + 10 x 1) + 1 walk
    assert "up to 61 upstream requests" in result["errors"][0]["message"]
    nested = "{ callbacks(first: $n) { nodes { destinations(first: 1) { nodes { id } } } } }"
    by_default = await gateway.query("query($n: Int = 60) " + nested)
    assert "up to 61 upstream requests" in by_default["errors"][0]["message"]
    by_float = await gateway.query("query($n: Int) " + nested, {"n": 60.0})
    assert "up to 61 upstream requests" in by_float["errors"][0]["message"]


async def test_a_batch_shares_one_budget_of_upstream_requests(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url, max_upstream_requests=30)
    query = "{ callbacks(first: 19) { nodes { destinations(first: 1) { nodes { id } } } } }"
    response = await gateway.client.post(
        "/graphql",
        # (two different documents: a repeated one would be answered from the result cache)
        json=[{"query": query}, {"query": query.replace("first: 19", "first: 18")}],
        headers={"Authorization": "Bearer metorial_sk_test_alpha_one"},
    )
    first, second = response.json()
    assert "errors" not in first
    [error] = second["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "the limit is 30 per HTTP request, batches included (10 left of it)" in error["message"]


async def test_real_lookups_are_counted_too_when_the_estimate_was_low(
    make_gateway: GatewayFactory,
) -> None:
    from tests.conftest import Rest, start_emulator

    emulator = await start_emulator(seed_callbacks=30)
    try:
        rest = Rest(emulator.url)
        ids = [c["id"] for c in await rest.callbacks()]
        picky = await rest.create("picky", callbacks={"type": "selected", "callback_id": ids})
        await rest.client.aclose()
        gateway: Gateway = await make_gateway(emulator.url, max_upstream_requests=25)
        emulator.app.state.clear_request_log()
        # Estimated 1 + 1 + 20 (a walk) = 22; really 1 + 30 lookups of selected callbacks.
        result = await gateway.query(
            "query($id: ID!) { callbackDestination(id: $id) { callbacks { callbacks { id } } } }",
            {"id": picky["id"]},
        )
        codes = {e["extensions"]["code"] for e in result["errors"]}
        assert codes == {"QUERY_TOO_COMPLEX"}
        assert "needed more than 25 upstream requests" in result["errors"][0]["message"]
        assert len(emulator.app.state.request_log) <= 25
    finally:
        await emulator.stop()


async def test_oversized_pages_are_bad_input_not_too_complex(gateway: Gateway) -> None:
    result = await gateway.query(
        "{ callbacks(first: 1000) { nodes { destinations { nodes { id } } } } }"
    )
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`first` must be between 0 and 100" in error["message"]
