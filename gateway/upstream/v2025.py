"""API version 2025-01-01 ("pulsar"): `/callbacks-destinations`, links held by destinations.

See ../shared/upstream-contract.md. A destination says which callbacks it receives
(`{"type": "all"}` or the selected ids); `url` and the selection are fixed at creation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.errors import upstream_malformed
from gateway.upstream.api import (
    CallbacksApi,
    not_supported,
    page_params,
    read_list,
)
from gateway.upstream.client import JSON, UpstreamRejection
from gateway.upstream.records import (
    CALLBACK_TYPES,
    CallbackRecord,
    DestinationChanges,
    DestinationRecord,
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

DESTINATIONS = "/callbacks-destinations"
DESTINATION = "/callbacks-destinations/{id}"
CALLBACKS = "/callbacks"
CALLBACK = "/callbacks/{id}"


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
