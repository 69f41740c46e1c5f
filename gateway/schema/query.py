"""Query resolvers: lists as Relay connections, objects by id through DataLoaders."""

from __future__ import annotations

import asyncio

import strawberry

from gateway.schema.ids import NodeType, expect_id, parse_id
from gateway.schema.lists import PageArgs, callback_page, check_count, destination_page
from gateway.schema.types import (
    Callback,
    CallbackConnection,
    CallbackDelivery,
    CallbackDestination,
    CallbackDestinationConnection,
    CallbackEvent,
    Info,
    Node,
    SortOrder,
    UpstreamApi,
    to_order,
)


async def load_node(info: Info, node_type: NodeType, upstream_id: str) -> Node | None:
    context = info.context
    if node_type == "CallbackDestination":
        destination = await context.destinations.load(upstream_id)
        return None if destination is None else CallbackDestination.from_record(destination)
    if node_type == "CallbackEvent":
        event = await context.events.load(upstream_id)
        return None if event is None else CallbackEvent.from_record(event)
    if node_type == "CallbackDelivery":
        delivery = await context.deliveries.load(upstream_id)
        return None if delivery is None else CallbackDelivery.from_record(delivery)
    callback = await context.callbacks.load(upstream_id)
    return None if callback is None else Callback.from_record(callback)


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
        check_count(info.context, "ids", ids)
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
        args = PageArgs(first, after, last, before, to_order(order))
        key, page = await destination_page(info.context, args, callback_ids)
        return CallbackDestinationConnection.from_page(key, page)

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
        args = PageArgs(first, after, last, before, to_order(order))
        key, page = await callback_page(info.context, args)
        return CallbackConnection.from_page(key, page)

    @strawberry.field(description="The upstream REST API behind this gateway and its version.")
    async def upstream_api(self, info: Info) -> UpstreamApi:
        api = await info.context.api()
        return UpstreamApi(version=api.version)
