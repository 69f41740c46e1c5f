"""Development-only routes, outside the Metorial API: ``/_emulator/...``.

``POST /_emulator/callbacks/{callback_id}/events`` with a JSON body ``{"type"?: string,
"payload": object}`` creates an event on an active callback of the key's instance (404
``callback`` otherwise) as the platform would when a provider fires, and hands its deliveries
to the worker (``sender.py``): every active destination with a URL that receives the callback
gets a notification, sent in the background. It answers the created event in the request's
API version (2025-01-01 ``callback.event``, or MA's). Authenticated, rate limited and
versioned like every route; it needs the write scope. Served only at the root path (no
``/instances/{id}`` forms). ``type`` defaults to ``emulator.event``; a payload whose JSON
exceeds ``MAX_PAYLOAD_BYTES`` is a 400.
"""

from __future__ import annotations

import json

from gateway.emulator.auth import WRITE_SCOPE
from gateway.emulator.context import Context, RouteSpec, now_ms
from gateway.emulator.deliveries import CallbackEvent, EventStats
from gateway.emulator.errors import invalid_data, not_found
from gateway.emulator.presenters import present_event, present_event_v2026
from gateway.emulator.validation import MISSING, _invalid_type, _object_or_fail, _string_issue

__all__ = ["DEFAULT_EVENT_TYPE", "DEV_ROUTES_V2025", "DEV_ROUTES_V2026", "MAX_PAYLOAD_BYTES"]

DEFAULT_EVENT_TYPE = "emulator.event"
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_TYPE_LENGTH = 200
EVENTS_PATH = "/_emulator/callbacks/{callback_id}/events"


def _validate(body: object) -> tuple[str, dict[str, object]]:
    fields = _object_or_fail({} if body is None else body, entity="body")
    event_type = fields.get("type", MISSING)
    payload = fields.get("payload", MISSING)
    issue = _string_issue(event_type, ["type"], optional=True, nullable=False)
    if issue is None and isinstance(event_type, str) and not 0 < len(event_type) <= MAX_TYPE_LENGTH:
        issue = {
            "code": "invalid_min" if not event_type else "invalid_max",
            "message": f"The event type must be 1 to {MAX_TYPE_LENGTH} characters long",
            "path": ["type"],
        }
    if issue is None and not isinstance(payload, dict):
        issue = _invalid_type("object", payload, ["payload"])
    if issue is None and len(json.dumps(payload).encode()) > MAX_PAYLOAD_BYTES:
        issue = {
            "code": "max_length",
            "message": f"The payload must be at most {MAX_PAYLOAD_BYTES} bytes of JSON",
            "path": ["payload"],
        }
    if issue is not None:
        raise invalid_data([issue], entity="body")
    assert isinstance(payload, dict)
    return (event_type if isinstance(event_type, str) else DEFAULT_EVENT_TYPE), payload


async def _create_event(ctx: Context) -> CallbackEvent:
    event_type, payload = _validate(ctx.body)
    callback_id = ctx.path_param("callback_id")
    if await ctx.call(ctx.store.get_callback, ctx.instance_id, callback_id) is None:
        raise not_found("callback", callback_id)
    ctx.authorize(WRITE_SCOPE)
    event, notifications = await ctx.call(
        ctx.store.create_event,
        ctx.instance_id,
        callback_id,
        event_type=event_type,
        payload=payload,
        now_ms=now_ms(),
    )
    if notifications:
        ctx.wake()
    return event


async def _v2025(ctx: Context) -> dict[str, object]:
    return present_event(await _create_event(ctx))


async def _v2026(ctx: Context) -> dict[str, object]:
    event = await _create_event(ctx)
    stats = await ctx.call(ctx.store.event_stats, [event.id])
    return present_event_v2026(event, stats.get(event.id, EventStats()))


DEV_ROUTES_V2025 = (
    RouteSpec("POST", EVENTS_PATH, _v2025, WRITE_SCOPE, authorized_by_operation=True),
)
DEV_ROUTES_V2026 = (
    RouteSpec("POST", EVENTS_PATH, _v2026, WRITE_SCOPE, authorized_by_operation=True),
)
