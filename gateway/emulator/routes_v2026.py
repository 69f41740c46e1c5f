"""The 2026-02-01 operations, generation MA (``upstream-contract-2026.md`` §5.1-5.3).

``/callback-destinations`` and ``/callbacks`` CRUD; the read-only delivery log per callback,
``/callbacks/{callback_id}/events`` and ``/notifications`` (§5.1, §5.6): the callback is looked
up first (404 ``callback``), then the query is validated; events filter by ``type`` (``id`` and
``source_id`` are accepted and ignored); notifications by ``destination_id`` (the
``callback.destination`` id) and ``status`` (MA names, ``deliveries.MA_STATUS``).
Archived destinations and callbacks are gone (404, never listed by default: the newer service,
``versions.py`` choice 3). Errors raised here use the ``object`` envelope (``app.py`` applies
it). Service checks run in the order of ``versions.py`` choice 7.
"""

from __future__ import annotations

import math

from gateway.emulator.auth import READ_SCOPE, WRITE_SCOPE
from gateway.emulator.context import Context, RouteSpec, now_ms
from gateway.emulator.deliveries import MA_STATUS, CallbackEvent, EventStats
from gateway.emulator.errors import bad_request, not_found, service_error
from gateway.emulator.pagination import Page, page_request
from gateway.emulator.presenters import (
    present_callback_v2026,
    present_destination_v2026,
    present_event_v2026,
    present_list,
    present_notification_v2026,
)
from gateway.emulator.store import (
    UNSET,
    Deployment,
    DestinationInactive,
    DestinationNotFound,
    ProviderTrigger,
    UnknownDestinationIds,
    _Unset,
)
from gateway.emulator.urls import normalize_destination_url
from gateway.emulator.validation_v2026 import (
    CallbackInput,
    validate_callback_body,
    validate_callback_query,
    validate_destination_body,
    validate_destination_query,
    validate_event_query,
    validate_notification_query,
)

__all__ = ["MAX_DESTINATIONS", "ROUTES"]

DESTINATION = "callback.destination"
CALLBACK = "callback"
MAX_DESTINATIONS = 100


# --- destinations ---------------------------------------------------------------------------


async def _list_destinations(ctx: Context) -> dict[str, object]:
    query, created, updated = validate_destination_query(ctx.query_items())
    page = await ctx.call(
        ctx.store.list_destinations,
        ctx.instance_id,
        page_request(query),
        created=created,
        updated=updated,
    )
    return present_list(page, present_destination_v2026)


async def _create_destination(ctx: Context) -> dict[str, object]:
    data = validate_destination_body(await ctx.json_body(), create=True)
    assert data.name is not None
    assert data.url is not None
    url = normalize_destination_url(data.url)
    destination = await ctx.call(
        ctx.store.create_destination,
        ctx.instance_id,
        name=data.name,
        description=data.description,
        url=url,
        callbacks_type="selected",
        metadata=None if isinstance(data.metadata, _Unset) else data.metadata,
    )
    return present_destination_v2026(destination)


async def _get_destination(ctx: Context) -> dict[str, object]:
    destination_id = ctx.path_param("callback_destination_id")
    destination = await ctx.call(ctx.store.get_destination, ctx.instance_id, destination_id)
    if destination is None or not destination.active:
        raise not_found(DESTINATION, destination_id)
    return present_destination_v2026(destination)


async def _update_destination(ctx: Context) -> dict[str, object]:
    data = validate_destination_body(await ctx.json_body(), create=False)
    url = None if data.url is None else normalize_destination_url(data.url)
    destination_id = ctx.path_param("callback_destination_id")
    try:
        destination = await ctx.call(
            ctx.store.update_destination,
            ctx.instance_id,
            destination_id,
            name=data.name,
            description=data.description,
            url=url,
            metadata=data.metadata,
            now_ms=now_ms(),
            touch_when_unchanged=True,
        )
    except (DestinationNotFound, DestinationInactive):
        raise not_found(DESTINATION, destination_id) from None
    return present_destination_v2026(destination)


async def _delete_destination(ctx: Context) -> dict[str, object]:
    destination_id = ctx.path_param("callback_destination_id")
    try:
        destination = await ctx.call(
            ctx.store.deactivate_destination, ctx.instance_id, destination_id, now_ms=now_ms()
        )
    except (DestinationNotFound, DestinationInactive):
        raise not_found(DESTINATION, destination_id) from None
    return present_destination_v2026(destination)


