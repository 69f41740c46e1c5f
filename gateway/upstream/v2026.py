"""API version 2026-02-01 ("magnetar", generation MA): links held by callbacks.

See ../shared/upstream-contract-2026.md §1-3, §5. Destinations (`/callback-destinations`)
have a top-level `url`, `status`, `metadata` and `updated_at`, and no signing secret; a
callback lists its destinations (`destination_ids` on writes, full objects on reads).
So, over this version:
- a destination's callbacks are the callbacks whose destinations hold it (found by the
  walk over every callback, once per request), always SELECTED: ALL cannot be expressed;
- filtering destinations by callbacks reads those callbacks and pages their destinations
  here, by id, as the upstream pages its own lists;
- creating a destination with SELECTED callbacks creates it, then adds it to each
  callback's `destination_ids` (PATCH with the full new set). Unknown callbacks are found
  before anything is created; a link that fails afterwards is a field error naming the
  callback, and the created destination is still returned;
- a callback has no `type`, `url` or schedule: its type reads POLLING when it overrides
  the poll interval (that interval is its schedule), else WEBHOOK_MANAGED (the platform
  runs its provider triggers); `url` is null;
- ids are opaque: no prefix or length is assumed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from gateway.errors import GatewayError, upstream_malformed
from gateway.upstream.api import (
    MAX_EVENT_DELIVERIES,
    WALK_PAGE_SIZE,
    CallbacksApi,
    merge_pages,
    not_supported,
    page_locally,
    page_params,
    read_list,
)
from gateway.upstream.client import JSON, UpstreamRejection
from gateway.upstream.records import (
    DELIVERY_STATUSES,
    CallbackRecord,
    DeliveryRecord,
    DestinationChanges,
    DestinationRecord,
    EventRecord,
    FieldError,
    FieldErrorCode,
    NewDestination,
    PageQuery,
    RecordPage,
    Schedule,
    Selection,
    WriteResult,
    checked_id,
    optional_datetime,
    optional_str,
    read_datetime,
    read_str,
)

DESTINATIONS = "/callback-destinations"
DESTINATION = "/callback-destinations/{id}"
CALLBACKS = "/callbacks"
CALLBACK = "/callbacks/{id}"
EVENTS = "/callbacks/{callback}/events"
EVENT = "/callbacks/{callback}/events/{id}"
NOTIFICATIONS = "/callbacks/{callback}/notifications"
NOTIFICATION = "/callbacks/{callback}/notifications/{id}"
_EVENT_PAGES = 3  # pages of a callback's notifications read for one event's deliveries
_URL_CODES = {"invalid_callback_destination_url", "invalid_webhook_destination_url"}
_CALLBACK_IDS = ("callbacks", "callbackIds")


class Api2026(CallbacksApi):
    version = "2026-02-01"
    key = "mt_2026_01_01_magnetar"
    probe_route = DESTINATIONS

    async def list_destinations(
        self, page: PageQuery, callback_ids: Sequence[str] = ()
    ) -> RecordPage[DestinationRecord]:
        if not callback_ids:
            body = await self.get(self.call(DESTINATIONS), page_params(page))
            return read_list(body, read_destination, page.limit)
        callbacks = await asyncio.gather(*(self.get_callback(i) for i in callback_ids))
        linked = {d.id: d for c in callbacks if c is not None for d in c.destinations or ()}
        return page_locally(list(linked.values()), _id, page)

    async def get_destination(self, destination_id: str) -> DestinationRecord | None:
        body = await self.get_object(self.call(DESTINATION, id=destination_id))
        return None if body is None else read_destination(body)

    async def list_callbacks(self, page: PageQuery) -> RecordPage[CallbackRecord]:
        body = await self.get(self.call(CALLBACKS), page_params(page))
        return read_list(body, read_callback, page.limit)

    async def get_callback(self, callback_id: str) -> CallbackRecord | None:
        body = await self.get_object(self.call(CALLBACK, id=callback_id))
        return None if body is None else read_callback(body)

    async def destinations_of(
        self, callback: CallbackRecord, page: PageQuery
    ) -> RecordPage[DestinationRecord]:
        return page_locally(callback.destinations or (), _id, page)

    async def selection_of(self, destination: DestinationRecord) -> Selection:
        callbacks = await self.all_callbacks()
        ids = tuple(c.id for c in callbacks if destination.id in c.destination_ids)
        return Selection("selected", ids)

    async def create_destination(self, new: NewDestination) -> WriteResult:
        selection = new.selection or Selection("selected")
        if selection.type == "all":
            return not_supported(
                ("callbacks", "type"),
                "API version 2026-02-01 links a destination to callbacks one by one: "
                "select the callbacks (SELECTED with callbackIds).",
            )
        ids = list(dict.fromkeys(selection.callback_ids))
        found = await asyncio.gather(*(self.get_callback(i) for i in ids))
        unknown = [i for i, callback in zip(ids, found, strict=True) if callback is None]
        if unknown:
            message = "One or more callback IDs are invalid"
            return WriteResult(None, (FieldError(_CALLBACK_IDS, message, _UNKNOWN),))
        body: dict[str, Any] = {"name": new.name, "url": new.url}
        if new.description is not None:
            body["description"] = new.description
        if new.metadata is not None:
            body["metadata"] = new.metadata
        created = await self.write_destination("POST", self.call(DESTINATIONS), body, ())
        if created.destination is None or not ids:
            return created
        links = await asyncio.gather(*(self._link(i, created.destination.id) for i in ids))
        return WriteResult(created.destination, tuple(e for e in links if e is not None))

    async def update_destination(
        self, destination_id: str, changes: DestinationChanges
    ) -> WriteResult:
        body = dict(changes)
        if "description" in body and body["description"] is None:
            body["description"] = ""  # this version refuses null: "" is how to clear it
        call = self.call(DESTINATION, id=destination_id)
        return await self.write_destination("PATCH", call, body, ("id",))

    async def delete_destination(self, destination_id: str) -> WriteResult:
        call = self.call(DESTINATION, id=destination_id)
        return await self.write_destination("DELETE", call, None, ("id",))

    async def _link(self, callback_id: str, destination_id: str) -> FieldError | None:
        """Add the destination to one callback; a field error naming it if that fails."""
        failed = f"The destination was created, but adding it to callback {callback_id} failed"
        try:
            callback = await self.get_callback(callback_id)
            if callback is None:
                return FieldError(_CALLBACK_IDS, f"{failed}: it no longer exists.", _UNKNOWN)
            wanted = list(dict.fromkeys([*callback.destination_ids, destination_id]))
            await self.write(
                "PATCH", self.call(CALLBACK, id=callback_id), {"destination_ids": wanted}
            )
        except GatewayError as exc:
            return FieldError(_CALLBACK_IDS, f"{failed}: {exc.message}", FieldErrorCode.INVALID)
        return None

    async def list_events(
        self, callback: CallbackRecord, page: PageQuery
    ) -> RecordPage[EventRecord]:
        body = await self.get(self.call(EVENTS, callback=callback.id), page_params(page))
        return read_list(body, read_event, page.limit)

    async def get_event(self, key: str) -> EventRecord | None:
        parts = _split(key)
        if parts is None:
            return None
        body = await self.get_object(self.call(EVENT, callback=parts[0], id=parts[1]))
        return None if body is None else read_event(body)

    async def list_deliveries(
        self, destination: DestinationRecord, page: PageQuery, status: str | None
    ) -> RecordPage[DeliveryRecord]:
        """Listed per callback here: one list per callback that holds the destination,
        merged page by page."""
        callbacks = [c for c in await self.all_callbacks() if destination.id in c.destination_ids]
        params = [*page_params(page), ("destination_id", destination.id)]
        if status is not None:
            params.append(("status", status))
        pages = await asyncio.gather(
            *(self._deliveries(c.id, params, page.limit) for c in callbacks)
        )
        return merge_pages(pages, _delivery_id, page)

    async def get_delivery(self, key: str) -> DeliveryRecord | None:
        parts = _split(key)
        if parts is None:
            return None
        call = self.call(NOTIFICATION, callback=parts[0], id=parts[1])
        body = await self.get_object(call)
        return None if body is None else read_delivery(body, parts[0])

    async def deliveries_of_event(self, event: EventRecord) -> list[DeliveryRecord]:
        """No event filter in this version: the callback's notifications, kept by event."""
        if event.callback_id is None:
            return []
        found: list[DeliveryRecord] = []
        page = PageQuery(WALK_PAGE_SIZE, "desc")
        for _ in range(_EVENT_PAGES):
            listed = await self._deliveries(event.callback_id, page_params(page), page.limit)
            found.extend(d for d in listed.items if d.event_key == event.key)
            if not listed.items or not listed.has_more_after:
                break
            page = PageQuery(WALK_PAGE_SIZE, "desc", after=listed.items[-1].id)
        return found[:MAX_EVENT_DELIVERIES]

    async def _deliveries(
        self, callback_id: str, params: list[tuple[str, str]], limit: int
    ) -> RecordPage[DeliveryRecord]:
        body = await self.get(self.call(NOTIFICATIONS, callback=callback_id), params)
        return read_list(body, lambda raw: read_delivery(raw, callback_id), limit)

    def bad_request_error(
        self, rejection: UpstreamRejection, fallback: tuple[str, ...]
    ) -> FieldError:
        field = ("url",) if rejection.body.get("code") in _URL_CODES else fallback
        return FieldError(field, rejection.message, FieldErrorCode.INVALID)

    @staticmethod
    def read_destination(raw: JSON) -> DestinationRecord:
        return read_destination(raw)


