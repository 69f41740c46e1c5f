"""The HTTP surface: refusals before GraphQL runs, GET queries, auth, error shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from graphql import GraphQLError

from gateway.errors import format_error
from tests.conftest import PUBLISHABLE_KEY, Gateway, GatewayFactory, Rest, RunningServer

LIST = "{ callbackDestinations(first: 1) { nodes { id } } }"


async def post_raw(gateway: Gateway, content: bytes, content_type: str) -> httpx.Response:
    return await gateway.client.post(
        "/graphql", content=content, headers={"Content-Type": content_type}
    )


async def test_malformed_json_is_400_with_json_error(gateway: Gateway) -> None:
    response = await post_raw(gateway, b'{"query": ', "application/json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "Malformed JSON body.", "extensions": {"code": "BAD_USER_INPUT"}}]
    }


async def test_unsupported_media_type_is_415(gateway: Gateway) -> None:
    response = await post_raw(gateway, b"query { __typename }", "text/plain")
    assert response.status_code == 415
    assert "application/json" in response.json()["errors"][0]["message"]


async def test_body_over_the_limit_is_413(gateway: Gateway) -> None:
    big = b'{"query": "' + b" " * 5_000_000 + b'{ __typename }"}'
    response = await post_raw(gateway, big, "application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"] == (
        "Request body too large (limit 1000000 bytes)."
    )


async def test_chunked_body_over_the_limit_is_413(gateway: Gateway) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "'
        for _ in range(20):
            yield b" " * 100_000
        yield b'{ __typename }"}'

    response = await gateway.client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "A batch holds 1 to"),
        (b'"just a string"', "must be a JSON object"),
        (b"{}", "No GraphQL query found"),
        (b'{"query": "{ __typename }", "variables": [1]}', "`variables` must be a JSON object"),
        (b'{"query": "{ __typename }", "operationName": 5}', "`operationName` must be a string"),
    ],
)
async def test_malformed_request_shapes_are_400(
    gateway: Gateway, body: bytes, message: str
) -> None:
    response = await post_raw(gateway, body, "application/json")
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


async def test_unknown_operation_name_is_a_graphql_error(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": "B"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {"message": "Unknown operation named 'B'.", "extensions": {"code": "BAD_USER_INPUT"}}
        ]
    }


async def test_syntax_error_is_200_with_bad_user_input(gateway: Gateway) -> None:
    result = await gateway.query("{ callbackDestinations(first: ) }")
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("Syntax Error")
    assert error["locations"] == [{"line": 1, "column": 31}]


async def test_unknown_field_is_200_with_bad_user_input(gateway: Gateway) -> None:
    result = await gateway.query("{ nope }")
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Cannot query field 'nope'" in result["errors"][0]["message"]


async def test_variable_of_wrong_type_is_bad_user_input(gateway: Gateway) -> None:
    result = await gateway.query(
        "query($n: Int) { callbackDestinations(first: $n) { nodes { id } } }", {"n": "ten"}
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Int cannot represent" in result["errors"][0]["message"]


async def test_get_runs_queries(gateway: Gateway) -> None:
    response = await gateway.client.get(
        "/graphql",
        params={
            "query": "query Q($n: Int) { callbackDestinations(first: $n) { nodes { id } } }",
            "variables": '{"n": 1}',
        },
        headers={"Authorization": "Bearer metorial_sk_test_alpha_one"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"callbackDestinations": {"nodes": []}}}


async def test_mutation_over_get_is_405(gateway: Gateway) -> None:
    response = await gateway.client.get(
        "/graphql",
        params={
            "query": 'mutation { deleteCallbackDestination(input: {id: "x"}) { userErrors '
            "{ message } } }"
        },
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "use POST" in response.json()["errors"][0]["message"]


async def test_get_with_malformed_variables_is_400(gateway: Gateway) -> None:
    response = await gateway.client.get("/graphql", params={"query": LIST, "variables": "{"})
    assert response.status_code == 400


async def test_browser_get_serves_graphiql(gateway: Gateway) -> None:
    response = await gateway.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    assert "callbackDestinations(first: 10" in response.text


async def test_a_malformed_batch_item_never_hides_the_writes_before_it(
    gateway: Gateway, rest: Rest
) -> None:
    create = (
        'mutation { createCallbackDestination(input: {name: "kept", url: "https://e.com", '
        "callbacks: {type: ALL}}) { callbackDestination { name } } }"
    )
    response = await gateway.client.post(
        "/graphql",
        json=[{"query": create}, 5, {"query": ""}],
        headers={"Authorization": "Bearer metorial_sk_test_alpha_one"},
    )
    assert response.status_code == 200
    created, not_an_object, empty = response.json()
    assert created == {
        "data": {"createCallbackDestination": {"callbackDestination": {"name": "kept"}}}
    }
    assert "must be a JSON object" in not_an_object["errors"][0]["message"]
    assert "No GraphQL query found" in empty["errors"][0]["message"]
    assert [d["name"] for d in await rest.list_all()] == ["kept"]


async def test_batched_operations_answer_in_order(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ nope }"}],
    )
    assert response.status_code == 200
    first, second = response.json()
    assert first == {"data": {"__typename": "Query"}}
    assert second["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_no_credentials_at_all_is_unauthenticated(gateway: Gateway) -> None:
    result = await gateway.query(LIST, key=None)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_introspection_needs_no_credentials(gateway: Gateway) -> None:
    data = await gateway.data("{ __schema { queryType { name } } }", key=None)
    assert data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_unknown_key_is_unauthenticated(gateway: Gateway) -> None:
    result = await gateway.query(LIST, key="metorial_sk_who_is_this")
    [error] = result["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "metorial_sk_who_is_this" not in str(result)


async def test_publishable_key_is_forbidden(gateway: Gateway) -> None:
    result = await gateway.query(LIST, key=PUBLISHABLE_KEY)
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_server_key_is_used_when_the_caller_sends_none(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gateway = await make_gateway(emulator.url, upstream_api_key="metorial_sk_test_beta")
    data = await gateway.data(LIST, key=None)
    assert data == {"callbackDestinations": {"nodes": []}}
    # ... and never when the caller brings a key of their own.
    result = await gateway.query(LIST, key="metorial_sk_wrong")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_answers_are_never_stored_by_shared_caches(gateway: Gateway) -> None:
    for response in (
        await gateway.client.post("/graphql", json={"query": "{ __typename }"}),
        await gateway.client.get("/graphql", params={"query": "{ __typename }"}),
        await post_raw(gateway, b"{", "application/json"),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_request_id_is_returned_and_generated_when_absent(gateway: Gateway) -> None:
    given = await gateway.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "abc-123"}
    )
    assert given.headers["x-request-id"] == "abc-123"
    generated = await gateway.client.post("/graphql", json={"query": "{ __typename }"})
    assert len(generated.headers["x-request-id"]) == 32


def test_unexpected_exceptions_are_masked() -> None:
    error = GraphQLError("boom", path=["callbackDestinations"], original_error=KeyError("secret"))
    assert format_error(error) == {
        "message": "Internal server error.",
        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        "path": ["callbackDestinations"],
    }


async def test_refusals_are_logged_counted_and_carry_the_request_id(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/graphql", content=b"{", headers={"Content-Type": "application/json", "X-Request-ID": "r1"}
    )
    assert response.status_code == 400
    assert response.headers["x-request-id"] == "r1"
    metrics = (await gateway.client.get("/metrics")).text
    assert 'gateway_requests_total{operation="-",outcome="refused:400"} 1.0' in metrics


def test_operation_labels_are_bounded() -> None:
    from gateway.metrics import MAX_OPERATION_LABELS, Metrics

    metrics = Metrics()
    labels = {metrics.operation_label(f"Op{i}") for i in range(MAX_OPERATION_LABELS + 50)}
    assert len(labels) == MAX_OPERATION_LABELS + 1
    assert "other" in labels
    assert metrics.operation_label("Op0") == "Op0"


async def test_a_malformed_authorization_header_is_unauthenticated(gateway: Gateway) -> None:
    for value in ("Bearer caf\u00e9", "Bearer a\x7fb"):
        response = await gateway.client.post(
            "/graphql",
            json={"query": LIST},
            headers={"Authorization": value.encode("latin-1")},
        )
        assert response.status_code == 200
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "UNAUTHENTICATED"}
        assert "Malformed Authorization header" in error["message"]


async def test_ids_and_cursors_with_a_trailing_newline_are_malformed(gateway: Gateway) -> None:
    by_id = await gateway.query(
        "query($id: ID!) { callbackDestination(id: $id) { id } }",
        {"id": "cld_000000000AAAAAAAAAAAAA\n"},
    )
    assert by_id["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
