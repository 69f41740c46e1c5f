"""The typed API every upstream version offers the schema, and what the versions share.

An adapter is built per GraphQL request around its session. It alone formats paths,
sends the version header, reads list envelopes and error bodies, and turns 4xx answers
into neutral `FieldError`s. Resolvers and mutations call its methods only.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from gateway.errors import upstream_malformed
from gateway.upstream.client import JSON, Call, UpstreamRejection
from gateway.upstream.records import (
    SAFE_ID,
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
    Selection,
    WriteResult,
)
from gateway.upstream.session import UpstreamSession

T = TypeVar("T")
MAX_CALLBACK_PAGES = 20  # the walk over every callback reads at most 2,000 of them
WALK_PAGE_SIZE = 100  # callbacks per page of that walk
MAX_FILTER_PAGES = 10  # upstream pages read to fill one page filtered here
MAX_EVENT_DELIVERIES = 100  # deliveries listed for one event


class CallbacksApi(abc.ABC):
    """One upstream API version, as typed methods over one request's session."""

    version: ClassVar[str]  # the display name, e.g. "2025-01-01"
    key: ClassVar[str]  # the internal key sent as `metorial-version`
    probe_route: ClassVar[str]  # a list route only this version serves
    # Upstream body field -> GraphQL input field path, where the names differ.
    body_fields: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(
        self, session: UpstreamSession, on_endpoint_missing: Callable[[], None] | None = None
    ) -> None:
        self.session = session
        self._on_endpoint_missing = on_endpoint_missing
        self._all_callbacks: asyncio.Future[list[CallbackRecord]] | None = None

    # --- reads -------------------------------------------------------------------------

    @abc.abstractmethod
    async def list_destinations(
        self, page: PageQuery, callback_ids: Sequence[str] = ()
    ) -> RecordPage[DestinationRecord]:
        """Destinations; with `callback_ids`, those receiving any of these callbacks."""

    @abc.abstractmethod
    async def get_destination(self, destination_id: str) -> DestinationRecord | None: ...

    @abc.abstractmethod
    async def list_callbacks(self, page: PageQuery) -> RecordPage[CallbackRecord]: ...

    @abc.abstractmethod
    async def get_callback(self, callback_id: str) -> CallbackRecord | None: ...

    @abc.abstractmethod
    async def destinations_of(
        self, callback: CallbackRecord, page: PageQuery
    ) -> RecordPage[DestinationRecord]:
        """The destinations receiving `callback`'s events."""

    @abc.abstractmethod
    async def selection_of(self, destination: DestinationRecord) -> Selection:
        """Which callbacks `destination` receives."""

    # --- the delivery log ----------------------------------------------------------------

    @abc.abstractmethod
    async def list_events(
        self, callback: CallbackRecord, page: PageQuery
    ) -> RecordPage[EventRecord]: ...

    @abc.abstractmethod
    async def get_event(self, key: str) -> EventRecord | None: ...

    @abc.abstractmethod
    async def list_deliveries(
        self, destination: DestinationRecord, page: PageQuery, status: str | None
    ) -> RecordPage[DeliveryRecord]:
        """The deliveries to one destination, with this status when given."""

    @abc.abstractmethod
    async def get_delivery(self, key: str) -> DeliveryRecord | None: ...

    @abc.abstractmethod
    async def deliveries_of_event(self, event: EventRecord) -> list[DeliveryRecord]:
        """The deliveries of one event (at most MAX_EVENT_DELIVERIES)."""

    async def all_callbacks(self) -> list[CallbackRecord]:
        """Every callback of the instance (up to MAX_CALLBACK_PAGES pages), once per request."""
        if self._all_callbacks is None:
            self._all_callbacks = asyncio.ensure_future(self._walk_callbacks())
        return await self._all_callbacks

    async def _walk_callbacks(self) -> list[CallbackRecord]:
        records: list[CallbackRecord] = []
        page = PageQuery(limit=WALK_PAGE_SIZE, order="asc")
        for _ in range(MAX_CALLBACK_PAGES):
            found = await self.list_callbacks(page)
            records.extend(found.items)
            if not found.items or not found.has_more_after:
                break
            page = PageQuery(limit=WALK_PAGE_SIZE, order="asc", after=found.items[-1].id)
        return records

    # --- writes ------------------------------------------------------------------------

    @abc.abstractmethod
    async def create_destination(self, new: NewDestination) -> WriteResult: ...

    @abc.abstractmethod
    async def update_destination(
        self, destination_id: str, changes: DestinationChanges
    ) -> WriteResult: ...

    @abc.abstractmethod
    async def delete_destination(self, destination_id: str) -> WriteResult: ...

    @staticmethod
    @abc.abstractmethod
    def read_destination(raw: JSON) -> DestinationRecord:
        """A destination object of this version as a record (UPSTREAM_ERROR if malformed)."""

    @abc.abstractmethod
    def bad_request_error(
        self, rejection: UpstreamRejection, fallback: tuple[str, ...]
    ) -> FieldError:
        """What a 400 other than `invalid_data` means, as this version words it."""

    # --- what the versions share -------------------------------------------------------

    async def write_destination(
        self,
        method: str,
        call: Call,
        body: dict[str, Any] | None,
        fallback: tuple[str, ...],
    ) -> WriteResult:
        """Send a write about a destination; a refusal that is about the input becomes
        field errors (`fallback` names the field when the upstream does not)."""
        try:
            record = await self.write(method, call, body)
        except UpstreamRejection as rejection:
            if rejection.object_missing:
                return WriteResult(None, (_not_found(rejection),))
            if rejection.status != 400:
                raise
            errors = validation_errors(rejection, self.body_fields)
            if errors is None:
                errors = [self.bad_request_error(rejection, fallback)]
            return WriteResult(None, tuple(errors))
        return WriteResult(self.read_destination(record))

    def call(self, route: str, **ids: str) -> Call:
        """A request to `route` (a template such as "/callbacks/{id}") for these ids."""
        for value in ids.values():
            if not SAFE_ID.fullmatch(value):  # never let an id change the path
                raise upstream_malformed("id")
        return Call(self.key, route, route.format(**ids))

    async def get(self, call: Call, query: Sequence[tuple[str, str]] = ()) -> JSON:
        try:
            return await self.session.get(call, query)
        except UpstreamRejection as rejection:
            self._check_endpoint(rejection)
            raise

    async def get_object(self, call: Call) -> JSON | None:
        """An object by id; None when the upstream says it does not exist."""
        try:
            return await self.get(call)
        except UpstreamRejection as rejection:
            if rejection.object_missing:
                return None
            raise

    async def write(self, method: str, call: Call, body: dict[str, Any] | None = None) -> JSON:
        self._all_callbacks = None  # read again after a write: links may have changed
        try:
            return await self.session.write(method, call, body)
        except UpstreamRejection as rejection:
            self._check_endpoint(rejection)
            raise

    def _check_endpoint(self, rejection: UpstreamRejection) -> None:
        if rejection.endpoint_missing and self._on_endpoint_missing is not None:
            self._on_endpoint_missing()  # the upstream may have changed version: ask again


