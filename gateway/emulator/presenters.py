"""JSON shapes of the REST API's objects, exactly as the upstream writes them.

One store, two views (see ``store.py`` for the rows). 2025-01-01: ``present_destination``
(``callbacks`` is ``{"type": "all"}`` for destinations created with ALL, else the linked
callbacks in link order, whichever version linked them; ``webhook_destination`` carries the
signing secret every destination has, null when ``url`` is ``""``; no status, no metadata) and
``present_callback`` (a callback created under 2026-02-01 is ``polling`` with its interval as
``schedule.interval_seconds`` when it has a poll interval, else ``webhook_managed``; ``url``
null). 2026-02-01: ``present_destination_v2026`` (no signing secret, ``method`` always POST) and
``present_callback_v2026``: ``destinations`` are the active destinations linked to it plus the
active ALL destinations (they receive its events), by id; a 2025 callback shows status
``active``, ``metadata`` null, the instance's seeded deployment, ``poll_interval_seconds_override``
= its schedule's interval when it is ``polling`` (else null) and the triggers set under
2026-02-01 (none for seeded ones).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from gateway.emulator.deliveries import (
    MA_STATUS,
    CallbackEvent,
    EventStats,
    Notification,
    NotificationDetail,
    webhook_request_id,
)
from gateway.emulator.pagination import Page
from gateway.emulator.store import Callback, CallbackDetail, Deployment, Destination

__all__ = [
    "iso_ms",
    "present_callback",
    "present_callback_v2026",
    "present_destination",
    "present_destination_v2026",
    "present_event",
    "present_event_v2026",
    "present_list",
    "present_notification",
    "present_notification_v2026",
]

T = TypeVar("T")


def iso_ms(epoch_ms: int) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``: ``2025-10-24T10:00:00.000Z``."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"


def present_destination(destination: Destination) -> dict[str, object]:
    callbacks: dict[str, object] = {"type": destination.callbacks_type}
    if destination.callbacks_type == "selected":
        callbacks["callback_ids"] = list(destination.callback_ids)
    return {
        "object": "callback.destination",
        "id": destination.id,
        "type": "webhook",
        "name": destination.name,
        "description": destination.description or "",
        "webhook_destination": (
            {"url": destination.url, "signing_secret": destination.signing_secret}
            if destination.url
            else None
        ),
        "callbacks": callbacks,
        "created_at": iso_ms(destination.created_ms),
    }


def present_callback(callback: Callback) -> dict[str, object]:
    return {
        "object": "callback",
        "id": callback.id,
        "type": callback.type,
        "name": callback.name,
        "description": callback.description,
        "url": callback.url,
        "schedule": {
            "object": "callback.schedule",
            "interval_seconds": callback.interval_seconds,
            "next_run_at": None if callback.next_run_ms is None else iso_ms(callback.next_run_ms),
        },
        "created_at": iso_ms(callback.created_ms),
        "updated_at": iso_ms(callback.updated_ms),
    }


def present_destination_v2026(destination: Destination) -> dict[str, object]:
    return {
        "object": "callback.destination",
        "id": destination.id,
        "status": destination.status,
        "name": destination.name,
        "description": destination.description,
        "metadata": destination.metadata,
        "url": destination.url,
        "method": "POST",
        "created_at": iso_ms(destination.created_ms),
        "updated_at": iso_ms(destination.updated_ms),
    }


def _deployment_preview(deployment: Deployment) -> dict[str, object]:
    return {
        "object": "provider.deployment#preview",
        "id": deployment.id,
        "is_default": True,
        "name": "Emulator provider deployment",
        "description": "The provider deployment the emulator seeds in every instance.",
        "metadata": None,
        "provider_id": deployment.provider_id,
        "created_at": iso_ms(deployment.created_ms),
        "updated_at": iso_ms(deployment.created_ms),
    }


def present_callback_v2026(detail: CallbackDetail) -> dict[str, object]:
    callback = detail.callback
    return {
        "object": "callback",
        "id": callback.id,
        "status": callback.status,
        "name": callback.name or "",
        "description": callback.description,
        "metadata": callback.metadata,
        "poll_interval_seconds_override": callback.poll_interval_override,
        "provider_deployment": _deployment_preview(detail.deployment),
        "destinations": [present_destination_v2026(item) for item in detail.destinations],
        "provider_triggers": [
            {
                "object": "callback.provider_trigger",
                "id": trigger.id,
                "provider_trigger": {
                    "object": "provider.trigger#preview",
                    "id": trigger.trigger.id,
                    "key": trigger.trigger.key,
                    "name": trigger.trigger.name,
                },
                "event_types": list(trigger.event_types),
                "created_at": iso_ms(trigger.created_ms),
            }
            for trigger in detail.triggers
        ],
        "created_at": iso_ms(callback.created_ms),
        "updated_at": iso_ms(callback.updated_ms),
    }


def present_event(event: CallbackEvent) -> dict[str, object]:
    """``presenters/implementation/callbackEvent.ts``."""
    return {
        "object": "callback.event",
        "id": event.id,
        "status": event.status,
        "type": event.type,
        "payload_incoming": event.payload_incoming,
        "payload_outgoing": event.payload_outgoing,
        "processing_attempts": [
            {
                "object": "callback.event.attempt",
                "id": attempt.id,
                "status": attempt.status,
                "index": attempt.index,
                "error_code": attempt.error_code,
                "error_message": attempt.error_message,
                "created_at": iso_ms(attempt.created_ms),
            }
            for attempt in sorted(event.attempts, key=lambda item: item.index)
        ],
        "created_at": iso_ms(event.created_ms),
    }


def present_notification(notification: Notification) -> dict[str, object]:
    """``presenters/implementation/callbackNotification.ts``.

    ``webhook_request`` is null when the notification has no url; its ``id`` is a shadow id
    (``cnawh...``); ``request_headers`` are the headers the emulator sent (``{}`` for attempts
    it did not send itself); ``response_status`` is -1 and ``response_body`` null when the
    request failed without a response.
    """
    attempts = []
    for attempt in sorted(notification.attempts, key=lambda item: item.index):
        request: dict[str, object] | None = None
        if notification.url:
            request = {
                "object": "callback.notification.attempt.webhook_request",
                "id": webhook_request_id(notification.id, attempt.id),
                "url": notification.url,
                "request_method": "POST",
                "request_body": notification.request_body,
                "request_headers": dict(attempt.request_headers),
                "response_status": attempt.response_status,
                "response_body": attempt.response_body,
                "response_headers": dict(attempt.response_headers),
                "request_error": attempt.request_error,
                "duration": attempt.duration_ms,
                "created_at": iso_ms(attempt.created_ms),
            }
        attempts.append(
            {
                "object": "callback.notification.attempt",
                "id": attempt.id,
                "status": attempt.status,
                "index": attempt.index,
                "webhook_request": request,
                "created_at": iso_ms(attempt.created_ms),
            }
        )
    return {
        "object": "callback.notification",
        "id": notification.id,
        "type": notification.type,
        "status": notification.status,
        "url": notification.url,
        "attempts": attempts,
        "created_at": iso_ms(notification.created_ms),
    }


# --- 2026-02-01 (MA) delivery log -----------------------------------------------------------

#: The delivery policy MA's nested ``destination.retry`` describes (``sender.py``).
MA_RETRY = {"type": "exponential", "max_attempts": 21, "delay_seconds": 2}


def _json_object(text: str | None) -> dict[str, object]:
    """A stored payload as MA's ``input``/``output`` object (``{"value": x}`` for non-objects)."""
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {"value": value}