_UNKNOWN = FieldErrorCode.UNKNOWN_CALLBACK


def _id(record: DestinationRecord) -> str:
    return record.id


def read_destination(raw: JSON) -> DestinationRecord:
    try:
        status = read_str(raw["status"])
        metadata = raw.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise TypeError("metadata")
        return DestinationRecord(
            id=checked_id(raw["id"], "callback destination"),
            name=read_str(raw["name"]),
            description=optional_str(raw.get("description")),
            url=read_str(raw["url"]),
            signing_secret=None,
            status=status,
            metadata=metadata,
            selection=None,
            created_at=read_datetime(raw["created_at"]),
            updated_at=read_datetime(raw["updated_at"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise upstream_malformed("callback destination") from None


def _split(key: str) -> tuple[str, str] | None:
    """A delivery-log key of this version, `<callback id>:<id>` (reads need both); None
    for a key of another version, which names nothing here."""
    callback_id, _, own_id = key.partition(":")
    return (callback_id, own_id) if own_id else None


def _delivery_id(record: DeliveryRecord) -> str:
    return record.id


def read_event(raw: JSON) -> EventRecord:
    try:
        callback_id = checked_id(raw["callback_id"], "callback")
        event_id = checked_id(raw["id"], "callback event")
        output = raw.get("output")
        return EventRecord(
            key=f"{callback_id}:{event_id}",
            id=event_id,
            callback_id=callback_id,
            type=optional_str(raw.get("type")),
            status=optional_str(raw.get("delivery_status")),
            payload=raw.get("input") if output is None else output,
            created_at=read_datetime(raw["created_at"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise upstream_malformed("callback event") from None


def read_delivery(raw: JSON, callback_id: str) -> DeliveryRecord:
    try:
        notification_id = checked_id(raw["id"], "callback notification")
        status = read_str(raw["status"])
        if status not in DELIVERY_STATUSES:
            raise ValueError(status)
        event = raw.get("event")
        destination = raw.get("destination")
        error = raw.get("error")
        webhook = destination.get("webhook") if isinstance(destination, dict) else None
        attempts = raw.get("attempt_count")
        if not isinstance(attempts, int):
            raise TypeError("attempt_count")
        return DeliveryRecord(
            key=f"{callback_id}:{notification_id}",
            id=notification_id,
            status=status,
            url=optional_str(webhook.get("url")) if isinstance(webhook, dict) else None,
            destination_id=checked_id(destination["id"], "destination") if destination else None,
            event_key=f"{callback_id}:{checked_id(event['id'], 'event')}" if event else None,
            error=optional_str(error.get("message")) if isinstance(error, dict) else None,
            attempt_count=attempts,
            last_attempt_at=optional_datetime(raw.get("last_attempt_at")),
            next_attempt_at=optional_datetime(raw.get("next_attempt_at")),
            created_at=read_datetime(raw["created_at"]),
            attempts=None,  # this version keeps no per-attempt HTTP log
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise upstream_malformed("callback notification") from None


def read_callback(raw: JSON) -> CallbackRecord:
    try:
        interval = raw.get("poll_interval_seconds_override")
        if interval is not None and (not isinstance(interval, int) or isinstance(interval, bool)):
            raise TypeError("poll_interval_seconds_override")
        destinations = tuple(read_destination(d) for d in raw.get("destinations") or ())
        return CallbackRecord(
            id=checked_id(raw["id"], "callback"),
            type="webhook_managed" if interval is None else "polling",
            name=optional_str(raw.get("name")),
            description=optional_str(raw.get("description")),
            url=None,
            schedule=None if interval is None else Schedule(interval, None),
            created_at=read_datetime(raw["created_at"]),
            updated_at=read_datetime(raw["updated_at"]),
            destinations=tuple(d for d in destinations if d.status == "active"),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise upstream_malformed("callback") from None
