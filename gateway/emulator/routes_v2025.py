"""The 2025-01-01 operations (``upstream-contract.md``): ``/callbacks-destinations`` CRUD and
read-only ``/callbacks``. Errors use the ``__typename`` envelope."""

from __future__ import annotations

from gateway.emulator.auth import READ_SCOPE, WRITE_SCOPE
from gateway.emulator.context import Context, RouteSpec, now_ms
from gateway.emulator.errors import bad_request, not_found
from gateway.emulator.pagination import page_request
from gateway.emulator.presenters import present_callback, present_destination, present_list
from gateway.emulator.store import DestinationInactive, DestinationNotFound, UnknownCallbackIds
from gateway.emulator.validation import (
    validate_create_body,
    validate_list_query,
    validate_update_body,
)

__all__ = ["ROUTES"]

DESTINATION = "callback.destination"


async def _list_destinations(ctx: Context) -> dict[str, object]:
    query = validate_list_query(ctx.request.query_params.multi_items(), callback_filter=True)
    page = await ctx.call(
        ctx.store.list_destinations,
        ctx.instance_id,
        page_request(query),
        callback_ids=query.callback_ids,
    )
    return present_list(page, present_destination)


async def _create_destination(ctx: Context) -> dict[str, object]:
    data = validate_create_body(await ctx.json_body())
    try:
        destination = await ctx.call(
            ctx.store.create_destination,
            ctx.instance_id,
            name=data.name,
            description=data.description,
            url=data.url,
            callbacks_type=data.callbacks.type,
            callback_ids=data.callbacks.callback_ids,
        )
    except UnknownCallbackIds:
        raise bad_request("One or more callback IDs are invalid") from None
    return present_destination(destination)


async def _get_destination(ctx: Context) -> dict[str, object]:
    destination_id = ctx.path_param("destination_id")
    destination = await ctx.call(ctx.store.get_destination, ctx.instance_id, destination_id)
    if destination is None:
        raise not_found(DESTINATION, destination_id)
    return present_destination(destination)


async def _update_destination(ctx: Context) -> dict[str, object]:
    data = validate_update_body(await ctx.json_body())
    destination_id = ctx.path_param("destination_id")
    try:
        destination = await ctx.call(
            ctx.store.update_destination,
            ctx.instance_id,
            destination_id,
            name=data.name,
            description=data.description,
            now_ms=now_ms(),
        )
    except DestinationNotFound:
        raise not_found(DESTINATION, destination_id) from None
    except DestinationInactive:
        raise bad_request("Cannot update an inactive callback destination") from None
    return present_destination(destination)


async def _delete_destination(ctx: Context) -> dict[str, object]:
    destination_id = ctx.path_param("destination_id")
    try:
        destination = await ctx.call(
            ctx.store.deactivate_destination, ctx.instance_id, destination_id, now_ms=now_ms()
        )
    except DestinationNotFound:
        raise not_found(DESTINATION, destination_id) from None
    except DestinationInactive:
        raise bad_request("Callback destination is already inactive") from None
    return present_destination(destination)


async def _list_callbacks(ctx: Context) -> dict[str, object]:
    query = validate_list_query(ctx.request.query_params.multi_items())
    page = await ctx.call(ctx.store.list_callbacks, ctx.instance_id, page_request(query))
    return present_list(page, present_callback)


async def _get_callback(ctx: Context) -> dict[str, object]:
    callback_id = ctx.path_param("callback_id")
    callback = await ctx.call(ctx.store.get_callback, ctx.instance_id, callback_id)
    if callback is None:
        raise not_found("callback", callback_id)
    return present_callback(callback)


_DESTINATION_PATH = "/callbacks-destinations/{destination_id}"

ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/callbacks-destinations", _list_destinations, READ_SCOPE),
    RouteSpec("POST", "/callbacks-destinations", _create_destination, WRITE_SCOPE),
    RouteSpec("GET", _DESTINATION_PATH, _get_destination, READ_SCOPE),
    RouteSpec("PATCH", _DESTINATION_PATH, _update_destination, WRITE_SCOPE),
    RouteSpec("DELETE", _DESTINATION_PATH, _delete_destination, WRITE_SCOPE),
    RouteSpec("GET", "/callbacks", _list_callbacks, READ_SCOPE),
    RouteSpec("GET", "/callbacks/{callback_id}", _get_callback, READ_SCOPE),
)