def event_delivery_status(stats: EventStats) -> str:
    """MA ``callback.event.delivery_status``: ``skipped`` without notifications, ``pending``
    while one is pending or retrying, ``sent`` when all succeeded, else ``failed``."""
    if stats.total == 0:
        return "skipped"
    if stats.open:
        return "pending"
    return "sent" if stats.succeeded == stats.total else "failed"


def present_event_v2026(event: CallbackEvent, stats: EventStats) -> dict[str, object]:
    """``callback.event`` (contract-2026 §5.6). ``trigger_key`` is the event type,
    ``source_id`` the constant ``"emulator"``, ``callback_instance_id`` null; ``input`` and
    ``output`` are the payload."""
    return {
        "object": "callback.event",
        "id": event.id,
        "type": event.type,
        "source_id": "emulator",
        "trigger_key": event.type,
        "input": _json_object(event.payload_incoming),
        "output": _json_object(event.payload_outgoing),
        "delivery_status": event_delivery_status(stats),
        "callback_id": event.callback_id,
        "callback_instance_id": None,
        "created_at": iso_ms(event.created_ms),
    }


def _ma_error(notification: Notification) -> dict[str, object] | None:
    """The last attempt's failure while the notification is not delivered."""
    if notification.status == "succeeded" or not notification.attempts:
        return None
    last = max(notification.attempts, key=lambda item: item.index)
    if last.status == "succeeded":
        return None
    if last.request_error is not None:
        return {"code": "request_failed", "message": last.request_error}
    return {
        "code": "unexpected_status",
        "message": f"The destination answered HTTP {last.response_status}.",
    }