def page_params(page: PageQuery) -> list[tuple[str, str]]:
    """The upstream's pagination query (the same in every version so far)."""
    query = [("limit", str(page.limit)), ("order", page.order)]
    if page.after is not None:
        query.append(("after", page.after))
    elif page.before is not None:
        query.append(("before", page.before))
    return query


def read_list(body: JSON, read: Callable[[JSON], T], limit: int) -> RecordPage[T]:
    """A list envelope: `items` read one by one, `pagination.has_more_*`."""
    items = body.get("items") if isinstance(body, dict) else None
    pagination = body.get("pagination") if isinstance(body, dict) else None
    if not isinstance(items, list) or not isinstance(pagination, dict):
        raise upstream_malformed("list envelope")
    if len(items) > limit:  # never pass on (or spend time on) more than was asked for
        raise upstream_malformed("page (more items than asked for)")
    return RecordPage(
        [read(item) for item in items],
        has_more_before=bool(pagination.get("has_more_before")),
        has_more_after=bool(pagination.get("has_more_after")),
    )


def page_locally(items: Sequence[T], id_of: Callable[[T], str], page: PageQuery) -> RecordPage[T]:
    """Page a list held in full as the upstream pages its own lists: by id, `after` or
    `before` an id (present in the list or not)."""
    ordered = sorted(items, key=id_of, reverse=page.order == "desc")

    def precedes(a: str, b: str) -> bool:
        return a < b if page.order == "asc" else a > b

    if page.after is not None:
        cursor = page.after
        rest = [i for i in ordered if precedes(cursor, id_of(i))]
        chosen = rest[: page.limit]
        more_before = len(rest) < len(ordered)
        return RecordPage(chosen, more_before, len(rest) > len(chosen))
    if page.before is not None:
        cursor = page.before
        head = [i for i in ordered if precedes(id_of(i), cursor)]
        chosen = head[-page.limit :] if page.limit else []
        more_after = len(head) < len(ordered)
        return RecordPage(chosen, len(head) > len(chosen), more_after)
    chosen = list(ordered[: page.limit])
    return RecordPage(chosen, False, len(ordered) > len(chosen))