# --- callbacks ------------------------------------------------------------------------------


async def _list_callbacks(ctx: Context) -> dict[str, object]:
    query, where = validate_callback_query(ctx.query_items())
    page = await ctx.call(
        ctx.store.list_callback_details, ctx.instance_id, page_request(query), where
    )
    return present_list(page, present_callback_v2026)


async def _get_callback(ctx: Context) -> dict[str, object]:
    callback_id = ctx.path_param("callback_id")
    detail = await ctx.call(ctx.store.get_callback_detail, ctx.instance_id, callback_id)
    if detail is None:
        raise not_found(CALLBACK, callback_id)
    return present_callback_v2026(detail)


def _checked_service_input(
    data: CallbackInput, deployment: Deployment
) -> tuple[int | None, list[tuple[ProviderTrigger, tuple[str, ...]]] | None]:
    """Poll interval, destination count and triggers, in the service's order."""
    poll = data.poll_interval
    interval: int | None = None
    if isinstance(poll, int | float):
        if not math.isfinite(poll) or not float(poll).is_integer() or poll <= 0:
            raise service_error(
                "invalid_poll_interval", "The poll interval must be a positive integer."
            )
        interval = int(poll)
    if data.destination_ids is not None and len(data.destination_ids) > MAX_DESTINATIONS:
        raise service_error(
            "callback_destination_limit_exceeded",
            f"A callback can have at most {MAX_DESTINATIONS} destinations.",
        )
    triggers: list[tuple[ProviderTrigger, tuple[str, ...]]] | None = None
    if data.triggers is not None:
        triggers = []
        for item in data.triggers:
            trigger = deployment.find_trigger(item.trigger_id)
            if trigger is None:
                raise service_error(
                    "invalid_callback_trigger",
                    f"Trigger not found in provider specification: {item.trigger_id}",
                )
            triggers.append((trigger, item.event_types))
    return interval, triggers


_DESTINATIONS_NOT_FOUND = "One or more callback destinations were not found."


async def _create_callback(ctx: Context) -> dict[str, object]:
    data = validate_callback_body(await ctx.json_body(), create=True)
    assert data.provider_deployment_id is not None
    assert data.name is not None
    deployment = await ctx.call(
        ctx.store.get_deployment, ctx.instance_id, data.provider_deployment_id
    )
    if deployment is None:
        raise not_found("provider.deployment", data.provider_deployment_id)
    interval, triggers = _checked_service_input(data, deployment)
    try:
        detail = await ctx.call(
            ctx.store.create_callback,
            ctx.instance_id,
            deployment=deployment,
            name=data.name,
            description=data.description,
            metadata=None if isinstance(data.metadata, _Unset) else data.metadata,
            poll_interval=interval,
            destination_ids=data.destination_ids or (),
            triggers=triggers or [],
        )
    except UnknownDestinationIds:
        raise bad_request(_DESTINATIONS_NOT_FOUND) from None
    return present_callback_v2026(detail)


async def _update_callback(ctx: Context) -> dict[str, object]:
    data = validate_callback_body(await ctx.json_body(), create=False)
    callback_id = ctx.path_param("callback_id")
    current = await ctx.call(ctx.store.get_callback_detail, ctx.instance_id, callback_id)
    if current is None:
        raise not_found(CALLBACK, callback_id)
    interval, triggers = _checked_service_input(data, current.deployment)
    try:
        detail = await ctx.call(
            ctx.store.update_callback,
            ctx.instance_id,
            callback_id,
            name=data.name,
            description=data.description,
            metadata=data.metadata,
            poll_interval=UNSET if isinstance(data.poll_interval, _Unset) else interval,
            destination_ids=data.destination_ids,
            triggers=triggers,
            now_ms=now_ms(),
        )
    except UnknownDestinationIds:
        raise bad_request(_DESTINATIONS_NOT_FOUND) from None
    except LookupError:
        raise not_found(CALLBACK, callback_id) from None
    return present_callback_v2026(detail)


async def _delete_callback(ctx: Context) -> dict[str, object]:
    callback_id = ctx.path_param("callback_id")
    try:
        detail = await ctx.call(
            ctx.store.archive_callback, ctx.instance_id, callback_id, now_ms=now_ms()
        )
    except LookupError:
        raise not_found(CALLBACK, callback_id) from None
    return present_callback_v2026(detail)


