"""Pages of upstream lists for the connection fields, through the version's adapter.

Each page's items prime the request's DataLoaders, so a later lookup by id is free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, TypeVar

from gateway.errors import bad_input
from gateway.schema.context import Context
from gateway.schema.cursors import ConnectionKey
from gateway.schema.ids import expect_id
from gateway.schema.pagination import Page, page_request, to_page
from gateway.upstream.api import CallbacksApi
from gateway.upstream.records import (
    CallbackRecord,
    DeliveryRecord,
    DestinationRecord,
    EventRecord,
    PageQuery,
    RecordPage,
)

R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class PageArgs:
    """The Relay arguments every connection field takes."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None
    order: Literal["asc", "desc"] = "asc"


async def destination_page(
    context: Context, args: PageArgs, callback_ids: Sequence[str] | None
) -> tuple[ConnectionKey, Page[DestinationRecord]]:
    """Destinations; with `callback_ids`, those receiving any of these callbacks."""
    filter_ids: tuple[str, ...] = ()
    if callback_ids is not None:
        if not callback_ids:
            raise bad_input("`callbackIds` must not be empty; omit it to list every destination.")
        check_count(context, "callbackIds", callback_ids)
        filter_ids = tuple(sorted({expect_id(i, "Callback") for i in callback_ids}))
    key = ConnectionKey("destinations", args.order, filter_ids)
    page = await _page(context, key, args, lambda api, q: api.list_destinations(q, filter_ids))
    context.prime_destinations(page.items)
    return key, page


async def callback_page(
    context: Context, args: PageArgs
) -> tuple[ConnectionKey, Page[CallbackRecord]]:
    key = ConnectionKey("callbacks", args.order)
    page = await _page(context, key, args, lambda api, q: api.list_callbacks(q))
    context.prime_callbacks(page.items)
    return key, page


async def destinations_of(
    context: Context, callback: CallbackRecord, args: PageArgs
) -> tuple[ConnectionKey, Page[DestinationRecord]]:
    """The destinations receiving one callback's events."""
    # The same connection as `callbackDestinations(callbackIds: [it])`: cursors carry over.
    key = ConnectionKey("destinations", args.order, (callback.id,))
    page = await _page(context, key, args, lambda api, q: api.destinations_of(callback, q))
    context.prime_destinations(page.items)
    return key, page


async def event_page(
    context: Context, callback: CallbackRecord, args: PageArgs
) -> tuple[ConnectionKey, Page[EventRecord]]:
    key = ConnectionKey("events", args.order, (callback.id,))
    page = await _page(context, key, args, lambda api, q: api.list_events(callback, q))
    context.prime_events(page.items)
    return key, page


async def delivery_page(
    context: Context, destination: DestinationRecord, args: PageArgs, status: str | None
) -> tuple[ConnectionKey, Page[DeliveryRecord]]:
    filters = (destination.id,) if status is None else (destination.id, status)
    key = ConnectionKey("deliveries", args.order, filters)
    page = await _page(
        context, key, args, lambda api, q: api.list_deliveries(destination, q, status)
    )
    context.prime_deliveries(page.items)
    return key, page


def check_count(context: Context, argument: str, values: Sequence[str]) -> None:
    limit = context.settings.max_page_size
    if len(values) > limit:
        raise bad_input(f"`{argument}` takes at most {limit} ids, got {len(values)}.")


async def _page(
    context: Context,
    key: ConnectionKey,
    args: PageArgs,
    fetch: Callable[[CallbacksApi, PageQuery], Awaitable[RecordPage[R]]],
) -> Page[R]:
    """Relay arguments checked, the upstream page fetched, read in the connection's order."""
    request = page_request(
        key,
        first=args.first,
        after=args.after,
        last=args.last,
        before=args.before,
        max_page_size=context.settings.max_page_size,
    )
    return to_page(request, await fetch(await context.api(), request.query))
