"""Reading destinations and callbacks through the gateway."""

from __future__ import annotations

import base64

from tests.conftest import ALPHA_KEY_2, BETA_KEY, Gateway, Rest
from tests.versions import BOTH_VERSIONS

pytestmark = BOTH_VERSIONS

DESTINATION_FIELDS = """
  id destinationId type name description createdAt url status metadata updatedAt
  webhookDestination { url signingSecret }
  callbacks { type callbackIds callbacks { id callbackId name type } }
"""


async def test_callback_destination_maps_every_field(
    gateway: Gateway, rest: Rest, api_version: str
) -> None:
    callbacks = await rest.callbacks()
    chosen = [callbacks[0]["id"], callbacks[1]["id"]]
    created = await rest.create(
        "Orders",
        description="order events",
        callbacks={"type": "selected", "callback_id": chosen},
    )
    data = await gateway.data(
        f"query($id: ID!) {{ callbackDestination(id: $id) {{ {DESTINATION_FIELDS} }} }}",
        {"id": created["id"]},
    )
    got = data["callbackDestination"]
    assert got["destinationId"] == created["id"]
    assert got["type"] == "WEBHOOK"
    assert got["name"] == "Orders"
    assert got["description"] == "order events"
    assert got["createdAt"] == created["created_at"]
    assert got["url"] == "https://example.com/hook"
    if api_version == "2025-01-01":
        assert got["webhookDestination"] == {
            "url": "https://example.com/hook",
            "signingSecret": created["webhook_destination"]["signing_secret"],
        }
        assert (got["status"], got["metadata"], got["updatedAt"]) == (None, None, None)
    else:  # no signing secret in this version; it says status and updatedAt
        assert got["webhookDestination"] is None
        assert (got["status"], got["metadata"]) == ("ACTIVE", None)
        assert got["updatedAt"] >= got["createdAt"]
    assert got["callbacks"]["type"] == "SELECTED"
    assert sorted(got["callbacks"]["callbackIds"]) == sorted(chosen)
    assert sorted(c["callbackId"] for c in got["callbacks"]["callbacks"]) == sorted(chosen)


async def test_global_id_is_opaque_and_round_trips_through_node(
    gateway: Gateway, rest: Rest
) -> None:
    created = await rest.create()
    data = await gateway.data(
        "query($id: ID!) { callbackDestination(id: $id) { id } }", {"id": created["id"]}
    )
    global_id = data["callbackDestination"]["id"]
    assert created["id"] not in global_id
    padded = global_id + "=" * (-len(global_id) % 4)
    assert base64.urlsafe_b64decode(padded).decode() == f"CallbackDestination:{created['id']}"
    node = await gateway.data(
        "query($id: ID!) { node(id: $id) { __typename id ... on CallbackDestination { name } } }",
        {"id": global_id},
    )
    assert node["node"] == {"__typename": "CallbackDestination", "id": global_id, "name": "hook"}


async def test_node_resolves_callbacks_by_raw_and_global_id(gateway: Gateway, rest: Rest) -> None:
    callback = (await rest.callbacks())[0]
    raw = await gateway.data(
        "query($id: ID!) { node(id: $id) { id ... on Callback { callbackId type } } }",
        {"id": callback["id"]},
    )
    assert raw["node"]["callbackId"] == callback["id"]
    assert raw["node"]["type"] == callback["type"].upper()
    again = await gateway.data(
        "query($id: ID!) { node(id: $id) { ... on Callback { callbackId } } }",
        {"id": raw["node"]["id"]},
    )
    assert again["node"]["callbackId"] == callback["id"]


async def test_unknown_ids_resolve_to_null(gateway: Gateway) -> None:
    missing = "cld_000000000AAAAAAAAAAAAA"
    data = await gateway.data(
        "query($d: ID!, $c: ID!) { callbackDestination(id: $d) { id } callback(id: $c) { id }"
        " node(id: $d) { id } }",
        {"d": missing, "c": "clb_000000000AAAAAAAAAAAAA"},
    )
    assert data == {"callbackDestination": None, "callback": None, "node": None}


async def test_nodes_keeps_order_and_nulls(gateway: Gateway, rest: Rest) -> None:
    first = await rest.create("first")
    second = await rest.create("second")
    data = await gateway.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on CallbackDestination { name } } }",
        {"ids": [second["id"], "cld_000000000AAAAAAAAAAAAA", first["id"], second["id"]]},
    )
    assert data["nodes"] == [{"name": "second"}, None, {"name": "first"}, {"name": "second"}]


