"""Relay pagination in both directions, against the REST list as ground truth."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.conftest import Gateway, Rest
from tests.versions import BOTH_VERSIONS

pytestmark = BOTH_VERSIONS

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String, $order: SortOrder,
      $callbackIds: [ID!]) {
  callbackDestinations(first: $first, after: $after, last: $last, before: $before,
                       order: $order, callbackIds: $callbackIds) {
    edges { cursor node { destinationId } }
    nodes { destinationId }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def seed(rest: Rest, count: int) -> list[str]:
    callback_ids = [c["id"] for c in await rest.callbacks()]
    rng = random.Random(count)
    for index in range(count):
        if rng.random() < 0.3:
            callbacks: dict[str, Any] = {"type": "all"}
        else:
            chosen = rng.sample(callback_ids, rng.randint(0, 2))
            callbacks = {"type": "selected", "callback_id": chosen}
        await rest.create(f"d{index}", callbacks=callbacks)
    return callback_ids


async def page(
    gateway: Gateway, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    data = await gateway.data(PAGE, variables, headers=headers)
    connection: dict[str, Any] = data["callbackDestinations"]
    ids = [edge["node"]["destinationId"] for edge in connection["edges"]]
    assert [n["destinationId"] for n in connection["nodes"]] == ids
    info = connection["pageInfo"]
    if ids:
        assert info["startCursor"] == connection["edges"][0]["cursor"]
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
    else:
        assert info["startCursor"] is None
        assert info["endCursor"] is None
    return connection


def expected_forward(
    items: list[str], after: int | None, count: int
) -> tuple[list[str], bool, bool]:
    start = 0 if after is None else after + 1
    window = items[start : start + count]
    return window, after is not None, start + count < len(items)


def expected_backward(
    items: list[str], before: int | None, count: int
) -> tuple[list[str], bool, bool]:
    end = len(items) if before is None else before
    start = max(0, end - count)
    return items[start:end], start > 0, before is not None


@pytest.mark.parametrize("seed_value", [1, 2, 3])
async def test_random_walks_match_the_rest_list(
    gateway: Gateway, rest: Rest, seed_value: int
) -> None:
    callback_ids = await seed(rest, 17)
    rng = random.Random(seed_value)
    for order in ("ASC", "DESC"):
        for filter_ids in (None, [callback_ids[0]], callback_ids[1:]):
            params = {"callback_id": filter_ids} if filter_ids else {}
            items = [i["id"] for i in await rest.list_all(order.lower(), **params)]
            variables: dict[str, Any] = {"order": order, "callbackIds": filter_ids}
            cursors: dict[str, str] = {}
            start: int | None = None  # index range of the current page
            end: int | None = None
            for _step in range(14):
                count = rng.choice([0, 1, 2, 3, 5, 8])
                forward = rng.random() < 0.5
                if forward:
                    after = end if end is not None and rng.random() < 0.85 else None
                    cursor = cursors[items[after]] if after is not None else None
                    got = await page(gateway, first=count, after=cursor, **variables)
                    want, has_prev, has_next = expected_forward(items, after, count)
                else:
                    before = start if start is not None and rng.random() < 0.85 else None
                    cursor = cursors[items[before]] if before is not None else None
                    got = await page(gateway, last=count, before=cursor, **variables)
                    want, has_prev, has_next = expected_backward(items, before, count)
                ids = [e["node"]["destinationId"] for e in got["edges"]]
                context = (order, filter_ids, forward, count, start, end)
                assert ids == want, context
                if count == 0:  # an empty page still answers: is there more that way?
                    if forward:
                        has_next = (after + 1 if after is not None else 0) < len(items)
                    else:
                        has_prev = (before if before is not None else len(items)) > 0
                assert got["pageInfo"]["hasPreviousPage"] == has_prev, context
                assert got["pageInfo"]["hasNextPage"] == has_next, context
                cursors.update({e["node"]["destinationId"]: e["cursor"] for e in got["edges"]})
                if ids:
                    start, end = items.index(ids[0]), items.index(ids[-1])
                else:
                    start = end = None


async def test_forward_paging_visits_every_item_once(gateway: Gateway, rest: Rest) -> None:
    await seed(rest, 11)
    expected = [i["id"] for i in await rest.list_all("desc")]
    seen: list[str] = []
    after = None
    while True:
        got = await page(gateway, first=4, after=after, order="DESC")
        seen += [e["node"]["destinationId"] for e in got["edges"]]
        if not got["pageInfo"]["hasNextPage"]:
            break
        after = got["pageInfo"]["endCursor"]
    assert seen == expected


async def test_last_before_returns_previous_page(gateway: Gateway, rest: Rest) -> None:
    await seed(rest, 9)
    items = [i["id"] for i in await rest.list_all()]
    tail = await page(gateway, last=3)
    assert [e["node"]["destinationId"] for e in tail["edges"]] == items[-3:]
    assert tail["pageInfo"]["hasPreviousPage"] is True
    assert tail["pageInfo"]["hasNextPage"] is False
    previous = await page(gateway, last=3, before=tail["pageInfo"]["startCursor"])
    assert [e["node"]["destinationId"] for e in previous["edges"]] == items[-6:-3]
    assert previous["pageInfo"]["hasNextPage"] is True


async def test_first_zero_returns_no_edges_but_says_whether_more_exist(
    gateway: Gateway, rest: Rest
) -> None:
    empty = await page(gateway, first=0)
    assert empty["edges"] == []
    assert empty["pageInfo"]["hasNextPage"] is False
    await rest.create()  # behind the gateway's back: skip its cache
    one = await page(gateway, first=0, headers={"Cache-Control": "no-cache"})
    assert one["edges"] == []
    assert one["pageInfo"]["hasNextPage"] is True


async def test_default_page_is_twenty_items(gateway: Gateway, rest: Rest) -> None:
    await seed(rest, 21)
    got = await page(gateway)
    assert len(got["edges"]) == 20
    assert got["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 1, "last": 1}, "either `first` or `last`"),
        ({"first": -1}, "`first` must be between 0 and 100"),
        ({"first": 101}, "`first` must be between 0 and 100"),
        ({"last": 101}, "`last` must be between 0 and 100"),
        ({"last": -5}, "`last` must be between 0 and 100"),
        ({"after": "nope"}, "Invalid cursor in `after`"),
        ({"last": 2, "before": "bm9wZQ"}, "Invalid cursor in `before`"),
    ],
)
async def test_bad_pagination_arguments_are_bad_user_input(
    gateway: Gateway, variables: dict[str, Any], message: str
) -> None:
    result = await gateway.query(PAGE, variables)
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]
    assert error["path"] == ["callbackDestinations"]


async def test_cursor_from_another_connection_is_refused(gateway: Gateway, rest: Rest) -> None:
    await seed(rest, 3)
    asc = await page(gateway, first=1)
    cursor = asc["pageInfo"]["endCursor"]
    callbacks = await gateway.data("{ callbacks(first: 1) { pageInfo { endCursor } } }")
    callback_cursor = callbacks["callbacks"]["pageInfo"]["endCursor"]
    cases = [
        {"first": 1, "after": cursor, "order": "DESC"},
        {"first": 1, "after": cursor, "callbackIds": [(await rest.callbacks())[0]["id"]]},
        {"first": 1, "after": callback_cursor},
    ]
    for variables in cases:
        result = await gateway.query(PAGE, variables)
        [error] = result["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "belongs to another connection" in error["message"]


async def test_mixing_directions_is_refused(gateway: Gateway, rest: Rest) -> None:
    await seed(rest, 2)
    cursor = (await page(gateway, first=1))["pageInfo"]["endCursor"]
    for variables in (
        {"first": 1, "before": cursor},
        {"last": 1, "after": cursor},
        {"after": cursor, "before": cursor},
    ):
        result = await gateway.query(PAGE, variables)
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_callbacks_connection_pages_backward(gateway: Gateway, rest: Rest) -> None:
    callbacks = [c["id"] for c in await rest.callbacks()]
    query = """query($last: Int, $before: String) { callbacks(last: $last, before: $before) {
        nodes { callbackId } pageInfo { hasPreviousPage hasNextPage startCursor } } }"""
    tail = (await gateway.data(query, {"last": 2}))["callbacks"]
    assert [n["callbackId"] for n in tail["nodes"]] == callbacks[-2:]
    head = await gateway.data(query, {"last": 2, "before": tail["pageInfo"]["startCursor"]})
    assert [n["callbackId"] for n in head["callbacks"]["nodes"]] == callbacks[:1]
    assert head["callbacks"]["pageInfo"]["hasPreviousPage"] is False
    assert head["callbacks"]["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("filtered", [False, True])
async def test_deleting_the_cursor_row_between_pages_loses_and_repeats_nothing(
    gateway: Gateway, rest: Rest, direction: str, filtered: bool
) -> None:
    """Walk pages of 3 while, before every next page, the row the cursor points at is
    deleted; the walk must be exactly the list of rows still there, in order."""
    callback = (await rest.callbacks())[0]["id"]
    for index in range(12):
        picked = [callback] if index % 3 else []  # a third are filtered out
        await rest.create(f"d{index}", callbacks={"type": "selected", "callback_id": picked})
    extra: dict[str, Any] = {"callbackIds": [callback]} if filtered else {}
    params: dict[str, Any] = {"callback_id": [callback]} if filtered else {}
    walked: list[str] = []
    deleted: set[str] = set()
    cursor: str | None = None
    while True:
        if direction == "forward":
            connection = await page(gateway, first=3, after=cursor, **extra)
            ids = [e["node"]["destinationId"] for e in connection["edges"]]
            walked.extend(ids)
            more, cursor = (
                connection["pageInfo"]["hasNextPage"],
                connection["pageInfo"]["endCursor"],
            )
            anchor = ids[-1] if ids else None
        else:
            connection = await page(gateway, last=3, before=cursor, **extra)
            ids = [e["node"]["destinationId"] for e in connection["edges"]]
            walked[:0] = ids
            more = connection["pageInfo"]["hasPreviousPage"]
            cursor, anchor = connection["pageInfo"]["startCursor"], ids[0] if ids else None
        if not more or anchor is None:
            break
        response = await rest.client.delete(f"/callbacks-destinations/{anchor}")
        assert response.status_code == 200, response.text
        deleted.add(anchor)
    # Independently: every row still listed, plus the ones deleted after they were read.
    remaining = [i["id"] for i in await rest.list_all(**params)]
    expected = sorted([*remaining, *deleted])
    assert walked == expected
