"""Per-request context: the upstream API (of the version in use) and the DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader

from gateway.schema.cost import RequestBudget
from gateway.schema.watch import DeliveryWatches
from gateway.upstream.api import CallbacksApi
from gateway.upstream.client import Credential, Upstream
from gateway.upstream.records import (
    CallbackRecord,
    DeliveryRecord,
    DestinationRecord,
    EventRecord,
)
from gateway.upstream.session import UpstreamSession
from gateway.upstream.versions import VersionSelector

R = TypeVar("R", DestinationRecord, CallbackRecord, EventRecord, DeliveryRecord)


class Context:
    """Built once per GraphQL request; loaders dedupe and run every fetch by id concurrently."""

    def __init__(
        self,
        upstream: Upstream,
        versions: VersionSelector,
        credential: Credential | None,
        *,
        read_cache: bool = True,
        request_id: str | None = None,
        budget: RequestBudget | None = None,
        watches: DeliveryWatches | None = None,
    ) -> None:
        self.settings = upstream.settings
        self.budget = budget  # upstream requests this HTTP request may still make
        self.session = UpstreamSession(
            upstream,
            credential,
            read_cache=read_cache,
            request_id=request_id,
            on_request=None if budget is None else budget.use,
        )
        self.versions = versions
        self.watches = watches  # subscriptions' shared polls (WebSocket connections only)
        self.connection_params: dict[str, object] = {}  # graphql-transport-ws connection_init
        self._api: asyncio.Future[CallbacksApi] | None = None
        self.destinations: DataLoader[str, DestinationRecord | None] = DataLoader(
            load_fn=self._load_destinations
        )
        self.callbacks: DataLoader[str, CallbackRecord | None] = DataLoader(
            load_fn=self._load_callbacks
        )
        self.events: DataLoader[str, EventRecord | None] = DataLoader(load_fn=self._load_events)
        self.deliveries: DataLoader[str, DeliveryRecord | None] = DataLoader(
            load_fn=self._load_deliveries
        )

    @property
    def oldest_data(self) -> float:
        """When the oldest upstream answer this request used was fetched (time.monotonic())."""
        return self.session.oldest_data

    async def api(self) -> CallbacksApi:
        """The upstream API of the version in use, found once per request."""
        if self._api is None:
            self._api = asyncio.ensure_future(self._select())
        return await self._api

    async def _select(self) -> CallbacksApi:
        self.session.require_credential()
        api = await self.versions.select(self.session)
        return api(self.session, on_endpoint_missing=lambda: self.versions.forget(api))

    def prime_destinations(self, records: Iterable[DestinationRecord]) -> None:
        _prime(self.destinations, records)

    def prime_callbacks(self, records: Iterable[CallbackRecord]) -> None:
        _prime(self.callbacks, records)

    def prime_events(self, records: Iterable[EventRecord]) -> None:
        _prime(self.events, records)

    def prime_deliveries(self, records: Iterable[DeliveryRecord]) -> None:
        _prime(self.deliveries, records)

    async def all_callbacks(self) -> list[CallbackRecord]:
        """Every callback of the instance, fetched once per request."""
        records = await (await self.api()).all_callbacks()
        self.prime_callbacks(records)
        return records

    async def _load_destinations(
        self, ids: Sequence[str]
    ) -> list[DestinationRecord | Exception | None]:
        api = await self.api()
        return await _each(api.get_destination(i) for i in ids)

    async def _load_callbacks(self, ids: Sequence[str]) -> list[CallbackRecord | Exception | None]:
        api = await self.api()
        return await _each(api.get_callback(i) for i in ids)

    async def _load_events(self, keys: Sequence[str]) -> list[EventRecord | Exception | None]:
        api = await self.api()
        return await _each(api.get_event(k) for k in keys)

    async def _load_deliveries(
        self, keys: Sequence[str]
    ) -> list[DeliveryRecord | Exception | None]:
        api = await self.api()
        return await _each(api.get_delivery(k) for k in keys)


async def _each(lookups: Iterable[Awaitable[R | None]]) -> list[R | Exception | None]:
    """Run lookups concurrently; each failure goes to its own caller."""
    results = await asyncio.gather(*lookups, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result  # a cancellation is the whole request's, not one id's
    return [r for r in results if not isinstance(r, BaseException) or isinstance(r, Exception)]


def _prime(loader: DataLoader[str, R | None], records: Iterable[R]) -> None:
    for record in records:
        loader.prime(_key(record), record, force=True)


def _key(record: DestinationRecord | CallbackRecord | EventRecord | DeliveryRecord) -> str:
    return record.key if isinstance(record, EventRecord | DeliveryRecord) else record.id