async def test_malformed_ids_are_bad_user_input(gateway: Gateway) -> None:
    for bad in ["", "not-an-id", "cld_", "Zm9vOmJhcg", "cld_has spaces", "x" * 500]:
        result = await gateway.query(
            "query($id: ID!) { callbackDestination(id: $id) { id } }", {"id": bad}
        )
        assert result["data"] == {"callbackDestination": None}
        [error] = result["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", bad
        assert "Malformed id" in error["message"]


async def test_an_id_of_the_wrong_type_is_bad_user_input(gateway: Gateway, rest: Rest) -> None:
    callback = (await rest.callbacks())[0]
    result = await gateway.query(
        "query($id: ID!) { callbackDestination(id: $id) { id } }", {"id": callback["id"]}
    )
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is a Callback id, expected a CallbackDestination id" in error["message"]


async def test_deleted_destination_is_not_listed_and_read_by_id_as_the_version_says(
    gateway: Gateway, rest: Rest, api_version: str
) -> None:
    created = await rest.create("gone")
    await rest.client.delete(f"/callbacks-destinations/{created['id']}")
    data = await gateway.data(
        "query($id: ID!) { callbackDestination(id: $id) { name } "
        "callbackDestinations(first: 100) { nodes { destinationId } } }",
        {"id": created["id"]},
    )
    # 2025-01-01 still returns a deleted destination; 2026-02-01 archives it: 404, null
    expected = {"name": "gone"} if api_version == "2025-01-01" else None
    assert data["callbackDestination"] == expected
    assert data["callbackDestinations"]["nodes"] == []


async def test_selection_all_lists_every_callback(
    gateway: Gateway, rest: Rest, api_version: str
) -> None:
    callbacks = await rest.callbacks()
    created = await rest.create()
    data = await gateway.data(
        "query($id: ID!) { callbackDestination(id: $id) "
        "{ callbacks { type callbackIds callbacks { callbackId } } } }",
        {"id": created["id"]},
    )
    selection = data["callbackDestination"]["callbacks"]
    every = [c["id"] for c in callbacks]
    if api_version == "2025-01-01":
        assert (selection["type"], selection["callbackIds"]) == ("ALL", [])
    else:  # no ALL in this version: every callback holds it, one by one
        assert (selection["type"], selection["callbackIds"]) == ("SELECTED", every)
    assert [c["callbackId"] for c in selection["callbacks"]] == every


async def test_callback_destinations_lists_destinations_receiving_it(
    gateway: Gateway, rest: Rest
) -> None:
    one, two, _ = (c["id"] for c in await rest.callbacks())
    everything = await rest.create("all")
    selected = await rest.create("one", callbacks={"type": "selected", "callback_id": [one]})
    await rest.create("two", callbacks={"type": "selected", "callback_id": [two]})
    data = await gateway.data(
        "query($id: ID!) { callback(id: $id) { destinations(first: 10) { nodes { name } } } }",
        {"id": one},
    )
    names = [n["name"] for n in data["callback"]["destinations"]["nodes"]]
    assert names == [everything["name"], selected["name"]]


async def test_callback_ids_filter_matches_the_rest_filter(gateway: Gateway, rest: Rest) -> None:
    one, two, three = (c["id"] for c in await rest.callbacks())
    await rest.create("all")
    await rest.create("one", callbacks={"type": "selected", "callback_id": [one]})
    await rest.create("two-three", callbacks={"type": "selected", "callback_id": [two, three]})
    await rest.create("none", callbacks={"type": "selected", "callback_id": []})
    expected = await rest.list_all(callback_id=[one, three])
    data = await gateway.data(
        "query($ids: [ID!]) { callbackDestinations(first: 50, callbackIds: $ids) "
        "{ nodes { destinationId } } }",
        {"ids": [one, three]},
    )
    got = [n["destinationId"] for n in data["callbackDestinations"]["nodes"]]
    assert got == [item["id"] for item in expected]
    assert len(got) == 3


async def test_empty_callback_ids_filter_is_refused(gateway: Gateway) -> None:
    result = await gateway.query("{ callbackDestinations(callbackIds: []) { nodes { id } } }")
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "must not be empty" in result["errors"][0]["message"]


async def test_keys_of_one_instance_share_data_and_other_instances_do_not(
    gateway: Gateway, rest: Rest
) -> None:
    created = await rest.create("shared")
    query = "query($id: ID!) { callbackDestination(id: $id) { name } }"
    same = await gateway.data(query, {"id": created["id"]}, key=ALPHA_KEY_2)
    assert same["callbackDestination"] == {"name": "shared"}
    other = await gateway.data(query, {"id": created["id"]}, key=BETA_KEY)
    assert other["callbackDestination"] is None
    listed = await gateway.data("{ callbackDestinations { nodes { id } } }", key=BETA_KEY)
    assert listed["callbackDestinations"]["nodes"] == []


async def test_callbacks_connection_lists_seeded_callbacks(gateway: Gateway, rest: Rest) -> None:
    callbacks = await rest.callbacks()
    data = await gateway.data(
        "{ callbacks(first: 2, order: DESC) { nodes { callbackId createdAt updatedAt "
        "schedule { intervalSeconds } } pageInfo { hasNextPage hasPreviousPage } } }"
    )
    nodes = data["callbacks"]["nodes"]
    assert [n["callbackId"] for n in nodes] == [c["id"] for c in reversed(callbacks)][:2]
    assert nodes[0]["updatedAt"] == callbacks[-1]["updated_at"]
    assert data["callbacks"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
