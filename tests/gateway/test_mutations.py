"""Create, update and delete: payloads, userErrors with paths into `input`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Gateway, Rest
from tests.versions import BOTH_VERSIONS

pytestmark = BOTH_VERSIONS

CREATE = """
mutation($input: CreateCallbackDestinationInput!) {
  createCallbackDestination(input: $input) {
    callbackDestination { id destinationId name description url
      webhookDestination { url signingSecret } callbacks { type callbackIds } }
    userErrors { field message code }
    clientMutationId
  }
}
"""
UPDATE = """
mutation($input: UpdateCallbackDestinationInput!) {
  updateCallbackDestination(input: $input) {
    callbackDestination { destinationId name description }
    userErrors { field message code }
    clientMutationId
  }
}
"""
DELETE = """
mutation($input: DeleteCallbackDestinationInput!) {
  deleteCallbackDestination(input: $input) {
    callbackDestination { destinationId name }
    deletedCallbackDestinationId
    userErrors { field message code }
    clientMutationId
  }
}
"""


def new_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"name": "Orders", "url": "https://example.com/orders"}
    values.update(overrides)
    return values


async def create(gateway: Gateway, **overrides: Any) -> dict[str, Any]:
    data = await gateway.data(CREATE, {"input": new_input(**overrides)})
    payload: dict[str, Any] = data["createCallbackDestination"]
    return payload


async def test_create_returns_the_destination_and_echoes_client_mutation_id(
    gateway: Gateway, rest: Rest, api_version: str
) -> None:
    payload = await create(gateway, description="all orders", clientMutationId="m-1")
    assert payload["userErrors"] == []
    assert payload["clientMutationId"] == "m-1"
    destination = payload["callbackDestination"]
    assert destination["name"] == "Orders"
    assert destination["description"] == "all orders"
    assert destination["url"] == "https://example.com/orders"
    if api_version == "2025-01-01":
        assert destination["webhookDestination"]["url"] == "https://example.com/orders"
        assert destination["webhookDestination"]["signingSecret"].startswith("clb_sec_")
    else:
        assert destination["webhookDestination"] is None  # no secrets in this version
    # `callbacks` omitted: no callbacks, in either version
    assert destination["callbacks"] == {"type": "SELECTED", "callbackIds": []}
    stored = await rest.client.get(f"/callbacks-destinations/{destination['destinationId']}")
    assert stored.json()["name"] == "Orders"


async def test_create_with_selected_callbacks_accepts_global_and_raw_ids(
    gateway: Gateway, rest: Rest
) -> None:
    raw = [c["id"] for c in await rest.callbacks()]
    global_id = (
        await gateway.data("query($id: ID!) { callback(id: $id) { id } }", {"id": raw[1]})
    )["callback"]["id"]
    payload = await create(
        gateway, callbacks={"type": "SELECTED", "callbackIds": [raw[0], global_id, raw[0]]}
    )
    assert payload["userErrors"] == []
    selection = payload["callbackDestination"]["callbacks"]
    assert selection["type"] == "SELECTED"
    assert sorted(selection["callbackIds"]) == sorted(raw[:2])


async def test_create_without_description_reads_back_empty(gateway: Gateway) -> None:
    payload = await create(gateway)
    assert payload["callbackDestination"]["description"] == ""


async def test_create_with_empty_url_has_no_url_or_is_refused_as_the_version_says(
    gateway: Gateway, api_version: str
) -> None:
    payload = await create(gateway, url="")
    if api_version == "2025-01-01":  # accepted, without a webhook
        assert payload["callbackDestination"]["webhookDestination"] is None
        assert payload["callbackDestination"]["url"] is None
    else:  # URLs are validated
        assert payload["callbackDestination"] is None
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == (["input", "url"], "INVALID")


async def test_create_with_unknown_callback_is_a_user_error(gateway: Gateway) -> None:
    payload = await create(
        gateway, callbacks={"type": "SELECTED", "callbackIds": ["clb_000000000AAAAAAAAAAAAA"]}
    )
    assert payload["callbackDestination"] is None
    assert payload["userErrors"] == [
        {
            "field": ["input", "callbacks", "callbackIds"],
            "message": "One or more callback IDs are invalid",
            "code": "UNKNOWN_CALLBACK",
        }
    ]


async def test_create_selected_without_ids_points_at_callback_ids(gateway: Gateway) -> None:
    payload = await create(gateway, callbacks={"type": "SELECTED"})
    [error] = payload["userErrors"]
    assert error["field"] == ["input", "callbacks", "callbackIds"]
    assert error["code"] == "REQUIRED"


async def test_create_all_with_callback_ids_is_a_user_error(gateway: Gateway, rest: Rest) -> None:
    callback = (await rest.callbacks())[0]["id"]
    payload = await create(gateway, callbacks={"type": "ALL", "callbackIds": [callback]})
    assert payload["userErrors"][0]["field"] == ["input", "callbacks", "callbackIds"]
    assert payload["userErrors"][0]["code"] == "INVALID"
    assert await rest.list_all() == []


async def test_create_with_too_long_name_is_a_user_error(gateway: Gateway, rest: Rest) -> None:
    payload = await create(gateway, name="n" * 100_001)
    [error] = payload["userErrors"]
    assert error["field"] == ["input", "name"]
    assert error["code"] == "TOO_LONG"
    assert await rest.list_all() == []


async def test_missing_required_input_field_is_a_graphql_validation_error(
    gateway: Gateway,
) -> None:
    result = await gateway.query(CREATE, {"input": {"name": "x", "callbacks": {"type": "ALL"}}})
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "url" in error["message"]


async def test_update_renames_and_explicit_null_clears_description(
    gateway: Gateway, rest: Rest
) -> None:
    created = await rest.create("old", description="keep me")
    renamed = await gateway.data(
        UPDATE, {"input": {"id": created["id"], "name": "new", "clientMutationId": "u1"}}
    )
    payload = renamed["updateCallbackDestination"]
    assert payload["userErrors"] == []
    assert payload["clientMutationId"] == "u1"
    assert payload["callbackDestination"]["name"] == "new"
    assert payload["callbackDestination"]["description"] == "keep me"
    cleared = await gateway.data(UPDATE, {"input": {"id": created["id"], "description": None}})
    assert cleared["updateCallbackDestination"]["callbackDestination"] == {
        "destinationId": created["id"],
        "name": "new",
        "description": "",
    }


async def test_update_with_null_name_is_a_user_error(gateway: Gateway, rest: Rest) -> None:
    created = await rest.create("stays")
    data = await gateway.data(UPDATE, {"input": {"id": created["id"], "name": None}})
    payload = data["updateCallbackDestination"]
    assert payload["callbackDestination"] is None
    assert payload["userErrors"][0]["field"] == ["input", "name"]
    assert payload["userErrors"][0]["code"] == "INVALID"


async def test_update_of_unknown_destination_is_not_found_user_error(gateway: Gateway) -> None:
    data = await gateway.data(UPDATE, {"input": {"id": "cld_000000000AAAAAAAAAAAAA", "name": "x"}})
    [error] = data["updateCallbackDestination"]["userErrors"]
    assert error["field"] == ["input", "id"]
    assert error["code"] == "NOT_FOUND"


async def test_delete_then_delete_again_and_update_deleted(
    gateway: Gateway, rest: Rest, api_version: str
) -> None:
    created = await rest.create("bye")
    first = (await gateway.data(DELETE, {"input": {"id": created["id"], "clientMutationId": "d"}}))[
        "deleteCallbackDestination"
    ]
    assert first["userErrors"] == []
    assert first["callbackDestination"] == {"destinationId": created["id"], "name": "bye"}
    assert first["deletedCallbackDestinationId"]
    assert first["clientMutationId"] == "d"
    again = (await gateway.data(DELETE, {"input": {"id": created["id"]}}))[
        "deleteCallbackDestination"
    ]
    assert again["deletedCallbackDestinationId"] is None
    update = (await gateway.data(UPDATE, {"input": {"id": created["id"], "name": "x"}}))[
        "updateCallbackDestination"
    ]
    if api_version == "2025-01-01":
        assert again["userErrors"] == [
            {
                "field": ["input", "id"],
                "message": "Callback destination is already inactive",
                "code": "ALREADY_DELETED",
            }
        ]
        assert update["userErrors"][0]["code"] == "DESTINATION_DELETED"
    else:  # an archived destination is gone for this version: 404
        assert again["userErrors"][0]["code"] == "NOT_FOUND"
        assert again["userErrors"][0]["field"] == ["input", "id"]
        assert update["userErrors"][0]["code"] == "NOT_FOUND"
    assert update["userErrors"][0]["field"] == ["input", "id"]


@pytest.mark.parametrize("mutation", [UPDATE, DELETE])
async def test_malformed_id_in_mutation_is_bad_user_input(gateway: Gateway, mutation: str) -> None:
    result = await gateway.query(mutation, {"input": {"id": "garbage"}})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_mutation_without_credentials_is_unauthenticated(gateway: Gateway) -> None:
    result = await gateway.query(CREATE, {"input": new_input()}, key=None)
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
