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
from gateway.schema.lists import PageArgs, destinations_of
from gateway.schema.pagination import Page
from gateway.upstream.records import CallbackRecord, DestinationRecord, Selection

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


def to_order(order: SortOrder | None) -> Literal["asc", "desc"]:
    return "desc" if order is SortOrder.DESC else "asc"
