"""The example operations (examples/operations/*.graphql) are valid against schema.graphql,
and do what their comments say against a real gateway."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    OperationDefinitionNode,
    build_schema,
    parse,
    validate,
)

from tests.clients.conftest import ROOT
from tests.conftest import ALPHA_KEY, Gateway, Rest
from tests.versions import BOTH_VERSIONS

OPERATIONS = ROOT / "examples" / "operations"
FILES = sorted(OPERATIONS.glob("*.graphql"))
EXPECTED = {
    "Destinations",
    "NextDestinations",
    "PreviousDestinations",
    "Destination",
    "DestinationsForCallbacks",
    "Callbacks",
    "CreateDestination",
    "UpdateDestination",
    "DeleteDestination",
}


def _source() -> str:
    """Every file as one document: fragments are shared across files, as codegen sees them."""
    return "\n".join(path.read_text(encoding="utf-8") for path in FILES)


def _document() -> DocumentNode:
    return parse(_source())


def test_every_document_is_valid_against_the_checked_in_schema() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    assert FILES, "no operations found"
    errors = validate(schema, _document())
    assert errors == [], [str(error) for error in errors]


def test_each_file_parses_on_its_own() -> None:
    for path in FILES:
        parse(path.read_text(encoding="utf-8"))


def test_the_operations_a_frontend_needs_are_there_with_unique_names() -> None:
    definitions = _document().definitions
    names = [d.name.value for d in definitions if isinstance(d, OperationDefinitionNode) and d.name]
    assert len(names) == len(set(names))
    assert set(names) >= EXPECTED
    anonymous = [d for d in definitions if isinstance(d, OperationDefinitionNode) and not d.name]
    assert anonymous == []


async def _post(gateway: Gateway, name: str, variables: dict[str, Any]) -> Any:
    response = await gateway.client.post(
        "/graphql",
        json={"query": _source(), "operationName": name, "variables": variables},
        headers={"Authorization": f"Bearer {ALPHA_KEY}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


@BOTH_VERSIONS
async def test_next_and_previous_page_operations_walk_the_list(
    gateway: Gateway, rest: Rest
) -> None:
    created = [await rest.create(f"hook {i}") for i in range(5)]
    expected = [item["id"] for item in created]

    first = (await _post(gateway, "Destinations", {"first": 2}))["callbackDestinations"]
    second = (
        await _post(
            gateway, "NextDestinations", {"after": first["pageInfo"]["endCursor"], "first": 2}
        )
    )["callbackDestinations"]
    back = (
        await _post(
            gateway,
            "PreviousDestinations",
            {"before": second["pageInfo"]["startCursor"], "last": 2},
        )
    )["callbackDestinations"]

    def ids(page: dict[str, Any]) -> list[str]:
        return [edge["node"]["destinationId"] for edge in page["edges"]]

    assert ids(first) == expected[:2]
    assert ids(second) == expected[2:4]
    assert second["pageInfo"]["hasNextPage"] is True
    assert ids(back) == ids(first)
    assert back["pageInfo"]["hasPreviousPage"] is False


@BOTH_VERSIONS
async def test_mutation_operations_report_user_errors(
    gateway: Gateway, rest: Rest, api_version: str
) -> None:
    bad = await _post(
        gateway,
        "CreateDestination",
        {
            "input": {
                "name": "selected",
                "url": "https://example.com/hook",
                "callbacks": {"type": "SELECTED", "callbackIds": ["clb_doesnotexist"]},
            }
        },
    )
    errors = bad["createCallbackDestination"]["userErrors"]
    assert [e["code"] for e in errors] == ["UNKNOWN_CALLBACK"]
    assert errors[0]["field"] == ["input", "callbacks", "callbackIds"]

    callback = (await rest.callbacks())[0]["id"]
    selected = {"type": "SELECTED", "callbackIds": [callback]}
    good = await _post(
        gateway,
        "CreateDestination",
        {"input": {"name": "one", "url": "https://example.com/hook", "callbacks": selected}},
    )
    node = good["createCallbackDestination"]["callbackDestination"]
    assert node["callbacks"] == {"type": "SELECTED", "callbackIds": [callback]}
    updated = await _post(
        gateway, "UpdateDestination", {"input": {"id": node["id"], "description": "changed"}}
    )
    assert updated["updateCallbackDestination"]["callbackDestination"]["description"] == "changed"
    detail = await _post(gateway, "Destination", {"id": node["destinationId"]})
    if api_version == "2025-01-01":  # the only version that shows signing secrets
        assert detail["callbackDestination"]["webhookDestination"]["signingSecret"]
    deleted = await _post(gateway, "DeleteDestination", {"input": {"id": node["id"]}})
    assert deleted["deleteCallbackDestination"]["deletedCallbackDestinationId"] == node["id"]
    again = await _post(gateway, "DeleteDestination", {"input": {"id": node["id"]}})
    gone = "ALREADY_DELETED" if api_version == "2025-01-01" else "NOT_FOUND"
    assert again["deleteCallbackDestination"]["userErrors"][0]["code"] == gone
    listed = await _post(gateway, "Destinations", {"first": 100})
    assert node["id"] not in [e["node"]["id"] for e in listed["callbackDestinations"]["edges"]]


@BOTH_VERSIONS
async def test_filter_by_callback_operation_keeps_destinations_of_that_callback(
    gateway: Gateway, rest: Rest
) -> None:
    callbacks = await rest.callbacks()
    first, second = callbacks[0]["id"], callbacks[1]["id"]
    mine = await rest.create("first only", callbacks={"type": "selected", "callback_id": [first]})
    await rest.create("second only", callbacks={"type": "selected", "callback_id": [second]})
    everyone = await rest.create("all")
    data = await _post(gateway, "DestinationsForCallbacks", {"callbackIds": [first]})
    names = {node["destinationId"] for node in data["callbackDestinations"]["nodes"]}
    assert names == {mine["id"], everyone["id"]}
