"""The GraphQL object types, built from the upstream adapters' neutral records.

The schema is independent of the REST shapes and of the API version behind it: the
adapters (gateway.upstream.v2025, v2026) read REST answers into records, and the types
here present them under names chosen for GraphQL clients.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any, Literal

import strawberry
from strawberry.scalars import JSON

from gateway.schema.context import Context
from gateway.schema.cursors import ConnectionKey, encode_cursor
from gateway.schema.ids import to_global_id
from gateway.schema.lists import (
    PageArgs,
    delivery_page,
    destinations_of,
    event_page,
)
from gateway.schema.pagination import Page
from gateway.upstream.records import (
    AttemptRecord,
    CallbackRecord,
    DeliveryRecord,
    DestinationRecord,
    EventRecord,
    Selection,
)

Info = strawberry.Info[Context, None]


def _serialize_datetime(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_datetime(value: Any) -> datetime.datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO-8601 string")
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("DateTime must include a time zone")
    return parsed


# Registered for `datetime` through the schema's scalar_map (see gateway.schema).
DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    description="An ISO-8601 instant in UTC with milliseconds, e.g. 2025-10-24T10:00:00.000Z.",
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
)


@strawberry.enum(description="Sort order of a list; lists are sorted by creation time.")
class SortOrder(enum.Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum
class CallbackDestinationType(enum.Enum):
    WEBHOOK = "webhook"


@strawberry.enum(description="Which callbacks a destination receives events from.")
class CallbackSelectionType(enum.Enum):
    ALL = "all"
    SELECTED = "selected"


@strawberry.enum(description="Where a destination is in its life (API 2026-02-01 and later).")
class CallbackDestinationStatus(enum.Enum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


@strawberry.enum(description="Where one delivery of an event to a destination stands.")
class DeliveryStatus(enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"


@strawberry.enum
class CallbackType(enum.Enum):
    WEBHOOK_MANAGED = "webhook_managed"
    POLLING = "polling"
    WEBHOOK_MANUAL = "webhook_manual"


@strawberry.interface(description="An object with a globally unique id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id; pass it to `node`.")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="Where a destination delivers events: an HTTP POST to `url`.")
class WebhookDestination:
    url: str
    signing_secret: str = strawberry.field(
        description="HMAC-SHA256 key of the `Metorial-Signature` header; keep it secret."
    )


@strawberry.type
class CallbackSchedule:
    interval_seconds: int | None
    next_run_at: datetime.datetime | None


@strawberry.type(description="A source of events, created by the Metorial platform.")
class Callback(Node):
    id: strawberry.ID
    callback_id: str = strawberry.field(description="The upstream id, e.g. `clb_...`.")
    type: CallbackType = strawberry.field(
        description="Over API 2026-02-01 (no type there): POLLING when the callback "
        "overrides its poll interval, else WEBHOOK_MANAGED."
    )
    name: str | None
    description: str | None
    url: str | None
    schedule: CallbackSchedule | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    record: strawberry.Private[CallbackRecord]

    @strawberry.field(description="Destinations receiving this callback's events.")
    async def destinations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order: SortOrder | None = SortOrder.ASC,
    ) -> CallbackDestinationConnection:
        args = PageArgs(first, after, last, before, to_order(order))
        key, page = await destinations_of(info.context, self.record, args)
        return CallbackDestinationConnection.from_page(key, page)

    @strawberry.field(description="Events this callback received, newest first by default.")
    async def events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order: SortOrder | None = SortOrder.DESC,
    ) -> CallbackEventConnection:
        args = PageArgs(first, after, last, before, to_order(order))
        key, page = await event_page(info.context, self.record, args)
        return CallbackEventConnection.from_page(key, page)

    @classmethod
    def from_record(cls, record: CallbackRecord) -> Callback:
        schedule = record.schedule
        return cls(
            id=strawberry.ID(to_global_id("Callback", record.id)),
            callback_id=record.id,
            type=CallbackType(record.type),
            name=record.name,
            description=record.description,
            url=record.url,
            schedule=None
            if schedule is None
            else CallbackSchedule(
                interval_seconds=schedule.interval_seconds, next_run_at=schedule.next_run_at
            ),
            created_at=record.created_at,
            updated_at=record.updated_at,
            record=record,
        )


@strawberry.type(description="The callbacks a destination receives events from.")
class CallbackSelection:
    type: CallbackSelectionType = strawberry.field(
        description="Always SELECTED over API 2026-02-01, where links are made one by one."
    )
    callback_ids: list[str] = strawberry.field(
        description="Upstream ids of the selected callbacks; empty when `type` is ALL."
    )

    @strawberry.field(
        description="The callbacks themselves: the selected ones, or every callback for ALL."
    )
    async def callbacks(self, info: Info) -> list[Callback]:
        context = info.context
        if self.type is CallbackSelectionType.ALL:
            records = await context.all_callbacks()
        else:
            found = await context.callbacks.load_many(self.callback_ids)
            records = [r for r in found if r is not None]
        return [Callback.from_record(r) for r in records]

    @classmethod
    def from_selection(cls, selection: Selection) -> CallbackSelection:
        return cls(
            type=CallbackSelectionType(selection.type), callback_ids=list(selection.callback_ids)
        )


@strawberry.type(description="Where Metorial delivers callback events (a webhook).")
class CallbackDestination(Node):
    id: strawberry.ID
    destination_id: str = strawberry.field(description="The upstream id, e.g. `cld_...`.")
    type: CallbackDestinationType
    name: str
    description: str = strawberry.field(description="Empty when none was given.")
    webhook_destination: WebhookDestination | None = strawberry.field(
        description="URL and signing secret (API 2025-01-01). Null when the destination has "
        "no url, and over API 2026-02-01, which does not show signing secrets: read `url`."
    )
    url: str | None = strawberry.field(
        description="Where events are POSTed; null when the destination has none."
    )
    status: CallbackDestinationStatus | None = strawberry.field(
        description="Null where the upstream API version does not say (2025-01-01)."
    )
    metadata: JSON | None = strawberry.field(
        description="Your own key-value data (API 2026-02-01 and later); null otherwise."
    )
    created_at: datetime.datetime
    updated_at: datetime.datetime | None = strawberry.field(
        description="Null where the upstream API version does not say (2025-01-01)."
    )
    record: strawberry.Private[DestinationRecord]

    @strawberry.field(description="The callbacks this destination receives events from.")
    async def callbacks(self, info: Info) -> CallbackSelection:
        selection = self.record.selection
        if selection is None:
            selection = await (await info.context.api()).selection_of(self.record)
        return CallbackSelection.from_selection(selection)

    @strawberry.field(
        description="Deliveries of events to this destination, newest first by default. "
        "Over API 2026-02-01 they are read per callback and merged."
    )
    async def deliveries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order: SortOrder | None = SortOrder.DESC,
        status: DeliveryStatus | None = None,
    ) -> CallbackDeliveryConnection:
        args = PageArgs(first, after, last, before, to_order(order))
        wanted = None if status is None else status.value
        key, page = await delivery_page(info.context, self.record, args, wanted)
        return CallbackDeliveryConnection.from_page(key, page)

    @classmethod
    def from_record(cls, record: DestinationRecord) -> CallbackDestination:
        secret = record.signing_secret
        return cls(
            id=strawberry.ID(to_global_id("CallbackDestination", record.id)),
            destination_id=record.id,
            type=CallbackDestinationType.WEBHOOK,
            name=record.name,
            description=record.description or "",
            webhook_destination=WebhookDestination(url=record.url, signing_secret=secret)
            if record.url and secret is not None
            else None,
            url=record.url or None,
            status=None if record.status is None else CallbackDestinationStatus(record.status),
            metadata=record.metadata,
            created_at=record.created_at,
            updated_at=record.updated_at,
            record=record,
        )


@strawberry.type(description="The upstream REST API behind this gateway.")
class UpstreamApi:
    version: str = strawberry.field(
        description="The API version spoken upstream: 2025-01-01 or 2026-02-01."
    )


@strawberry.type(description="One HTTP attempt of a delivery (API 2025-01-01 keeps them).")
class DeliveryAttempt:
    index: int
    status: str
    request_url: str | None
    request_method: str | None
    request_headers: JSON | None = strawberry.field(
        description="As sent, with the signature's value redacted."
    )
    request_body: str | None
    response_status: int | None = strawberry.field(
        description="Null when no answer came (see `error`)."
    )
    response_headers: JSON | None
    response_body: str | None
    error: str | None
    duration_ms: int | None
    created_at: datetime.datetime

    @classmethod
    def from_record(cls, record: AttemptRecord) -> DeliveryAttempt:
        return cls(
            index=record.index,
            status=record.status,
            request_url=record.url,
            request_method=record.method,
            request_headers=redact_signature(record.request_headers),
            request_body=record.request_body,
            response_status=record.response_status,
            response_headers=record.response_headers,
            response_body=record.response_body,
            error=record.error,
            duration_ms=record.duration_ms,
            created_at=record.created_at,
        )


@strawberry.type(description="An event a callback received, and where it was delivered.")
class CallbackEvent(Node):
    id: strawberry.ID
    event_id: str = strawberry.field(description="The upstream id, e.g. `cbe_...`.")
    type: str | None
    status: str | None = strawberry.field(description="As the upstream says it, lowercase.")
    payload: JSON | None
    created_at: datetime.datetime
    record: strawberry.Private[EventRecord]

    @strawberry.field(description="The callback that received it; null where unknown.")
    async def callback(self, info: Info) -> Callback | None:
        if self.record.callback_id is None:
            return None
        found = await info.context.callbacks.load(self.record.callback_id)
        return None if found is None else Callback.from_record(found)

    @strawberry.field(description="Its deliveries, one per destination (at most 100).")
    async def deliveries(self, info: Info) -> list[CallbackDelivery]:
        api = await info.context.api()
        records = await api.deliveries_of_event(self.record)
        info.context.prime_deliveries(records)
        return [CallbackDelivery.from_record(r) for r in records]

    @classmethod
    def from_record(cls, record: EventRecord) -> CallbackEvent:
        return cls(
            id=strawberry.ID(to_global_id("CallbackEvent", record.key)),
            event_id=record.id,
            type=record.type,
            status=record.status,
            payload=record.payload,
            created_at=record.created_at,
            record=record,
        )


@strawberry.type(description="One event delivered, or being delivered, to one destination.")
class CallbackDelivery(Node):
    id: strawberry.ID
    delivery_id: str = strawberry.field(description="The upstream id, e.g. `cbn_...`.")
    status: DeliveryStatus
    url: str | None
    error: str | None = strawberry.field(description="Why the last attempt failed, if it did.")
    attempt_count: int
    last_attempt_at: datetime.datetime | None
    next_attempt_at: datetime.datetime | None = strawberry.field(
        description="Null when none is planned, or the version does not say (2025-01-01)."
    )
    created_at: datetime.datetime
    attempts: list[DeliveryAttempt] | None = strawberry.field(
        description="Every HTTP attempt (API 2025-01-01); null where the version keeps none."
    )
    record: strawberry.Private[DeliveryRecord]

    @strawberry.field(description="The event delivered; null where the version does not say.")
    async def event(self, info: Info) -> CallbackEvent | None:
        if self.record.event_key is None:
            return None
        found = await info.context.events.load(self.record.event_key)
        return None if found is None else CallbackEvent.from_record(found)

    @strawberry.field(description="Where it went; null where the version does not say.")
    async def destination(self, info: Info) -> CallbackDestination | None:
        if self.record.destination_id is None:
            return None
        found = await info.context.destinations.load(self.record.destination_id)
        return None if found is None else CallbackDestination.from_record(found)

    @classmethod
    def from_record(cls, record: DeliveryRecord) -> CallbackDelivery:
        attempts: list[DeliveryAttempt] | None = None
        if record.attempts is not None:
            attempts = [DeliveryAttempt.from_record(a) for a in record.attempts]
        return cls(
            id=strawberry.ID(to_global_id("CallbackDelivery", record.key)),
            delivery_id=record.id,
            status=DeliveryStatus(record.status),
            url=record.url,
            error=record.error,
            attempt_count=record.attempt_count,
            last_attempt_at=record.last_attempt_at,
            next_attempt_at=record.next_attempt_at,
            created_at=record.created_at,
            attempts=attempts,
            record=record,
        )


@strawberry.type
class CallbackEventEdge:
    cursor: str
    node: CallbackEvent


@strawberry.type
class CallbackEventConnection:
    edges: list[CallbackEventEdge]
    nodes: list[CallbackEvent]
    page_info: PageInfo

    @classmethod
    def from_page(cls, key: ConnectionKey, page: Page[EventRecord]) -> CallbackEventConnection:
        nodes = [CallbackEvent.from_record(r) for r in page.items]
        edges = [CallbackEventEdge(cursor=encode_cursor(key, n.event_id), node=n) for n in nodes]
        return cls(edges=edges, nodes=nodes, page_info=_page_info(page, edges))


@strawberry.type
class CallbackDeliveryEdge:
    cursor: str
    node: CallbackDelivery


@strawberry.type
class CallbackDeliveryConnection:
    edges: list[CallbackDeliveryEdge]
    nodes: list[CallbackDelivery]
    page_info: PageInfo

    @classmethod
    def from_page(
        cls, key: ConnectionKey, page: Page[DeliveryRecord]
    ) -> CallbackDeliveryConnection:
        nodes = [CallbackDelivery.from_record(r) for r in page.items]
        edges = [
            CallbackDeliveryEdge(cursor=encode_cursor(key, n.delivery_id), node=n) for n in nodes
        ]
        return cls(edges=edges, nodes=nodes, page_info=_page_info(page, edges))


@strawberry.type
class CallbackDestinationEdge:
    cursor: str
    node: CallbackDestination


@strawberry.type
class CallbackDestinationConnection:
    edges: list[CallbackDestinationEdge]
    nodes: list[CallbackDestination]
    page_info: PageInfo

    @classmethod
    def from_page(
        cls, key: ConnectionKey, page: Page[DestinationRecord]
    ) -> CallbackDestinationConnection:
        nodes = [CallbackDestination.from_record(r) for r in page.items]
        edges = [
            CallbackDestinationEdge(cursor=encode_cursor(key, n.destination_id), node=n)
            for n in nodes
        ]
        return cls(edges=edges, nodes=nodes, page_info=_page_info(page, edges))


@strawberry.type
class CallbackEdge:
    cursor: str
    node: Callback


@strawberry.type
class CallbackConnection:
    edges: list[CallbackEdge]
    nodes: list[Callback]
    page_info: PageInfo

    @classmethod
    def from_page(cls, key: ConnectionKey, page: Page[CallbackRecord]) -> CallbackConnection:
        nodes = [Callback.from_record(r) for r in page.items]
        edges = [CallbackEdge(cursor=encode_cursor(key, n.callback_id), node=n) for n in nodes]
        return cls(edges=edges, nodes=nodes, page_info=_page_info(page, edges))


def _page_info(page: Page[Any], edges: list[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


_SIGNATURE_HEADERS = frozenset({"metorial-signature"})


def redact_signature(headers: Any) -> Any:
    """Request headers as shown to clients: the signature's value never is."""
    if isinstance(headers, dict):
        return {
            k: "[redacted]" if str(k).lower() in _SIGNATURE_HEADERS else v
            for k, v in headers.items()
        }
    if isinstance(headers, list):  # [{key, value}] as some versions send them
        return [
            {**h, "value": "[redacted]"}
            if isinstance(h, dict) and str(h.get("key", "")).lower() in _SIGNATURE_HEADERS
            else h
            for h in headers
        ]
    return headers


def to_order(order: SortOrder | None) -> Literal["asc", "desc"]:
    return "desc" if order is SortOrder.DESC else "asc"