# --- the delivery log -----------------------------------------------------------------------

#: An MA status filter value -> the stored (2025) status.
_STORED_STATUS = {ma: stored for stored, ma in MA_STATUS.items()}


async def _callback_of_path(ctx: Context) -> str:
    """``callbackGroup``: every ``/callbacks/{callback_id}/...`` route loads it first."""
    callback_id = ctx.path_param("callback_id")
    if await ctx.call(ctx.store.get_callback, ctx.instance_id, callback_id) is None:
        raise not_found(CALLBACK, callback_id)
    return callback_id


async def _present_events(ctx: Context, events: Page[CallbackEvent]) -> dict[str, object]:
    stats = await ctx.call(ctx.store.event_stats, [event.id for event in events.items])
    return present_list(
        events, lambda event: present_event_v2026(event, stats.get(event.id, EventStats()))
    )


async def _list_events(ctx: Context) -> dict[str, object]:
    callback_id = await _callback_of_path(ctx)
    query, types = validate_event_query(ctx.query_items())
    page = await ctx.call(
        ctx.store.list_events,
        ctx.instance_id,
        page_request(query),
        callback_ids=[callback_id],
        types=types or None,
    )
    return await _present_events(ctx, page)


async def _get_event(ctx: Context) -> dict[str, object]:
    callback_id = await _callback_of_path(ctx)
    event_id = ctx.path_param("callback_event_id")
    event = await ctx.call(ctx.store.get_event, ctx.instance_id, event_id)
    if event is None or event.callback_id != callback_id:
        raise not_found("callback.event", event_id)
    stats = await ctx.call(ctx.store.event_stats, [event.id])
    return present_event_v2026(event, stats.get(event.id, EventStats()))


async def _list_notifications(ctx: Context) -> dict[str, object]:
    callback_id = await _callback_of_path(ctx)
    query, destination_ids, statuses = validate_notification_query(ctx.query_items())
    page = await ctx.call(
        ctx.store.list_notification_details,
        ctx.instance_id,
        page_request(query),
        callback_ids=[callback_id],
        destination_ids=destination_ids or None,
        statuses=[_STORED_STATUS[status] for status in statuses] or None,
    )
    return present_list(page, present_notification_v2026)


async def _get_notification(ctx: Context) -> dict[str, object]:
    callback_id = await _callback_of_path(ctx)
    notification_id = ctx.path_param("callback_notification_id")
    detail = await ctx.call(ctx.store.get_notification_detail, ctx.instance_id, notification_id)
    if detail is None or detail.notification.callback_id != callback_id:
        raise not_found("callback.notification", notification_id)
    return present_notification_v2026(detail)


_DESTINATION_PATH = "/callback-destinations/{callback_destination_id}"

ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/callback-destinations", _list_destinations, READ_SCOPE),
    RouteSpec("POST", "/callback-destinations", _create_destination, WRITE_SCOPE),
    RouteSpec("GET", _DESTINATION_PATH, _get_destination, READ_SCOPE),
    RouteSpec("PATCH", _DESTINATION_PATH, _update_destination, WRITE_SCOPE),
    RouteSpec("DELETE", _DESTINATION_PATH, _delete_destination, WRITE_SCOPE),
    RouteSpec("GET", "/callbacks", _list_callbacks, READ_SCOPE),
    RouteSpec("POST", "/callbacks", _create_callback, WRITE_SCOPE),
    RouteSpec("GET", "/callbacks/{callback_id}", _get_callback, READ_SCOPE),
    RouteSpec("PATCH", "/callbacks/{callback_id}", _update_callback, WRITE_SCOPE),
    RouteSpec("DELETE", "/callbacks/{callback_id}", _delete_callback, WRITE_SCOPE),
    RouteSpec("GET", "/callbacks/{callback_id}/events", _list_events, READ_SCOPE),
    RouteSpec("GET", "/callbacks/{callback_id}/events/{callback_event_id}", _get_event, READ_SCOPE),
    RouteSpec("GET", "/callbacks/{callback_id}/notifications", _list_notifications, READ_SCOPE),
    RouteSpec(
        "GET",
        "/callbacks/{callback_id}/notifications/{callback_notification_id}",
        _get_notification,
        READ_SCOPE,
    ),
)
