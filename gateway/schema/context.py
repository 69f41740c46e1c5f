"""Per-request context: the caller's credential and the request's DataLoaders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.errors import ErrorCode, GatewayError
from gateway.schema.cost import RequestBudget
from gateway.schema.pagination import read_envelope
from gateway.upstream.client import (
    CALLBACKS_PATH,
    DESTINATIONS_PATH,
    JSON,
    Credential,
    Query,
    Upstream,
    UpstreamRejection,
)

Record = dict[str, Any]
_MAX_CALLBACK_PAGES = 20  # `CallbackSelection.callbacks` for ALL reads at most 2,000 callbacks


class Context:
    """Built once per GraphQL request; loaders dedupe and run every fetch by id concurrently."""

    def __init__(
        self,
        upstream: Upstream,
        credential: Credential | None,
        *,
        read_cache: bool = True,
        request_id: str | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        self.upstream = upstream
        self.budget = budget  # upstream requests this HTTP request may still make
        self.credential = credential
        self.read_cache = read_cache
        self.request_id = request_id
        self.destinations: DataLoader[str, Record | None] = DataLoader(
            load_fn=lambda ids: self._load_many(DESTINATIONS_PATH, ids)
        )
        self.callbacks: DataLoader[str, Record | None] = DataLoader(
            load_fn=lambda ids: self._load_many(CALLBACKS_PATH, ids)
        )
        self._all_callbacks: asyncio.Future[list[Record]] | None = None
        # When the oldest upstream data this request used was fetched (time.monotonic()).
        self.oldest_data = time.monotonic()

    def require_credential(self) -> Credential:
        if self.credential is None:
            raise GatewayError(
                ErrorCode.UNAUTHENTICATED,
                "Missing credentials: send `Authorization: Bearer <Metorial secret key>`.",
            )
        return self.credential

    async def get(self, path: str, query: Query = ()) -> JSON:
        if self.budget is not None:
            self.budget.use()
        value, fetched_at = await self.upstream.get_dated(
            self.require_credential(),
            path,
            query,
            read_cache=self.read_cache,
            request_id=self.request_id,
        )
        self.oldest_data = min(self.oldest_data, fetched_at)
        return value

    async def write(self, method: str, path: str, body: dict[str, Any] | None = None) -> JSON:
        return await self.upstream.write(
            self.require_credential(), method, path, body, request_id=self.request_id
        )

    def prime(self, path: str, records: Sequence[Record]) -> None:
        loader = self.destinations if path == DESTINATIONS_PATH else self.callbacks
        for record in records:
            if isinstance(record.get("id"), str):
                loader.prime(record["id"], record, force=True)

    async def all_callbacks(self) -> list[Record]:
        """Every callback of the instance, fetched once per request."""
        if self._all_callbacks is None:
            self._all_callbacks = asyncio.ensure_future(self._fetch_all_callbacks())
        return await self._all_callbacks

    async def _fetch_all_callbacks(self) -> list[Record]:
        records: list[Record] = []
        query: list[tuple[str, str]] = [("limit", "100")]
        for _ in range(_MAX_CALLBACK_PAGES):
            body = await self.get(CALLBACKS_PATH, query)
            page = read_envelope(body)
            items = [item for item in page.items if isinstance(item, dict) and item.get("id")]
            records.extend(items)
            if not items or not page.has_next_page:
                break
            query = [("limit", "100"), ("after", str(items[-1]["id"]))]
        self.prime(CALLBACKS_PATH, records)
        return records

    async def _load_many(self, path: str, ids: Sequence[str]) -> list[Record | Exception | None]:
        results = await asyncio.gather(
            *(self._load_one(path, i) for i in ids), return_exceptions=True
        )
        return [r if r is None or isinstance(r, dict | Exception) else None for r in results]

    async def _load_one(self, path: str, upstream_id: str) -> Record | None:
        try:
            body = await self.get(f"{path}/{upstream_id}")
        except UpstreamRejection as exc:
            if exc.object_missing:
                return None
            raise
        return body if isinstance(body, dict) else None
