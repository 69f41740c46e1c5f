"""Bad clients (issue 12, findings 1, 7, 9, 10, 11, 12): an in-process gateway over a real
emulator. Each attack is refused or bounded, with a clear error, and nothing leaks."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator

import pytest

from tests.conftest import (
    ALPHA_KEY,
    ALPHA_KEY_2,
    BETA_KEY,
    Gateway,
    GatewayFactory,
    Rest,
    RunningServer,
    start_emulator,
)
from tests.faults import FaultServer, slow

FIELDS = "id callbackId name description url createdAt updatedAt"
ATTACK = (
    "{ "
    + " ".join(
        f"a{i}: callbackDestinations(first: 100) {{ nodes {{ callbacks {{ callbacks {{ {FIELDS} }}"
        " } } }"
        for i in range(4)
    )
    + " }"
)


@pytest.fixture
async def crowded() -> AsyncIterator[RunningServer]:
    """An instance with 2,000 callbacks and 20 destinations of type ALL."""
    emulator = await start_emulator(seed_callbacks=2000)
    rest = Rest(emulator.url)
    for i in range(20):
        await rest.create(f"all-{i}")
    await rest.client.aclose()
    yield emulator
    await emulator.stop()


async def test_the_all_callbacks_fan_out_is_refused_counting_the_real_callbacks(
    crowded: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(crowded.url)
    crowded.app.state.clear_request_log()
    result = await gateway.query(ATTACK)
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # 4 x (100 destinations + 100 x 2,000 callbacks), the instance's real number
    assert "could produce up to 800400 objects; the limit is 50000" in error["message"]
    paths = {r.path for r in crowded.app.state.request_log}
    # Only the shared walk over the callbacks (20 pages of 100) reached the upstream.
    assert paths == {"/callbacks"}
    assert len(crowded.app.state.request_log) == 20


async def test_a_large_answer_is_refused_at_the_byte_bound_while_healthz_answers(
    crowded: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(crowded.url, max_response_bytes=1_000_000)
    # 20 destinations x 2,000 callbacks = 40,020 objects: under the item bound, but the
    # answer (several MB) is over the byte bound.
    query = (
        "{ callbackDestinations(first: 20) { nodes { callbacks { callbacks { "
        + FIELDS
        + " } } } } }"
    )
    crowded.app.state.clear_request_log()
    attack = asyncio.ensure_future(gateway.query(query))
    for _ in range(2000):  # until the attack reaches the upstream
        if crowded.app.state.request_log or attack.done():
            break
        await asyncio.sleep(0.005)
    health = await gateway.client.get("/healthz")
    assert health.status_code == 200
    assert not attack.done()  # /healthz was answered while the attack ran
    result = await attack
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "larger than 1000000 bytes" in error["message"]


async def test_an_operation_past_the_execution_time_is_stopped(
    make_gateway: GatewayFactory,
) -> None:
    async with FaultServer(slow(3.0)) as upstream:
        gateway = await make_gateway(upstream.url, max_execution_seconds=0.5, cache_ttl=0)
        result = await gateway.query("{ callbacks(first: 5) { nodes { id } } }")
        [error] = result["errors"]
        assert error["extensions"] == {"code": "UPSTREAM_TIMEOUT"}
        assert "did not finish within 0.5 seconds" in error["message"]


async def test_junk_operation_names_without_a_key_take_no_metric_label(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(emulator.url)
    for _ in range(320):
        name = "Junk" + secrets.token_hex(6)
        response = await gateway.client.post(
            "/graphql", json={"query": f"query {name} {{ __typename }}", "operationName": name}
        )
        assert response.status_code == 200
    await gateway.data("query RealOperation { callbacks { nodes { id } } }")
    response = await gateway.client.post(
        "/graphql",
        json={"query": "query RealOperation { callbacks { nodes { id } } }"},
        headers={"Authorization": f"Bearer {ALPHA_KEY}"},
    )
    metrics = (await gateway.client.get("/metrics")).text
    assert 'gateway_requests_total{operation="anonymous",outcome="ok"}' in metrics
    assert "Junk" not in metrics
    assert 'operation="other",outcome="ok"} 320.0' in metrics


async def test_persisted_queries_are_not_visible_to_another_credential(gateway: Gateway) -> None:
    query = "query Mine { callbacks(first: 2) { nodes { callbackId } } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": digest}}

    async def send(key: str | None, with_query: bool) -> dict[str, object]:
        body: dict[str, object] = {"extensions": hashed}
        if with_query:
            body["query"] = query
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = await gateway.client.post("/graphql", json=body, headers=headers)
        result: dict[str, object] = response.json()
        return result

    assert "data" in await send(ALPHA_KEY, with_query=True)  # registered by ALPHA_KEY
    assert "data" in await send(ALPHA_KEY, with_query=False)
    for other in (BETA_KEY, ALPHA_KEY_2, None):  # another instance, another key, no key
        missing = await send(other, with_query=False)
        assert missing["errors"] == [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    # A caller without a credential runs the document but registers nothing.
    intro = "{ __typename }"
    intro_hash = hashlib.sha256(intro.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": intro_hash}}
    ran = await gateway.client.post("/graphql", json={"query": intro, "extensions": ext})
    assert ran.json() == {"data": {"__typename": "Query"}}
    again = await gateway.client.post("/graphql", json={"extensions": ext})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "spelling", ["bearer {}", "BEARER {}", "Bearer  {}", "Bearer\t{}", "Token {}", "{}"]
)
async def test_only_the_canonical_bearer_spelling_is_a_credential(
    gateway: Gateway, spelling: str
) -> None:
    response = await gateway.client.post(
        "/graphql",
        json={"query": "{ callbacks { nodes { id } } }"},
        headers={"Authorization": spelling.format(ALPHA_KEY)},
    )
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "send exactly `Bearer <key>`" in error["message"]
    assert ALPHA_KEY not in response.text


async def test_a_subscription_by_post_is_told_what_is_wrong(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/graphql",
        json={"query": "subscription { ticks }"},
        headers={"Authorization": f"Bearer {ALPHA_KEY}"},
    )
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"].startswith("Subscriptions are not served")
    assert "GET" not in error["message"]


async def test_a_huge_int_literal_is_bad_input_not_an_unexpected_error(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    digits = "9" * 100_000
    with caplog.at_level(logging.INFO):
        result = await gateway.query(
            f"{{ callbackDestinations(first: {digits}) {{ nodes {{ id }} }} }}"
        )
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(error["message"]) < 1100  # the literal is not echoed whole
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
