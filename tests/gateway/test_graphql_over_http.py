"""GraphQL over HTTP: each status and media type the spec asks for, both media types, over
HTTP to a gateway in front of a real emulator (what graphql-http's audits check)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ALPHA_KEY, PUBLISHABLE_KEY, Gateway

SPEC = "application/graphql-response+json"
JSON = "application/json"
AUTH = {"Authorization": f"Bearer {ALPHA_KEY}"}


async def _post(gateway: Gateway, body: Any, accept: str | None, **headers: str) -> httpx.Response:
    sent = {**AUTH, **headers}
    if accept is not None:
        sent["Accept"] = accept
    return await gateway.client.post("/graphql", json=body, headers=sent)


def _media(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


async def test_spec_media_type_is_answered_in_it_with_utf8(gateway: Gateway) -> None:
    response = await _post(gateway, {"query": "{ __typename }"}, SPEC)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{SPEC}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("parse failure", {"query": "{"}),
        ("validation failure", {"query": "{ noSuchField }"}),
        (
            "variable coercion failure",
            {"query": "query Q($id: ID!) { node(id: $id) { id } }", "variables": {"id": [7]}},
        ),
        ("missing variable", {"query": "query Q($id: ID!) { node(id: $id) { id } }"}),
        ("unknown operation", {"query": "query A { __typename }", "operationName": "B"}),
    ],
)
async def test_spec_media_type_request_errors_are_400_without_data(
    gateway: Gateway, name: str, body: dict[str, Any]
) -> None:
    response = await _post(gateway, body, SPEC)
    assert response.status_code == 400, name
    assert _media(response) == SPEC
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"][0]["message"]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("parse failure", {"query": "{"}),
        ("validation failure", {"query": "{ noSuchField }"}),
        (
            "variable coercion failure",
            {"query": "query Q($id: ID!) { node(id: $id) { id } }", "variables": {"id": [7]}},
        ),
        ("unknown operation", {"query": "query A { __typename }", "operationName": "B"}),
    ],
)
@pytest.mark.parametrize("accept", [JSON, None, "*/*"])
async def test_json_media_type_keeps_http_200_for_request_errors(
    gateway: Gateway, name: str, body: dict[str, Any], accept: str | None
) -> None:
    response = await _post(gateway, body, accept)
    assert response.status_code == 200, name
    assert _media(response) == JSON
    assert response.json()["errors"]


async def test_spec_media_type_field_errors_with_data_are_200(gateway: Gateway) -> None:
    response = await _post(
        gateway, {"query": '{ a: callbackDestination(id: "not an id") { id } __typename }'}, SPEC
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] == {"a": None, "__typename": "Query"}
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Authorization": "bearer lower-case"}, 401, "UNAUTHENTICATED"),
    ],
)
async def test_spec_media_type_refused_credentials_are_4xx_without_data(
    gateway: Gateway, headers: dict[str, str], status: int, code: str
) -> None:
    response = await gateway.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={**headers, "Accept": SPEC}
    )
    assert response.status_code == status
    assert _media(response) == SPEC
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == code


async def test_spec_media_type_upstream_refusal_during_execution_is_200_with_data(
    gateway: Gateway,
) -> None:
    """A publishable key is refused by the upstream while a field runs: a field error, which
    nulls the whole (non-null) root: `data: null` is still a response that executed."""
    response = await gateway.client.post(
        "/graphql",
        json={"query": "{ callbacks(first: 1) { nodes { id } } }"},
        headers={"Authorization": f"Bearer {PUBLISHABLE_KEY}", "Accept": SPEC},
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert answer["errors"][0]["path"] == ["callbacks"]


@pytest.mark.parametrize("accept", [SPEC, JSON])
async def test_malformed_json_is_400_in_the_negotiated_media_type(
    gateway: Gateway, accept: str
) -> None:
    response = await gateway.client.post(
        "/graphql",
        content=b'{"query":',
        headers={**AUTH, "Content-Type": "application/json", "Accept": accept},
    )
    assert response.status_code == 400
    assert _media(response) == accept
    assert "data" not in response.json()


@pytest.mark.parametrize("accept", [SPEC, JSON])
async def test_invalid_parameters_are_400(gateway: Gateway, accept: str) -> None:
    for body in ({"qeury": "{ __typename }"}, {"query": "{ __typename }", "variables": [7]}):
        response = await _post(gateway, body, accept)
        assert response.status_code == 400, body
        assert _media(response) == accept


@pytest.mark.parametrize("accept", [SPEC, JSON])
async def test_mutation_over_get_is_405(gateway: Gateway, accept: str) -> None:
    response = await gateway.client.get(
        "/graphql",
        params={
            "query": 'mutation { deleteCallbackDestination(input: {id: "cld_x"}) { __typename } }'
        },
        headers={**AUTH, "Accept": accept},
    )
    assert response.status_code == 405
    assert _media(response) == accept


async def test_get_query_with_spec_media_type(gateway: Gateway) -> None:
    response = await gateway.client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={**AUTH, "Accept": SPEC}
    )
    assert response.status_code == 200
    assert _media(response) == SPEC
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (f"{JSON};q=0.5, {SPEC}", SPEC),
        (f"{SPEC};q=0.5, {JSON}", JSON),
        (f"{SPEC}, {JSON};q=0.9", SPEC),  # Apollo Client's header
        (f"{SPEC}, application/graphql+json, {JSON}, text/event-stream, multipart/mixed", SPEC),
        ("application/*", JSON),
        (f"*/*, {JSON};q=0", SPEC),
    ],
)
async def test_q_values_choose_the_media_type(gateway: Gateway, accept: str, chosen: str) -> None:
    response = await _post(gateway, {"query": "{"}, accept)
    assert _media(response) == chosen
    assert response.status_code == (400 if chosen == SPEC else 200)


@pytest.mark.parametrize(
    "accept", ["text/plain", "application/xml", f"{SPEC};q=0, {JSON};q=0", f"{JSON};charset=latin1"]
)
async def test_an_accept_the_gateway_cannot_satisfy_is_406(gateway: Gateway, accept: str) -> None:
    response = await _post(gateway, {"query": "{ __typename }"}, accept)
    assert response.status_code == 406
    assert response.json()["errors"][0]["message"].startswith("Not acceptable")


async def test_a_batch_in_the_spec_media_type_is_200_with_an_answer_per_operation(
    gateway: Gateway,
) -> None:
    response = await _post(gateway, [{"query": "{ __typename }"}, {"query": "{"}], SPEC)
    assert response.status_code == 200
    assert _media(response) == SPEC
    first, second = response.json()
    assert first == {"data": {"__typename": "Query"}}
    assert "data" not in second