def merge_pages(
    pages: Sequence[RecordPage[T]], id_of: Callable[[T], str], page: PageQuery
) -> RecordPage[T]:
    """One page of several upstream lists read with the same `page` query: the first
    `page.limit` of their union, in order (ids sort by creation time across lists). Each
    list gave its own first `limit` past the cursor, so none of the union's is missing."""
    items = {id_of(item): item for found in pages for item in found.items}
    ordered = sorted(items.values(), key=id_of, reverse=page.order == "desc")
    chosen = ordered[: page.limit]
    more_after = len(ordered) > len(chosen) or any(p.has_more_after for p in pages)
    return RecordPage(chosen, any(p.has_more_before for p in pages), more_after)


async def filtered_page(
    fetch: Callable[[PageQuery], Awaitable[RecordPage[T]]],
    keep: Callable[[T], bool],
    id_of: Callable[[T], str],
    page: PageQuery,
) -> RecordPage[T]:
    """A page of the items `keep` accepts, for a list the upstream cannot filter: reads
    pages forward until `page.limit` are kept (at most MAX_FILTER_PAGES pages; past that,
    more is assumed to follow). `before` is never asked here: backward pages come as
    `after` in the opposite order (gateway.schema.pagination)."""
    kept: list[T] = []
    query = PageQuery(WALK_PAGE_SIZE, page.order, after=page.after)
    more = False
    for _ in range(MAX_FILTER_PAGES):
        found = await fetch(query)
        kept.extend(item for item in found.items if keep(item))
        more = found.has_more_after
        if len(kept) > page.limit or not more or not found.items:
            break
        query = PageQuery(WALK_PAGE_SIZE, page.order, after=id_of(found.items[-1]))
    return RecordPage(kept[: page.limit], page.after is not None, len(kept) > page.limit or more)


def validation_errors(
    rejection: UpstreamRejection, field_names: Mapping[str, tuple[str, ...]]
) -> list[FieldError] | None:
    """A 400 `invalid_data` answer as field errors (its paths renamed by `field_names`),
    or None for any other answer."""
    body = rejection.body
    entries = body.get("errors") if body.get("code") == "invalid_data" else None
    if not isinstance(entries, list) or not entries:
        return None
    errors: list[FieldError] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        path: list[str] = []
        for part in entry.get("path") or []:
            path.extend(field_names.get(str(part), (str(part),)))
        if entry.get("code") == "max_length":
            code = FieldErrorCode.TOO_LONG
        elif entry.get("received") == "undefined":
            code = FieldErrorCode.REQUIRED
        else:
            code = FieldErrorCode.INVALID
        message = entry.get("message")
        text = message if isinstance(message, str) else "Invalid value."
        errors.append(FieldError(tuple(path), text, code))
    return errors


def _not_found(rejection: UpstreamRejection) -> FieldError:
    return FieldError(("id",), rejection.message, FieldErrorCode.NOT_FOUND)


def not_supported(field: tuple[str, ...], message: str) -> WriteResult:
    return WriteResult(None, (FieldError(field, message, FieldErrorCode.NOT_SUPPORTED),))
