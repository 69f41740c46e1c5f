"""One GraphQL request's view of the upstream: its credential, cache policy and budget."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from gateway.errors import ErrorCode, GatewayError
from gateway.upstream.client import JSON, Call, Credential, Query, Upstream


@dataclasses.dataclass
class UpstreamSession:
    """What the adapters send through. `on_request` is called before every real lookup
    (the per-request upstream budget); `oldest_data` is when the oldest answer used was
    fetched (time.monotonic())."""

    client: Upstream
    credential: Credential | None
    read_cache: bool = True
    request_id: str | None = None
    on_request: Callable[[], None] | None = None
    oldest_data: float = dataclasses.field(default_factory=time.monotonic)

    def require_credential(self) -> Credential:
        if self.credential is None:
            raise GatewayError(
                ErrorCode.UNAUTHENTICATED,
                "Missing credentials: send `Authorization: Bearer <Metorial secret key>`.",
            )
        return self.credential

    async def get(self, call: Call, query: Query = ()) -> JSON:
        if self.on_request is not None:
            self.on_request()
        value, fetched_at = await self.client.get_dated(
            self.require_credential(),
            call,
            query,
            read_cache=self.read_cache,
            request_id=self.request_id,
        )
        self.oldest_data = min(self.oldest_data, fetched_at)
        return value

    async def write(self, method: str, call: Call, body: dict[str, Any] | None = None) -> JSON:
        return await self.client.write(
            self.require_credential(), method, call, body, request_id=self.request_id
        )

    async def probe(self, call: Call) -> bool:
        return await self.client.probe(self.require_credential(), call, self.request_id)
