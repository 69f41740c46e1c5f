"""Query resolvers: lists as Relay connections, objects by id through DataLoaders."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

import strawberry

from gateway.errors import bad_input
from gateway.schema.cursors import ConnectionKey
from gateway.schema.ids import NodeType, expect_id, parse_id
from gateway.schema.pagination import Page, page_request, to_page
from gateway.schema.types import (
    Callback,
    CallbackConnection,
    CallbackDestination,
    CallbackDestinationConnection,
    Info,
    Node,
    SortOrder,
)
from gateway.upstream.client import CALLBACKS_PATH, DESTINATIONS_PATH


@dataclasses.dataclass(frozen=True)
class PageArgs:
    """The Relay arguments every connection field takes."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None
    order: SortOrder | None

    def order_value(self) -> str:
        return (self.order or SortOrder.ASC).value


async def fetch_page(
    info: Info, key: ConnectionKey, path: str, args: PageArgs, extra: tuple[tuple[str, str], ...]
) -> Page:
    """One upstream page for a connection; its items prime the request's DataLoaders."""
    request = page_request(
        key,
        first=args.first,
        after=args.after,
        last=args.last,
        before=args.before,
        max_page_size=info.context.upstream.settings.max_page_size,
        extra=extra,
    )
    page = to_page(request, await info.context.get(path, request.query))
    info.context.prime(path, page.items)
    return page


async def destinations_connection(
    info: Info, args: PageArgs, callback_ids: Sequence[str] | None
) -> CallbackDestinationConnection:
    filter_ids: tuple[str, ...] = ()
    if callback_ids is not None:
        if not callback_ids:
            raise bad_input("`callbackIds` must not be empty; omit it to list every destination.")
        _check_count(info, "callbackIds", callback_ids)
        filter_ids = tuple(sorted({expect_id(i, "Callback") for i in callback_ids}))
    key = ConnectionKey("destinations", args.order_value(), filter_ids)
    extra = tuple(("callback_id", i) for i in filter_ids)
    page = await fetch_page(info, key, DESTINATIONS_PATH, args, extra)
    return CallbackDestinationConnection.from_page(key, page)


async def callbacks_connection(info: Info, args: PageArgs) -> CallbackConnection:
    key = ConnectionKey("callbacks", args.order_value())
    page = await fetch_page(info, key, CALLBACKS_PATH, args, ())
    return CallbackConnection.from_page(key, page)


def _check_count(info: Info, argument: str, values: Sequence[str]) -> None:
    limit = info.context.upstream.settings.max_page_size
    if len(values) > limit:
        raise bad_input(f"`{argument}` takes at most {limit} ids, got {len(values)}.")


async def load_node(info: Info, node_type: NodeType, upstream_id: str) -> Node | None:
    if node_type == "CallbackDestination":
        record = await info.context.destinations.load(upstream_id)
        return None if record is None else CallbackDestination.from_record(record)
    record = await info.context.callbacks.load(upstream_id)
    return None if record is None else Callback.from_record(record)


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id (or raw upstream id).")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await load_node(info, *parse_id(id))

    @strawberry.field(
        description="Objects by id, in order; null where not found. At most 100 ids "
        "(GATEWAY_MAX_PAGE_SIZE): each distinct id is one upstream request."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        _check_count(info, "ids", ids)
        parsed = [parse_id(i) for i in ids]  # all ids are checked before any fetch
        return list(await asyncio.gather(*(load_node(info, *p) for p in parsed)))

    @strawberry.field(description="A destination by id; null when not found.")
    async def callback_destination(
        self, info: Info, id: strawberry.ID
    ) -> CallbackDestination | None:
        record = await info.context.destinations.load(expect_id(id, "CallbackDestination"))
        return None if record is None else CallbackDestination.from_record(record)

    @strawberry.field(
        description="Destinations, oldest first by default. `callbackIds` keeps those that "
        "receive any of these callbacks (including destinations of type ALL)."
    )
    async def callback_destinations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order: SortOrder | None = SortOrder.ASC,
        callback_ids: list[strawberry.ID] | None = None,
    ) -> CallbackDestinationConnection:
        args = PageArgs(first, after, last, before, order)
        return await destinations_connection(info, args, callback_ids)

    @strawberry.field(description="A callback by id; null when not found.")
    async def callback(self, info: Info, id: strawberry.ID) -> Callback | None:
        record = await info.context.callbacks.load(expect_id(id, "Callback"))
        return None if record is None else Callback.from_record(record)

    @strawberry.field(description="Callbacks, oldest first by default.")
    async def callbacks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order: SortOrder | None = SortOrder.ASC,
    ) -> CallbackConnection:
        return await callbacks_connection(info, PageArgs(first, after, last, before, order))
