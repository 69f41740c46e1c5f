"""List pagination: what a list request asks for, and the page it gets.

Semantics (``L`` = the visible items in the chosen order):

- neither ``after`` nor ``before``: the first ``limit`` items of ``L``;
  ``has_more_after`` = more remain, ``has_more_before`` = false.
- ``after=c``: the first ``limit`` items of ``L`` strictly after ``c``;
  ``has_more_after`` = more remain after the page, ``has_more_before`` = some item of ``L``
  is at or before ``c`` (true whenever the cursor row itself is listed).
- ``before=c``: the ``limit`` items of ``L`` nearest before ``c``, still in the chosen order;
  mirrored flags.
- ``after`` wins over ``before``; ``cursor`` (``cur_...``) is read only when neither is given.
- A cursor id that names no row of this instance gives an empty page with both flags false.

The store follows ``src/packages/server/pagination/src/paginatedProvider.ts`` over Prisma
cursors; see ``Store._paginate`` for the exact rules around cursor rows the list hides.
``paginator.ts`` resolves the request: ``after`` if non-empty, else ``before``, else ``cursor``
(``cursor.ts``: without the ``cur_`` prefix 400 "Invalid cursor format" with the hint
'Cursor must start with "cur_"'; one that does not decode, same message with the hint "Please
provide a valid cursor from another page."). The limit is ``max(min(limit, 100), 1)``; Prisma's
``take`` (``limit + 2``) only takes integers, so a fractional limit is a 500 (reading).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from gateway.emulator.cursors import CURSOR_PREFIX, CursorError, decode_cursor
from gateway.emulator.errors import bad_request
from gateway.emulator.validation import ListQuery

__all__ = ["NonIntegerTake", "Page", "PageRequest", "page_request"]

T = TypeVar("T")


class NonIntegerTake(TypeError):
    """Prisma rejects a non-integer ``take``: the request ends in a 500."""


@dataclass(frozen=True, kw_only=True)
class PageRequest:
    limit: int = 20
    order: Literal["asc", "desc"] = "asc"
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    items: Sequence[T]
    has_more_before: bool
    has_more_after: bool


def page_request(query: ListQuery) -> PageRequest:
    """Resolve ``after``/``before``/``cursor`` into one direction (400 on a bad cursor)."""
    after, before = query.after, query.before
    if after is not None:
        before = None
    elif before is None and query.cursor is not None:
        if not query.cursor.startswith(CURSOR_PREFIX):
            raise bad_request("Invalid cursor format", hint='Cursor must start with "cur_"')
        try:
            direction, id_ = decode_cursor(query.cursor)
        except CursorError:
            raise bad_request(
                "Invalid cursor format", hint="Please provide a valid cursor from another page."
            ) from None
        if id_:
            if direction == "after":
                after = id_
            else:
                before = id_
    limit = float(max(min(query.limit, 100), 1))
    if not limit.is_integer():
        raise NonIntegerTake(f"take must be an integer, got {limit + 2}")
    return PageRequest(limit=int(limit), order=query.order, after=after, before=before)
