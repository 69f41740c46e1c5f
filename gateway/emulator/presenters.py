"""JSON shapes of the REST API's objects, exactly as the upstream writes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from gateway.emulator.pagination import Page
from gateway.emulator.store import Callback, Destination

__all__ = ["iso_ms", "present_callback", "present_destination", "present_list"]

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


def present_list(page: Page[T], present: Callable[[T], dict[str, object]]) -> dict[str, object]:
    return {
        "__typename": "list",
        "items": [present(item) for item in page.items],
        "pagination": {
            "has_more_before": page.has_more_before,
            "has_more_after": page.has_more_after,
        },
    }