def present_notification_v2026(detail: NotificationDetail) -> dict[str, object]:
    """``callback.notification`` (contract-2026 §5.6). The nested ``destination.id`` (and its
    ``webhook.id``) is the ``callback.destination`` id (the contract leaves open whether MA
    shows the delivery service's own id: versions.py choice 12)."""
    notification, event, stats = detail.notification, detail.event, detail.stats
    attempts = sorted(notification.attempts, key=lambda item: item.index)
    last = attempts[-1] if attempts else None
    open_ = notification.status in ("pending", "retrying")
    destination = detail.destination
    event_status = (
        "pending" if stats.open else "delivered" if stats.succeeded == stats.total else "failed"
    )
    return {
        "object": "callback.notification",
        "id": notification.id,
        "status": MA_STATUS.get(notification.status, notification.status),
        "error": _ma_error(notification),
        "attempt_count": len(attempts),
        "event": {
            "object": "callback.notification.event",
            "id": event.id,
            "type": event.type,
            "topics": [] if event.type is None else [event.type],
            "status": event_status,
            "destination_count": stats.total,
            "success_count": stats.succeeded,
            "failure_count": stats.failed,
            "request": {
                "body": notification.request_body or "",
                "headers": (
                    [{"key": key, "value": value} for key, value in last.request_headers]
                    if last is not None and last.request_headers
                    else None
                ),
            },
            "created_at": iso_ms(event.created_ms),
            "updated_at": iso_ms(max(event.created_ms, notification.updated_ms)),
        },
        "destination": None
        if destination is None
        else {
            "object": "callback.notification.destination",
            "id": destination.id,
            "name": destination.name,
            "description": destination.description,
            "type": "http_endpoint",
            "event_types": None,
            "retry": dict(MA_RETRY),
            "webhook": {
                "id": destination.id,
                "url": notification.url,
                "method": "POST",
                "created_at": iso_ms(destination.created_ms),
            }
            if notification.url
            else None,
            "created_at": iso_ms(destination.created_ms),
            "updated_at": iso_ms(destination.updated_ms),
        },
        "created_at": iso_ms(notification.created_ms),
        "updated_at": iso_ms(notification.updated_ms),
        "last_attempt_at": None if last is None else iso_ms(last.created_ms),
        "next_attempt_at": (
            iso_ms(notification.next_attempt_ms)
            if open_ and notification.next_attempt_ms is not None
            else None
        ),
    }


def present_list(page: Page[T], present: Callable[[T], dict[str, object]]) -> dict[str, object]:
    return {
        "__typename": "list",
        "items": [present(item) for item in page.items],
        "pagination": {
            "has_more_before": page.has_more_before,
            "has_more_after": page.has_more_after,
        },
    }
