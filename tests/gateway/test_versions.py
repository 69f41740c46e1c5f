"""The two upstream API versions behind one schema: selection, detection, what only one
version can express, and the callback links of 2026-02-01 (real HTTP to the emulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from graphql import build_schema, find_breaking_changes

from tests.conftest import (
    ALPHA_KEY,
    MAGNETAR,
    PULSAR,
    Gateway,
    GatewayFactory,
    Rest,
    RunningServer,
    start_emulator,
)
from tests.faults import FaultTransport, status
from tests.versions import BOTH_VERSIONS

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"2025-01-01": PULSAR, "2026-02-01": MAGNETAR}
VERSION = "{ upstreamApi { version } }"
CREATE = """
mutation($input: CreateCallbackDestinationInput!) {
  createCallbackDestination(input: $input) {
    callbackDestination { destinationId url metadata status callbacks { type callbackIds } }
    userErrors { field message code }
  }
}
"""
UPDATE = """
mutation($input: UpdateCallbackDestinationInput!) {
  updateCallbackDestination(input: $input) {
    callbackDestination { destinationId name url metadata }
    userErrors { field message code }
  }
}
"""


def test_the_schema_has_no_breaking_change_against_the_one_before_versions() -> None:
    before = build_schema((ROOT / "tests/fixtures/schema-before-versions.graphql").read_text())
    now = build_schema((ROOT / "schema.graphql").read_text())
    assert find_breaking_changes(before, now) == []


@BOTH_VERSIONS
async def test_every_upstream_request_carries_the_versions_internal_key(
    emulator: RunningServer, make_gateway: GatewayFactory, api_version: str
) -> None:
    transport = FaultTransport()
    gateway: Gateway = await make_gateway(
        emulator.url, transport=transport, upstream_version=api_version
    )
    created = await gateway.data(CREATE, {"input": {"name": "h", "url": "https://example.com/h"}})
    destination = created["createCallbackDestination"]["callbackDestination"]
    await gateway.data(
        "query($id: ID!) { callbackDestination(id: $id) { name callbacks { callbackIds } } "
        "callbacks { nodes { destinations { nodes { id } } } } "
        "callbackDestinations { nodes { id } } upstreamApi { version } }",
        {"id": destination["destinationId"]},
    )
    assert transport.count() >= 4
    assert {h.get("metorial-version") for h in transport.headers} == {KEYS[api_version]}


@pytest.mark.parametrize(
    ("served", "expected"),
    [
        (("2025-01-01",), "2025-01-01"),  # the last 2025 server
        (("2025-01-01", "2026-02-01"), "2026-02-01"),  # the newest wins
        (("2026-02-01",), "2026-02-01"),  # today's server: no 2025-01-01 at all
    ],
)
async def test_auto_finds_the_newest_version_the_upstream_serves(
    make_gateway: GatewayFactory, served: tuple[str, ...], expected: str
) -> None:
    emulator = await start_emulator(served_versions=served, api_version=served[-1])
    try:
        gateway: Gateway = await make_gateway(emulator.url, upstream_version="auto")
        assert (await gateway.data(VERSION))["upstreamApi"] == {"version": expected}
        rest = Rest(emulator.url) if "2025-01-01" in served else None
        listed = await gateway.data("{ callbacks { nodes { callbackId } } }")
        assert len(listed["callbacks"]["nodes"]) == 3  # and it works: the seeded callbacks
        ready = await gateway.client.get("/readyz")
        assert ready.json()["upstreamVersion"] == expected
        if rest is not None:
            await rest.client.aclose()
    finally:
        await emulator.stop()


async def test_auto_asks_again_when_a_route_disappears(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    transport = FaultTransport()
    gateway: Gateway = await make_gateway(
        emulator.url, transport=transport, upstream_version="auto", cache_ttl=0
    )
    assert (await gateway.data(VERSION))["upstreamApi"]["version"] == "2026-02-01"
    probes = transport.count()
    endpoint = b'{"__typename":"error","status":404,"code":"not_found","entity":"endpoint"}'
    transport.script_for("GET", "/callback-destinations", status(404, endpoint))
    result = await gateway.query("{ callbackDestinations { nodes { id } } }")
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert gateway.app.state.versions.current is None  # forgotten: asked again next time
    await gateway.data("{ callbackDestinations { nodes { id } } }")
    asked_again = [p for _, p in transport.requests[probes:] if p == "/callback-destinations"]
    assert len(asked_again) == 3  # the failed call, the new probe, the call again


@pytest.fixture
async def nothing_served() -> AsyncIterator[RunningServer]:
    """An upstream of another generation: every route this gateway knows is a 404."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"])
    async def missing(path: str) -> JSONResponse:
        body = {"object": "error", "status": 404, "code": "not_found", "entity": "endpoint"}
        return JSONResponse(body, status_code=404)

    server = RunningServer(app)
    await server.start()
    yield server
    await server.stop()


