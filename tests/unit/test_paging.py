"""Relay arguments to upstream pages, and the local paging of lists held in full (2026-02-01
links), checked against a plain model of the upstream's rules."""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.schema.cursors import ConnectionKey, encode_cursor
from gateway.schema.pagination import page_request, to_page
from gateway.upstream.api import page_locally
from gateway.upstream.records import PageQuery, RecordPage

IDS = [f"id_{n:02d}" for n in range(0, 20, 2)]  # id_00 .. id_18, gaps for absent cursors


def model(page: PageQuery) -> tuple[list[str], bool, bool]:
    """The upstream's rules, written out directly."""
    ordered = sorted(IDS, reverse=page.order == "desc")
    after = (lambda a, b: a > b) if page.order == "asc" else (lambda a, b: a < b)
    if page.after is not None:
        rest = [i for i in ordered if after(i, page.after)]
        return rest[: page.limit], len(rest) < len(ordered), len(rest) > page.limit
    if page.before is not None:
        head = [i for i in ordered if after(page.before, i)]
        return head[-page.limit :], len(head) > page.limit, len(head) < len(ordered)
    return ordered[: page.limit], False, len(ordered) > page.limit


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 3, 10, 25])
@pytest.mark.parametrize("cursor", [None, "id_00", "id_07", "id_10", "id_18", "id_99", "a"])
@pytest.mark.parametrize("direction", ["after", "before"])
def test_local_pages_follow_the_upstreams_rules(
    order: str, limit: int, cursor: str | None, direction: str
) -> None:
    page = PageQuery(limit, order, **({direction: cursor} if cursor else {}))  # type: ignore[arg-type]
    found = page_locally(IDS, lambda i: i, page)
    assert (found.items, found.has_more_before, found.has_more_after) == model(page)


def test_last_without_before_reads_the_end_in_the_opposite_order() -> None:
    request = page_request(
        ConnectionKey("x", "asc"), first=None, after=None, last=3, before=None, max_page_size=100
    )
    assert request.query == PageQuery(3, "desc")
    page = to_page(request, RecordPage(["c", "b", "a"], False, True))
    assert (page.items, page.has_previous_page, page.has_next_page) == (
        ["a", "b", "c"],
        True,
        False,
    )


def test_first_zero_fetches_one_item_to_answer_page_info() -> None:
    key = ConnectionKey("x", "asc")
    request = page_request(
        key, first=0, after=encode_cursor(key, "id_02"), last=None, before=None, max_page_size=100
    )
    assert request.query == PageQuery(1, "asc", after="id_02")
    page = to_page(request, RecordPage(["id_04"], True, True))
    assert (page.items, page.has_previous_page, page.has_next_page) == ([], True, True)


@pytest.mark.parametrize(
    "args",
    [
        {"first": 1, "last": 1},
        {"first": 101},
        {"last": -1},
        {"first": 1, "before": "c"},
        {"last": 1, "after": "c"},
    ],
)
def test_misused_relay_arguments_are_bad_input(args: dict[str, object]) -> None:
    values: dict[str, object] = {"first": None, "after": None, "last": None, "before": None}
    values.update(args)
    with pytest.raises(GatewayError):
        page_request(ConnectionKey("x", "asc"), max_page_size=100, **values)  # type: ignore[arg-type]
