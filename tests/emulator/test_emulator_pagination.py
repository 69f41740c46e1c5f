"""List envelope and pagination, checked by hand and against a plain list model."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.emulator import encode_cursor

VALIDATION_HINT = (
    "Make sure the data you are sending follows the specification outlined in the documentation."
)


def invalid_query(error: dict[str, object]) -> dict[str, object]:
    return {
        "__typename": "error",
        "ok": False,
        "status": 400,
        "code": "invalid_data",
        "message": "The provided data is invalid.",
        "hint": VALIDATION_HINT,
        "errors": [error],
        "entity": "query",
    }


async def page(emu, path="/callbacks-destinations", **params: Any) -> tuple[list[str], bool, bool]:
    response = await emu.client.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["__typename", "items", "pagination"]
    assert body["__typename"] == "list"
    assert set(body["pagination"]) == {"has_more_before", "has_more_after"}
    pagination = body["pagination"]
    return (
        [item["id"] for item in body["items"]],
        pagination["has_more_before"],
        pagination["has_more_after"],
    )


@pytest.fixture
async def five(emu):
    """Five destinations a < b < c < d < e (in creation order)."""
    ids = [(await emu.create(name=name))["id"] for name in "abcde"]
    return emu, dict(zip("abcde", ids, strict=True))


# --- by hand ------------------------------------------------------------------------------


async def test_empty_list_has_no_more_either_way(emu):
    assert await page(emu) == ([], False, False)


async def test_default_limit_is_20(emu):
    ids = [(await emu.create())["id"] for _ in range(21)]
    assert await page(emu) == (ids[:20], False, True)


async def test_limit_100_is_accepted(emu):
    assert await page(emu, limit=100) == ([], False, False)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"limit": 2}, ("ab", False, True)),
        ({"limit": 5}, ("abcde", False, False)),
        ({"limit": 2, "after": "b"}, ("cd", True, True)),
        ({"limit": 2, "after": "c"}, ("de", True, False)),
        ({"limit": 2, "after": "e"}, ("", True, False)),
        ({"limit": 2, "after": "a"}, ("bc", True, True)),
        ({"limit": 2, "before": "d"}, ("bc", True, True)),
        ({"limit": 2, "before": "c"}, ("ab", False, True)),
        ({"limit": 2, "before": "b"}, ("a", False, True)),
        ({"limit": 2, "before": "a"}, ("", False, True)),
        ({"limit": 9, "before": "e"}, ("abcd", False, True)),
        ({"limit": 2, "order": "desc"}, ("ed", False, True)),
        ({"limit": 2, "order": "desc", "after": "d"}, ("cb", True, True)),
        ({"limit": 2, "order": "desc", "after": "c"}, ("ba", True, False)),
        ({"limit": 2, "order": "desc", "before": "b"}, ("dc", True, True)),
        ({"limit": 2, "order": "desc", "before": "d"}, ("e", False, True)),
        ({"limit": 2, "after": "b", "before": "e"}, ("cd", True, True)),
    ],
    ids=repr,
)
async def test_after_before_and_order_give_the_expected_window(five, params, expected):
    emu, ids = five
    query = {key: ids.get(value, value) for key, value in params.items()}
    letters, has_before, has_after = expected
    assert await page(emu, **query) == ([ids[x] for x in letters], has_before, has_after)


async def test_deleted_cursor_still_marks_its_position(five):
    emu, ids = five
    await emu.delete(ids["c"])
    # paginatedProvider.ts: has_more_before (after) / has_more_after (before) only when the
    # cursor row itself is listed.
    assert await page(emu, after=ids["c"], limit=1) == ([ids["d"]], False, True)
    assert await page(emu, before=ids["c"], limit=1) == ([ids["b"]], True, False)
    await emu.delete(ids["a"])
    await emu.delete(ids["b"])
    # Nothing listed is at or before the cursor any more.
    assert await page(emu, after=ids["c"], limit=5) == ([ids["d"], ids["e"]], False, False)


async def test_unknown_cursor_gives_an_empty_page(five):
    emu, _ = five
    for params in ({"after": "cld_unknown"}, {"before": "cld_unknown"}):
        assert await page(emu, **params) == ([], False, False)


async def test_empty_after_and_before_are_ignored(five):
    emu, ids = five
    assert await page(emu, after="", before="", limit=2) == ([ids["a"], ids["b"]], False, True)


async def test_unknown_query_parameters_are_ignored(five):
    emu, ids = five
    assert await page(emu, limit=1, colour="blue") == ([ids["a"]], False, True)


# --- callback_id filter -------------------------------------------------------------------


@pytest.fixture
async def by_callback(emu):
    one, two, three = await emu.callback_ids()
    made = {
        "all": await emu.create(callbacks={"type": "all"}),
        "one": await emu.create(callbacks={"type": "selected", "callback_id": [one]}),
        "two": await emu.create(callbacks={"type": "selected", "callback_id": [two]}),
        "one_two": await emu.create(callbacks={"type": "selected", "callback_id": [one, two]}),
        "none": await emu.create(callbacks={"type": "selected", "callback_id": []}),
    }
    return emu, {"one": one, "two": two, "three": three}, {k: v["id"] for k, v in made.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["all", "one", "two", "one_two", "none"]),
        ("callback_id={one}", ["all", "one", "one_two"]),
        ("callback_id={three}", ["all"]),
        ("callback_id={one}&callback_id={two}", ["all", "one", "two", "one_two"]),
        ("callback_id[]={two}", ["all", "two", "one_two"]),
        ("callback_id[]={one}&callback_id[]={two}", ["all", "one", "two", "one_two"]),
        ("callback_id[0]={two}&callback_id={one}", ["all", "one", "two", "one_two"]),
        ("callback_id=clb_unknown", ["all"]),
        ("callback_id=clb_unknown&callback_id={two}", ["all", "two", "one_two"]),
        ("callback_id=", ["all", "one", "two", "one_two", "none"]),
    ],
)
async def test_callback_id_filter_keeps_all_and_matching_selections(by_callback, query, expected):
    emu, callbacks, destinations = by_callback
    response = await emu.client.get("/callbacks-destinations?" + query.format(**callbacks))
    assert [item["id"] for item in response.json()["items"]] == [
        destinations[name] for name in expected
    ]


async def test_callback_id_filter_combines_with_pagination(by_callback):
    emu, callbacks, d = by_callback
    filtered = {"callback_id": callbacks["one"], "limit": 1}
    assert await page(emu, **filtered) == ([d["all"]], False, True)
    assert await page(emu, **filtered, after=d["all"]) == ([d["one"]], True, True)
    # A cursor row that the filter hides still marks the position.
    assert await page(emu, **filtered, after=d["two"]) == ([d["one_two"]], False, False)
    assert await page(emu, **filtered, order="desc", before=d["two"]) == (
        [d["one_two"]],
        False,
        False,
    )


# --- query validation ---------------------------------------------------------------------


def _limit_error(code: str, bound: int, received: str) -> dict[str, object]:
    kind = "min" if code == "invalid_min" else "max"
    return {
        "code": code,
        "message": f"Invalid {kind}, expected {bound}",
        "expected": bound,
        "received": received,
        kind: bound,
        "path": ["limit"],
    }


def _type_error(path: str, expected: str, received: str) -> dict[str, object]:
    return {
        "code": "invalid_type",
        "message": f"Invalid input, expected {expected}, received {received}",
        "expected": expected,
        "received": received,
        "path": [path],
    }


def _enum_error(received: object, shown: str) -> dict[str, object]:
    return {
        "code": "invalid_enum",
        "message": f"Invalid input, expected one of asc, desc, received {shown}",
        "expected": ["asc", "desc"],
        "received": received,
        "path": ["order"],
    }


@pytest.mark.parametrize("path", ["/callbacks-destinations", "/callbacks"])
@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("limit=0", _limit_error("invalid_min", 1, "0")),
        ("limit=-3", _limit_error("invalid_min", 1, "-3")),
        ("limit=101", _limit_error("invalid_max", 100, "101")),
        ("limit=1e3", _limit_error("invalid_max", 100, "1e3")),
        ("limit=abc", _type_error("limit", "number", "string")),
        ("limit=", _type_error("limit", "number", "string")),
        ("limit=1&limit=2", _type_error("limit", "number", "object")),
        ("order=up", _enum_error("up", "up")),
        ("order=ASC", _enum_error("ASC", "ASC")),
        ("order=", _enum_error("", "")),
        ("order=asc&order=desc", _enum_error(["asc", "desc"], "asc,desc")),
        ("after=a&after=b", _type_error("after", "string", "object")),
        ("before=a&before=b", _type_error("before", "string", "object")),
        ("cursor=a&cursor=b", _type_error("cursor", "string", "object")),
        ("limit=0&order=up", _limit_error("invalid_min", 1, "0")),
    ],
)
async def test_invalid_query_reports_the_exact_error(emu, path, query, error):
    response = await emu.client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json() == invalid_query(error)


async def test_numeric_limit_forms_are_accepted(five):
    emu, ids = five
    for limit in ("2", "2.0", "+2", "2e0"):
        assert (await page(emu, limit=limit))[0] == [ids["a"], ids["b"]]


async def test_query_validation_runs_before_the_cursor_is_decoded(emu):
    response = await emu.client.get("/callbacks-destinations?cursor=junk&limit=0")
    assert response.json()["code"] == "invalid_data"


# --- against a model ----------------------------------------------------------------------


def model_page(
    visible: list[str],
    known: set[str],
    *,
    order: str,
    limit: int,
    after: str | None = None,
    before: str | None = None,
) -> tuple[list[str], bool, bool]:
    """``paginatedProvider.ts`` over Prisma, step by step (src/packages/server/pagination/src/).

    Prisma takes ``limit + 2`` rows from the cursor (backwards for ``before``), the cursor row
    included only when the list's filter keeps it; ``known`` is every id in the table.
    """
    items = sorted(visible, reverse=order == "desc")

    def precedes(a: str, b: str) -> bool:  # a comes before b in the listing order
        return a < b if order == "asc" else a > b

    cursor = after if after is not None else before
    if cursor is not None and cursor not in known:
        return [], False, False
    take = limit + 2
    if after is not None:
        fetched = [x for x in items if x == after or precedes(after, x)][:take]
    elif before is not None:
        fetched = [x for x in items if x == before or precedes(x, before)][-take:]
    else:
        fetched = items[:take]
    cursor_item = cursor is not None and cursor in fetched
    without = [x for x in fetched if x != cursor]
    selected = without[:limit]
    if before is not None and len(without) > limit:
        selected = without[1 : limit + 1]
    if before is not None:
        return selected, len(without) > len(selected), cursor_item
    return selected, cursor_item, len(without) > len(selected)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=0, max_value=14))
    selections = draw(
        st.lists(st.one_of(st.none(), st.sets(st.integers(0, 2))), min_size=count, max_size=count)
    )
    deleted = draw(st.sets(st.integers(0, max(count - 1, 0)))) if count else set()
    return {
        "selections": selections,  # None = all; a set = selected seeded callbacks
        "deleted": deleted,
        "order": draw(st.sampled_from(["asc", "desc"])),
        "limit": draw(st.integers(1, 6)),
        "filter": draw(st.one_of(st.none(), st.sets(st.integers(0, 3), min_size=1))),
        "use_cursor_param": draw(st.booleans()),
        "probes": draw(
            st.lists(
                st.tuples(st.sampled_from(["after", "before"]), st.integers(-1, 15)), max_size=4
            )
        ),
    }


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=scenarios())
async def test_pages_match_the_list_model_walking_both_ways(open_emulator, scenario):
    async with open_emulator() as emu:
        callbacks = await emu.callback_ids()
        ids = []
        for selection in scenario["selections"]:
            if selection is None:
                spec: dict[str, Any] = {"type": "all"}
            else:
                spec = {"type": "selected", "callback_id": [callbacks[i] for i in selection]}
            ids.append((await emu.create(callbacks=spec))["id"])
        for index in scenario["deleted"]:
            await emu.delete(ids[index])

        wanted = scenario["filter"]
        params: dict[str, Any] = {"order": scenario["order"], "limit": scenario["limit"]}
        if wanted is not None:
            params["callback_id"] = [
                callbacks[i] if i < 3 else "clb_unknown" for i in sorted(wanted)
            ]
        visible = [
            id_
            for index, (id_, selection) in enumerate(zip(ids, scenario["selections"], strict=True))
            if index not in scenario["deleted"]
            and (wanted is None or selection is None or bool(selection & wanted))
        ]
        known = set(ids)
        model = {"order": scenario["order"], "limit": scenario["limit"]}

        def cursor_params(direction: str, id_: str) -> dict[str, str]:
            if scenario["use_cursor_param"]:
                return {"cursor": encode_cursor(direction, id_)}  # type: ignore[arg-type]
            return {direction: id_}

        # Forward: from the first page, follow `after` until has_more_after is false.
        seen: list[str] = []
        got = await page(emu, **params)
        assert got == model_page(visible, known, **model)
        seen += got[0]
        while got[2]:
            cursor = got[0][-1]
            got = await page(emu, **params, **cursor_params("after", cursor))
            assert got == model_page(visible, known, **model, after=cursor)
            seen += got[0]
        assert seen == sorted(visible, reverse=scenario["order"] == "desc")

        # Backward: from the last item, follow `before` until has_more_before is false.
        if seen:
            start = seen[-1]
            got = await page(emu, **params, **cursor_params("before", start))
            assert got == model_page(visible, known, **model, before=start)
            back = got[0]
            while got[1]:
                cursor = got[0][0]
                got = await page(emu, **params, **cursor_params("before", cursor))
                assert got == model_page(visible, known, **model, before=cursor)
                back = got[0] + back
            assert back == seen[:-1]

        # Probes: any cursor, including deleted, filtered-out and unknown ids.
        for direction, index in scenario["probes"]:
            cursor = ids[index] if 0 <= index < len(ids) else "cld_00000000000000000000zz"
            got = await page(emu, **params, **cursor_params(direction, cursor))
            assert got == model_page(visible, known, **model, **{direction: cursor})


def test_model_agrees_with_the_contract_examples():
    ids = ["a", "b", "c", "d", "e"]
    known = set(ids)
    assert model_page(ids, known, order="asc", limit=2, after="b") == (["c", "d"], True, True)
    assert model_page(ids, known, order="asc", limit=2, before="b") == (["a"], False, True)
    # A hidden cursor row: `before` skips the nearest row once limit + 2 rows precede it.
    rows = ["a", "b", "c", "cc", "e"]
    assert model_page(rows, known, order="asc", limit=2, before="d") == (
        ["b", "c"],
        True,
        False,
    )
    assert model_page(ids, known, order="desc", limit=2) == (["e", "d"], False, True)
    assert model_page(ids, known, order="desc", limit=2, before="b") == (["d", "c"], True, True)