async def test_auto_never_guesses_when_no_version_answers(
    nothing_served: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway: Gateway = await make_gateway(
        nothing_served.url, upstream_version="auto", upstream_api_key=ALPHA_KEY
    )
    [error] = (await gateway.query("{ callbacks { nodes { id } } }"))["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_ERROR"
    assert "tried 2026-02-01, 2025-01-01" in error["message"]
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["upstreamVersion"] is None
    assert "tried 2026-02-01, 2025-01-01" in ready.json()["reason"]


@pytest.mark.parametrize(
    ("version", "mutation", "variables", "field"),
    [
        (
            "2025-01-01",
            CREATE,
            {"input": {"name": "m", "url": "https://e.com", "metadata": {"team": "a"}}},
            ["input", "metadata"],
        ),
        (
            "2026-02-01",
            CREATE,
            {"input": {"name": "m", "url": "https://e.com", "callbacks": {"type": "ALL"}}},
            ["input", "callbacks", "type"],
        ),
        ("2025-01-01", UPDATE, {"input": {"url": "https://e.com/new"}}, ["input", "url"]),
        ("2025-01-01", UPDATE, {"input": {"metadata": {"a": 1}}}, ["input", "metadata"]),
    ],
)
async def test_input_the_version_cannot_express_is_not_supported_and_nothing_is_sent(
    emulator: RunningServer,
    make_gateway: GatewayFactory,
    rest: Rest,
    version: str,
    mutation: str,
    variables: dict[str, Any],
    field: list[str],
) -> None:
    transport = FaultTransport()
    gateway: Gateway = await make_gateway(
        emulator.url, transport=transport, upstream_version=version
    )
    if mutation is UPDATE:
        variables["input"]["id"] = (await rest.create())["id"]
    data = await gateway.data(mutation, variables)
    [payload] = data.values()
    assert payload["callbackDestination"] is None
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == (field, "NOT_SUPPORTED")
    assert version in error["message"]
    assert transport.count("POST") + transport.count("PATCH") == 0


@pytest.fixture
async def gateway_2026(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> tuple[Gateway, FaultTransport]:
    transport = FaultTransport()
    gateway: Gateway = await make_gateway(
        emulator.url, transport=transport, upstream_version="2026-02-01"
    )
    return gateway, transport


async def _destinations_of(rest: Rest, callback_id: str) -> list[str]:
    response = await rest.client.get(
        f"/callbacks/{callback_id}", headers={"metorial-version": MAGNETAR}
    )
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["destinations"]]


async def test_creating_with_selected_callbacks_links_it_from_each_callback(
    gateway_2026: tuple[Gateway, FaultTransport], rest: Rest
) -> None:
    gateway, _ = gateway_2026
    one, two, three = (c["id"] for c in await rest.callbacks())
    old = await rest.create("old", callbacks={"type": "selected", "callback_id": []})
    await rest.client.patch(  # a link that exists already must be kept
        f"/callbacks/{one}",
        json={"destination_ids": [old["id"]]},
        headers={"metorial-version": MAGNETAR},
    )
    before = await _destinations_of(rest, one)
    selected = {"type": "SELECTED", "callbackIds": [one, two]}
    data = await gateway.data(
        CREATE,
        {"input": {"name": "n", "url": "https://example.com/n", "callbacks": selected}},
    )
    payload = data["createCallbackDestination"]
    assert payload["userErrors"] == []
    created = payload["callbackDestination"]
    assert created["callbacks"] == {"type": "SELECTED", "callbackIds": [one, two]}
    assert await _destinations_of(rest, one) == [*before, created["destinationId"]]
    assert await _destinations_of(rest, two) == [created["destinationId"]]
    assert created["destinationId"] not in await _destinations_of(rest, three)


async def test_a_link_that_fails_names_its_callback_and_the_destination_is_returned(
    gateway_2026: tuple[Gateway, FaultTransport], rest: Rest
) -> None:
    gateway, transport = gateway_2026
    one, two, _ = (c["id"] for c in await rest.callbacks())
    transport.script_for("PATCH", f"/callbacks/{two}", status(500))
    selected = {"type": "SELECTED", "callbackIds": [one, two]}
    data = await gateway.data(
        CREATE, {"input": {"name": "n", "url": "https://example.com/n", "callbacks": selected}}
    )
    payload = data["createCallbackDestination"]
    created = payload["callbackDestination"]
    assert created is not None
    [error] = payload["userErrors"]
    assert error["field"] == ["input", "callbacks", "callbackIds"]
    assert two in error["message"]
    assert created["callbacks"]["callbackIds"] == [one]
    assert await _destinations_of(rest, one) == [created["destinationId"]]


async def test_unknown_callbacks_are_found_before_anything_is_created(
    gateway_2026: tuple[Gateway, FaultTransport], rest: Rest
) -> None:
    gateway, transport = gateway_2026
    one = (await rest.callbacks())[0]["id"]
    selected = {"type": "SELECTED", "callbackIds": [one, "clb_000000000AAAAAAAAAAAAA"]}
    data = await gateway.data(
        CREATE, {"input": {"name": "n", "url": "https://example.com/n", "callbacks": selected}}
    )
    [error] = data["createCallbackDestination"]["userErrors"]
    assert error["code"] == "UNKNOWN_CALLBACK"
    assert transport.count("POST") + transport.count("PATCH") == 0
    assert await rest.list_all() == []


async def test_url_and_metadata_are_written_and_read_over_2026(
    gateway_2026: tuple[Gateway, FaultTransport],
) -> None:
    gateway, _ = gateway_2026
    data = await gateway.data(
        CREATE,
        {"input": {"name": "m", "url": "https://example.com", "metadata": {"team": "a"}}},
    )
    created = data["createCallbackDestination"]["callbackDestination"]
    assert created["url"] == "https://example.com/"  # normalized by the upstream
    assert (created["metadata"], created["status"]) == ({"team": "a"}, "ACTIVE")
    changed = await gateway.data(
        UPDATE,
        {
            "input": {
                "id": created["destinationId"],
                "url": "https://example.com/v2",
                "metadata": {"team": "b", "tier": 2},
            }
        },
    )
    payload = changed["updateCallbackDestination"]
    assert payload["userErrors"] == []
    assert payload["callbackDestination"]["url"] == "https://example.com/v2"
    assert payload["callbackDestination"]["metadata"] == {"team": "b", "tier": 2}
    bad = await gateway.data(
        UPDATE, {"input": {"id": created["destinationId"], "url": "ftp://example.com"}}
    )
    [error] = bad["updateCallbackDestination"]["userErrors"]
    assert (error["field"], error["code"]) == (["input", "url"], "INVALID")


async def test_both_versions_answer_the_same_operation_alike(
    emulator: RunningServer, make_gateway: GatewayFactory, rest: Rest
) -> None:
    one, two, _ = (c["id"] for c in await rest.callbacks())
    for i in range(5):
        ids = [one] if i % 2 else [one, two]
        await rest.create(f"d{i}", callbacks={"type": "selected", "callback_id": ids})
    query = """query($ids: [ID!]) {
      callbackDestinations(last: 3, order: DESC, callbackIds: $ids) {
        nodes { destinationId name description url type callbacks { type callbackIds } }
        pageInfo { hasNextPage hasPreviousPage }
      }
      callbacks(first: 2) { nodes { callbackId name destinations { nodes { name } } } }
    }"""
    answers = []
    for version in ("2025-01-01", "2026-02-01"):
        gateway: Gateway = await make_gateway(emulator.url, upstream_version=version)
        answers.append(await gateway.data(query, {"ids": [two]}))
    assert answers[0] == answers[1]
    assert len(answers[0]["callbackDestinations"]["nodes"]) == 3


async def test_a_2026_upstream_whose_ids_have_no_known_prefix_works_through_global_ids(
    emulator: RunningServer, make_gateway: GatewayFactory, rest: Rest
) -> None:
    """Ids over 2026-02-01 are opaque: rewrite them on the wire to a prefix-less shape."""
    created = await rest.create("opaque")
    real = created["id"]
    alias = "9f1c2e7a-" + real[4:]

    class Rewriting(FaultTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if alias in request.url.path:
                request.url = request.url.copy_with(path=request.url.path.replace(alias, real))
            response = await super().handle_async_request(request)
            body = (await response.aread()).replace(real.encode(), alias.encode())
            headers = {"content-type": response.headers["content-type"]}
            return httpx.Response(response.status_code, headers=headers, content=body)

    gateway: Gateway = await make_gateway(
        emulator.url, transport=Rewriting(), upstream_version="2026-02-01"
    )
    listed = await gateway.data("{ callbackDestinations { nodes { id destinationId } } }")
    [node] = listed["callbackDestinations"]["nodes"]
    assert node["destinationId"] == alias
    again = await gateway.data(
        "query($id: ID!) { node(id: $id) { ... on CallbackDestination { name } } }",
        {"id": node["id"]},
    )
    assert again["node"] == {"name": "opaque"}
