"""API version 2025-01-01 ("pulsar"): `/callbacks-destinations`, links held by destinations.

See ../shared/upstream-contract.md. A destination says which callbacks it receives
(`{"type": "all"}` or the selected ids); `url` and the selection are fixed at creation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from gateway.errors import upstream_malformed
from gateway.upstream.api import (
    MAX_EVENT_DELIVERIES,
    CallbacksApi,
    filtered_page,
    not_supported,
    page_params,
    read_list,
)
from gateway.upstream.client import JSON, UpstreamRejection
from gateway.upstream.records import (
    CALLBACK_TYPES,
    SAFE_ID,
    AttemptRecord,
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
    optional_int,
    optional_str,
    read_datetime,
    read_str,
)

DESTINATIONS = "/callbacks-destinations"
DESTINATION = "/callbacks-destinations/{id}"
CALLBACKS = "/callbacks"
CALLBACK = "/callbacks/{id}"
EVENTS = "/callbacks-events"
EVENT = "/callbacks-events/{id}"
NOTIFICATIONS = "/callbacks-notifications"
NOTIFICATION = "/callbacks-notifications/{id}"
# This version's notification statuses, as the gateway names them.
_DELIVERY_STATUS = {
    "pending": "pending",
    "succeeded": "delivered",
    "retrying": "retrying",
    "failed": "failed",
}


class Api2025(CallbacksApi):
    version = "2025-01-01"
    key = "mt_2025_01_01_pulsar"
    probe_route = DESTINATIONS
    body_fields = {"callback_id": ("callbackIds",)}

    async def list_destinations(
        self, page: PageQuery, callback_ids: Sequence[str] = ()
    ) -> RecordPage[DestinationRecord]:
        query = page_params(page) + [("callback_id", i) for i in callback_ids]
        body = await self.get(self.call(DESTINATIONS), query)
        return read_list(body, read_destination, page.limit)

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
        return await self.list_destinations(page, (callback.id,))

    async def selection_of(self, destination: DestinationRecord) -> Selection:
        if destination.selection is None:
            raise upstream_malformed("callback destination")
        return destination.selection

    async def create_destination(self, new: NewDestination) -> WriteResult:
        if new.metadata is not None:
            return not_supported(("metadata",), _NO_METADATA)
        selection = new.selection or Selection("selected")  # unsaid: no callbacks yet
        callbacks: dict[str, Any] = {"type": selection.type}
        if selection.type == "selected":
            callbacks["callback_id"] = list(selection.callback_ids)
        body: dict[str, Any] = {"name": new.name, "url": new.url, "callbacks": callbacks}
        if new.description is not None:
            body["description"] = new.description
        return await self.write_destination("POST", self.call(DESTINATIONS), body, ())

    async def update_destination(
        self, destination_id: str, changes: DestinationChanges
    ) -> WriteResult:
        if "url" in changes:
            return not_supported(("url",), "API version 2025-01-01 cannot change a url.")
        if "metadata" in changes:
            return not_supported(("metadata",), _NO_METADATA)
        call = self.call(DESTINATION, id=destination_id)
        return await self.write_destination("PATCH", call, dict(changes), ("id",))

    async def delete_destination(self, destination_id: str) -> WriteResult:
        call = self.call(DESTINATION, id=destination_id)
        return await self.write_destination("DELETE", call, None, ("id",))

    async def list_events(
        self, callback: CallbackRecord, page: PageQuery
    ) -> RecordPage[EventRecord]:
        query = [*page_params(page), ("callback_id", callback.id)]
        body = await self.get(self.call(EVENTS), query)
        return read_list(body, lambda raw: read_event(raw, callback.id), page.limit)

    async def get_event(self, key: str) -> EventRecord | None:
        if ":" in key:  # a key of API 2026-02-01: names nothing here
            return None
        body = await self.get_object(self.call(EVENT, id=key))
        return None if body is None else read_event(body, None)

    async def list_deliveries(
        self, destination: DestinationRecord, page: PageQuery, status: str | None
    ) -> RecordPage[DeliveryRecord]:
        async def fetch(query: PageQuery) -> RecordPage[DeliveryRecord]:
            params = [*page_params(query), ("destination_id", destination.id)]
            body = await self.get(self.call(NOTIFICATIONS), params)
            return read_list(body, lambda raw: read_delivery(raw, destination.id), query.limit)

        if status is None:
            return await fetch(page)
        # This version cannot filter by status: filtered here, over as many pages as needed.
        return await filtered_page(fetch, lambda d: d.status == status, _key, page)

    async def get_delivery(self, key: str) -> DeliveryRecord | None:
        if ":" in key:  # a key of API 2026-02-01: names nothing here
            return None
        body = await self.get_object(self.call(NOTIFICATION, id=key))
        return None if body is None else read_delivery(body, None)

    async def deliveries_of_event(self, event: EventRecord) -> list[DeliveryRecord]:
        query = [("limit", str(MAX_EVENT_DELIVERIES)), ("event_id", event.id)]
        body = await self.get(self.call(NOTIFICATIONS), query)
        found = read_list(body, lambda raw: read_delivery(raw, None), MAX_EVENT_DELIVERIES)
        return found.items

    def bad_request_error(
        self, rejection: UpstreamRejection, fallback: tuple[str, ...]
    ) -> FieldError:
        message = rejection.message
        lowered = message.lower()
        field: tuple[str, ...]
        if "callback id" in lowered:
            field, code = ("callbacks", "callbackIds"), FieldErrorCode.UNKNOWN_CALLBACK
        elif "already inactive" in lowered:
            field, code = ("id",), FieldErrorCode.ALREADY_DELETED
        elif "inactive" in lowered:
            field, code = ("id",), FieldErrorCode.DESTINATION_DELETED
        else:
            field, code = fallback, FieldErrorCode.INVALID
        return FieldError(field, message, code)

    @staticmethod
    def read_destination(raw: JSON) -> DestinationRecord:
        return read_destination(raw)


_NO_METADATA = "API version 2025-01-01 has no metadata on destinations."


def read_destination(raw: JSON) -> DestinationRecord:
    try:
        webhook = raw.get("webhook_destination")
        selection = raw["callbacks"]
        kind = selection["type"]
        if kind not in ("all", "selected"):
            raise ValueError(kind)
        ids = tuple(checked_id(i, "callback") for i in selection.get("callback_ids") or ())
        return DestinationRecord(
            id=checked_id(raw["id"], "callback destination"),
            name=read_str(raw["name"]),
            description=optional_str(raw.get("description")),
            url=read_str(webhook["url"]) if webhook else None,
            signing_secret=read_str(webhook["signing_secret"]) if webhook else None,
            status=None,
            metadata=None,
            selection=Selection(kind, ids if kind == "selected" else ()),
            created_at=read_datetime(raw["created_at"]),
            updated_at=None,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise upstream_malformed("callback destination") from None


def _key(record: DeliveryRecord) -> str:
    return record.key


def read_event(raw: JSON, callback_id: str | None) -> EventRecord:
    try:
        outgoing = raw.get("payload_outgoing")
        event_id = checked_id(raw["id"], "callback event")
        return EventRecord(
            key=event_id,
            id=event_id,
            callback_id=callback_id,
            type=optional_str(raw.get("type")),
            status=optional_str(raw.get("status")),
            payload=_json_text(raw.get("payload_incoming") if outgoing is None else outgoing),
            created_at=read_datetime(raw["created_at"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise upstream_malformed("callback event") from None


def read_delivery(raw: JSON, destination_id: str | None) -> DeliveryRecord:
    """A notification; its event is named only inside the body it sent (`eventId`)."""
    try:
        notification_id = checked_id(raw["id"], "callback notification")
        attempts = tuple(
            read_attempt(a) for a in sorted(raw.get("attempts") or (), key=lambda a: a["index"])
        )
        event_id = next((_sent_event_id(a.request_body) for a in attempts if a.request_body), None)
        return DeliveryRecord(
            key=notification_id,
            id=notification_id,
            status=_DELIVERY_STATUS[read_str(raw["status"])],
            url=optional_str(raw.get("url")),
            destination_id=destination_id,
            event_key=event_id,
            error=next((a.error for a in reversed(attempts) if a.error), None),
            attempt_count=len(attempts),
            last_attempt_at=attempts[-1].created_at if attempts else None,
            next_attempt_at=None,
            created_at=read_datetime(raw["created_at"]),
            attempts=attempts,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise upstream_malformed("callback notification") from None


def read_attempt(raw: JSON) -> AttemptRecord:
    request = raw.get("webhook_request") or {}
    response_status = optional_int(request.get("response_status"))
    return AttemptRecord(
        index=raw["index"] if isinstance(raw["index"], int) else int(read_str(raw["index"])),
        status=read_str(raw["status"]),
        url=optional_str(request.get("url")),
        method=optional_str(request.get("request_method")),
        request_headers=request.get("request_headers"),
        request_body=optional_str(request.get("request_body")),
        # -1: the request failed without an answer
        response_status=None if response_status == -1 else response_status,
        response_headers=request.get("response_headers"),
        response_body=optional_str(request.get("response_body")),
        error=optional_str(request.get("request_error")),
        duration_ms=optional_int(request.get("duration")),
        created_at=read_datetime(raw["created_at"]),
    )


def _json_text(value: object) -> JSON:
    """This version keeps payloads as JSON text: the value it holds, or the text itself."""
    if not isinstance(value, str):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


def _sent_event_id(body: str | None) -> str | None:
    try:
        sent = orjson.loads(body or "")
    except orjson.JSONDecodeError:
        return None
    event_id = sent.get("eventId") if isinstance(sent, dict) else None
    return event_id if isinstance(event_id, str) and SAFE_ID.fullmatch(event_id) else None


def read_schedule(raw: dict[str, Any]) -> Schedule:
    interval = raw.get("interval_seconds")
    if interval is not None and (not isinstance(interval, int) or isinstance(interval, bool)):
        raise TypeError("interval_seconds")
    return Schedule(interval, optional_datetime(raw.get("next_run_at")))


def read_callback(raw: JSON) -> CallbackRecord:
    try:
        schedule = raw.get("schedule")
        kind = read_str(raw["type"])
        if kind not in CALLBACK_TYPES:
            raise ValueError(kind)
        return CallbackRecord(
            id=checked_id(raw["id"], "callback"),
            type=kind,
            name=optional_str(raw.get("name")),
            description=optional_str(raw.get("description")),
            url=optional_str(raw.get("url")),
            schedule=read_schedule(schedule) if isinstance(schedule, dict) else None,
            created_at=read_datetime(raw["created_at"]),
            updated_at=read_datetime(raw["updated_at"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise upstream_malformed("callback") from None
