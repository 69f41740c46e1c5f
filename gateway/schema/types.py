"""The GraphQL object types, built from upstream records.

The schema is independent of the REST shapes: records are read here, once, into
fields named for GraphQL clients (`destinationId`, `webhookDestination`, ...).
"""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Any

import strawberry

from gateway.errors import upstream_malformed
from gateway.schema.context import Context, Record
from gateway.schema.cursors import ConnectionKey, encode_cursor
from gateway.schema.ids import to_global_id
from gateway.schema.pagination import Page

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
    callback_id: str = strawberry.field(description="The upstream id, `clb_...`.")
    type: CallbackType
    name: str | None
    description: str | None
    url: str | None
    schedule: CallbackSchedule | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @strawberry.field(description="Destinations receiving this callback's events.")
    async def destinations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order: SortOrder | None = SortOrder.ASC,
    ) -> Annotated[CallbackDestinationConnection, strawberry.lazy("gateway.schema.types")]:
        from gateway.schema.query import PageArgs, destinations_connection

        args = PageArgs(first, after, last, before, order)
        return await destinations_connection(info, args, [self.callback_id])

    @classmethod
    def from_record(cls, record: Record) -> Callback:
        try:
            schedule = record.get("schedule")
            return cls(
                id=strawberry.ID(to_global_id("Callback", record["id"])),
                callback_id=record["id"],
                type=CallbackType(record["type"]),
                name=record.get("name"),
                description=record.get("description"),
                url=record.get("url"),
                schedule=CallbackSchedule(
                    interval_seconds=schedule.get("interval_seconds"),
                    next_run_at=_optional_datetime(schedule.get("next_run_at")),
                )
                if isinstance(schedule, dict)
                else None,
                created_at=_parse_datetime(record["created_at"]),
                updated_at=_parse_datetime(record["updated_at"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise upstream_malformed("callback") from None


@strawberry.type(description="The callbacks a destination receives events from.")
class CallbackSelection:
    type: CallbackSelectionType
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


@strawberry.type(description="Where Metorial delivers callback events (a webhook).")
class CallbackDestination(Node):
    id: strawberry.ID
    destination_id: str = strawberry.field(description="The upstream id, `cld_...`.")
    type: CallbackDestinationType
    name: str
    description: str
    webhook_destination: WebhookDestination | None = strawberry.field(
        description="Null only when the destination was created with an empty url."
    )
    callbacks: CallbackSelection
    created_at: datetime.datetime

    @classmethod
    def from_record(cls, record: Record) -> CallbackDestination:
        try:
            webhook = record.get("webhook_destination")
            selection = record["callbacks"]
            return cls(
                id=strawberry.ID(to_global_id("CallbackDestination", record["id"])),
                destination_id=record["id"],
                type=CallbackDestinationType(record["type"]),
                name=record["name"],
                description=record.get("description") or "",
                webhook_destination=WebhookDestination(
                    url=webhook["url"], signing_secret=webhook["signing_secret"]
                )
                if webhook
                else None,
                callbacks=CallbackSelection(
                    type=CallbackSelectionType(selection["type"]),
                    callback_ids=list(selection.get("callback_ids") or []),
                ),
                created_at=_parse_datetime(record["created_at"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise upstream_malformed("callback destination") from None


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
    def from_page(cls, key: ConnectionKey, page: Page) -> CallbackDestinationConnection:
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
    def from_page(cls, key: ConnectionKey, page: Page) -> CallbackConnection:
        nodes = [Callback.from_record(r) for r in page.items]
        edges = [CallbackEdge(cursor=encode_cursor(key, n.callback_id), node=n) for n in nodes]
        return cls(edges=edges, nodes=nodes, page_info=_page_info(page, edges))


def _page_info(page: Page, edges: list[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


def _optional_datetime(value: object) -> datetime.datetime | None:
    return None if value is None else _parse_datetime(value)
