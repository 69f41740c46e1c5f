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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from gateway.emulator.cursors import CursorError, decode_cursor
from gateway.emulator.errors import bad_request
from gateway.emulator.validation import ListQuery

__all__ = ["Page", "PageRequest", "page_request"]

T = TypeVar("T")


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
        try:
            direction, id_ = decode_cursor(query.cursor)
        except CursorError:
            raise bad_request("Invalid cursor format") from None
        if id_:
            if direction == "after":
                after = id_
            else:
                before = id_
    return PageRequest(limit=query.limit, order=query.order, after=after, before=before)
