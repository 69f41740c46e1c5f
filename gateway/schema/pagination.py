"""Relay connection arguments mapped onto the upstream's cursor pagination.

The upstream pages by item id: `limit`, `after=<id>` or `before=<id>`, `order`, and
answers `has_more_before` / `has_more_after`. `last` with no `before` (the end of
the list) is fetched in the opposite order and reversed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gateway.errors import bad_input, upstream_malformed
from gateway.schema.cursors import ConnectionKey, decode_cursor

DEFAULT_PAGE_SIZE = 20
_OPPOSITE = {"asc": "desc", "desc": "asc"}


@dataclasses.dataclass(frozen=True)
class PageRequest:
    query: tuple[tuple[str, str], ...]
    count: int  # edges wanted; 0 still fetches one item to answer pageInfo
    reversed: bool  # fetched in the opposite order (`last` with no `before`)
    backward: bool  # `last` or `before`: an empty page looks for items before it


@dataclasses.dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
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
    extra: tuple[tuple[str, str], ...] = (),
) -> PageRequest:
    """Validate Relay arguments and build the upstream query; BAD_USER_INPUT on misuse."""
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
    order = key.order
    query: list[tuple[str, str]] = [("limit", str(max(count, 1)))]
    reverse = False
    if after is not None:
        query.append(("after", decode_cursor(key, after, "after")))
    elif before is not None:
        query.append(("before", decode_cursor(key, before, "before")))
    elif backward:
        order, reverse = _OPPOSITE[order], True
    query.append(("order", order))
    return PageRequest(query=(*query, *extra), count=count, reversed=reverse, backward=backward)


def read_envelope(body: dict[str, Any]) -> Page:
    """An upstream list envelope as it came: items, has_more_before, has_more_after."""
    items = body.get("items")
    pagination = body.get("pagination")
    if not isinstance(items, list) or not isinstance(pagination, dict):
        raise upstream_malformed("list envelope")
    return Page(
        items,
        has_previous_page=bool(pagination.get("has_more_before")),
        has_next_page=bool(pagination.get("has_more_after")),
    )


def to_page(request: PageRequest, body: dict[str, Any]) -> Page:
    """Read an upstream list envelope as a page in the connection's order."""
    envelope = read_envelope(body)
    items = envelope.items
    more_before, more_after = envelope.has_previous_page, envelope.has_next_page
    if request.reversed:
        items = items[::-1]
        more_before, more_after = more_after, more_before
    if request.count == 0:
        # One item was fetched only to learn whether the page has a neighbour there.
        found = bool(items)
        if request.backward:
            return Page([], has_previous_page=found, has_next_page=more_after)
        return Page([], has_previous_page=more_before, has_next_page=found)
    return Page(items, has_previous_page=more_before, has_next_page=more_after)
