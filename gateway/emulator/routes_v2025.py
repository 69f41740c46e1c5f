"""The 2025-01-01 operations (``upstream-contract.md``; ``src/backend/apis/core/src/
controllers/instance/callback*.ts`` at ff3c61cc): ``/callbacks-destinations`` CRUD, read-only
``/callbacks``, ``/callbacks-events`` and ``/callbacks-notifications``. Errors use the
``__typename`` envelope.

Each operation validates (body, then query), looks the resource up (404), and only then checks
the scope (``checkAccess.ts``), as the controllers' middleware order has it.
"""

from __future__ import annotations

from gateway.emulator.auth import READ_SCOPE, WRITE_SCOPE
from gateway.emulator.context import Context, Operation, RouteSpec, now_ms
from gateway.emulator.errors import bad_request, not_found
from gateway.emulator.pagination import page_request
from gateway.emulator.presenters import (
    present_callback,
    present_destination,
    present_event,
    present_list,
    present_notification,
)
from gateway.emulator.store import DestinationInactive, DestinationNotFound, UnknownCallbackIds
from gateway.emulator.validation import validate_create_body, validate_update_body

__all__ = ["ROUTES"]

DESTINATION = "callback.destination"


async def _list_destinations(ctx: Context) -> dict[str, object]:
    query = ctx.list_query("callback_id")
    ctx.authorize(READ_SCOPE)
    page = await ctx.call(
        ctx.store.list_destinations,
        ctx.instance_id,
        page_request(query),
        callback_ids=query.callback_ids or (),
    )
    return present_list(page, present_destination)


async def _create_destination(ctx: Context) -> dict[str, object]:
    data = validate_create_body(ctx.body)
    ctx.authorize(WRITE_SCOPE)
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


async def _find_destination(ctx: Context) -> str:
    """``callbackDestinationGroup``: the destination of the path, of this instance, or 404."""
    destination_id = ctx.params["destination_id"]
    if await ctx.call(ctx.store.get_destination, ctx.instance_id, destination_id) is None:
        raise not_found(DESTINATION, destination_id)
    return destination_id


async def _get_destination(ctx: Context) -> dict[str, object]:
    destination_id = await _find_destination(ctx)
    ctx.authorize(READ_SCOPE)
    destination = await ctx.call(ctx.store.get_destination, ctx.instance_id, destination_id)
    if destination is None:
        raise not_found(DESTINATION, destination_id)
    return present_destination(destination)


async def _update_destination(ctx: Context) -> dict[str, object]:
    data = validate_update_body(ctx.body)
    destination_id = await _find_destination(ctx)
    ctx.authorize(WRITE_SCOPE)
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
    destination_id = await _find_destination(ctx)
    ctx.authorize(WRITE_SCOPE)
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
    query = ctx.list_query()
    ctx.authorize(READ_SCOPE)
    page = await ctx.call(ctx.store.list_callbacks, ctx.instance_id, page_request(query))
    return present_list(page, present_callback)


async def _get_callback(ctx: Context) -> dict[str, object]:
    callback_id = ctx.params["callback_id"]
    callback = await ctx.call(ctx.store.get_callback, ctx.instance_id, callback_id)
    if callback is None:
        raise not_found("callback", callback_id)
    ctx.authorize(READ_SCOPE)
    return present_callback(callback)


async def _list_events(ctx: Context) -> dict[str, object]:
    query = ctx.list_query("callback_id")
    ctx.authorize(READ_SCOPE)
    page = await ctx.call(
        ctx.store.list_events,
        ctx.instance_id,
        page_request(query),
        callback_ids=query.filters["callback_id"],
    )
    return present_list(page, present_event)


async def _get_event(ctx: Context) -> dict[str, object]:
    event_id = ctx.params["event_id"]
    event = await ctx.call(ctx.store.get_event, ctx.instance_id, event_id)
    if event is None:
        raise not_found("callback.event", event_id)
    ctx.authorize(READ_SCOPE)
    return present_event(event)


async def _list_notifications(ctx: Context) -> dict[str, object]:
    query = ctx.list_query("callback_id", "event_id", "destination_id")
    ctx.authorize(READ_SCOPE)
    page = await ctx.call(
        ctx.store.list_notifications,
        ctx.instance_id,
        page_request(query),
        callback_ids=query.filters["callback_id"],
        event_ids=query.filters["event_id"],
        destination_ids=query.filters["destination_id"],
    )
    return present_list(page, present_notification)


async def _get_notification(ctx: Context) -> dict[str, object]:
    notification_id = ctx.params["notification_id"]
    notification = await ctx.call(ctx.store.get_notification, ctx.instance_id, notification_id)
    if notification is None:
        raise not_found("callback.notification", notification_id)
    ctx.authorize(READ_SCOPE)
    return present_notification(notification)


def _spec(method: str, path: str, operation: Operation, scope: str) -> RouteSpec:
    return RouteSpec(method, path, operation, scope, authorized_by_operation=True)


ROUTES: tuple[RouteSpec, ...] = (
    _spec("GET", "/callbacks-destinations", _list_destinations, READ_SCOPE),
    _spec("POST", "/callbacks-destinations", _create_destination, WRITE_SCOPE),
    _spec("GET", "/callbacks-destinations/{destination_id}", _get_destination, READ_SCOPE),
    _spec("PATCH", "/callbacks-destinations/{destination_id}", _update_destination, WRITE_SCOPE),
    _spec("DELETE", "/callbacks-destinations/{destination_id}", _delete_destination, WRITE_SCOPE),
    _spec("GET", "/callbacks", _list_callbacks, READ_SCOPE),
    _spec("GET", "/callbacks/{callback_id}", _get_callback, READ_SCOPE),
    _spec("GET", "/callbacks-events", _list_events, READ_SCOPE),
    _spec("GET", "/callbacks-events/{event_id}", _get_event, READ_SCOPE),
    _spec("GET", "/callbacks-notifications", _list_notifications, READ_SCOPE),
    _spec("GET", "/callbacks-notifications/{notification_id}", _get_notification, READ_SCOPE),
)
