"""Relay connection arguments mapped onto the upstream's cursor pagination.

The upstream pages by item id: `limit`, `after=<id>` or `before=<id>`, `order`, and
answers `has_more_before` / `has_more_after`. Backward pages (`last`, `before`) are
fetched forward in the opposite order and reversed.
"""

from __future__ import annotations

import dataclasses
from typing import Generic, Literal, TypeVar

from gateway.errors import bad_input
from gateway.schema.cursors import ConnectionKey, decode_cursor
from gateway.upstream.records import PageQuery, RecordPage

DEFAULT_PAGE_SIZE = 20
_OPPOSITE: dict[str, Literal["asc", "desc"]] = {"asc": "desc", "desc": "asc"}
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class PageRequest:
    query: PageQuery
    count: int  # edges wanted; 0 still fetches one item to answer pageInfo
    reversed: bool  # fetched in the opposite order (`last`, `before`)
    backward: bool  # `last` or `before`: an empty page looks for items before it


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_previous_page: bool
    has_next_page: bool


def page_request(
    key: ConnectionKey,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    max_page_size: int,
) -> PageRequest:
    """Validate Relay arguments and build the upstream page; BAD_USER_INPUT on misuse."""
    if first is not None and last is not None:
        raise bad_input("Pass either `first` or `last`, not both.")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_page_size:
            raise bad_input(f"`{name}` must be between 0 and {max_page_size}, got {value}.")
    if after is not None and before is not None:
        raise bad_input("Pass either `after` or `before`, not both.")
    if first is not None and before is not None:
        raise bad_input("`before` pages backward: use it with `last`, not `first`.")
    if last is not None and after is not None:
        raise bad_input("`after` pages forward: use it with `first`, not `last`.")
    backward = last is not None or before is not None
    requested = last if last is not None else first
    count = DEFAULT_PAGE_SIZE if requested is None else requested
    order: Literal["asc", "desc"] = "desc" if key.order == "desc" else "asc"
    limit = max(count, 1)
    reverse = False
    if after is not None:
        query = PageQuery(limit, order, after=decode_cursor(key, after, "after"))
    elif before is not None:
        # `before=X` is asked as `after=X` in the opposite order: the upstream skips a row
        # next to a cursor row that is hidden (deleted, filtered out); `after` never does.
        cursor = decode_cursor(key, before, "before")
        query, reverse = PageQuery(limit, _OPPOSITE[order], after=cursor), True
    else:
        if backward:
            order, reverse = _OPPOSITE[order], True
        query = PageQuery(limit, order)
    return PageRequest(query=query, count=count, reversed=reverse, backward=backward)


def to_page(request: PageRequest, found: RecordPage[T]) -> Page[T]:
    """An upstream page as a page in the connection's order."""
    items = found.items
    more_before, more_after = found.has_more_before, found.has_more_after
    if request.reversed:
        items = items[::-1]
        more_before, more_after = more_after, more_before
    if request.count == 0:
        # One item was fetched only to learn whether the page has a neighbour there.
        found_one = bool(items)
        if request.backward:
            return Page([], has_previous_page=found_one, has_next_page=more_after)
        return Page([], has_previous_page=more_before, has_next_page=found_one)
    return Page(items, has_previous_page=more_before, has_next_page=more_after)
