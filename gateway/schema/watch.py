"""Watching a destination's deliveries: one poll per (credential, destination), shared.

However many subscribers watch the same destination with the same credential, the
upstream is asked once per interval; the poll stops when the last subscriber leaves.
The first answer is the baseline; from then on every delivery that is new or has
changed (status, attempts) goes to each subscriber, oldest first.

Usage::

    watches = DeliveryWatches(upstream, versions, interval=2.0)
    async for delivery in watches.watch(credential, destination_id):
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from gateway.errors import ErrorCode, GatewayError
from gateway.upstream.client import Credential, Upstream
from gateway.upstream.records import DeliveryRecord, PageQuery
from gateway.upstream.session import UpstreamSession
from gateway.upstream.versions import VersionSelector

WATCHED = 20  # the newest deliveries compared at each poll
QUEUE = 100  # updates waiting for one subscriber; past it the oldest are dropped
_FINAL = {ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND}

logger = logging.getLogger("gateway.watch")
Update = DeliveryRecord | GatewayError


@dataclasses.dataclass
class _Poll:
    task: asyncio.Task[None] | None = None
    subscribers: set[asyncio.Queue[Update]] = dataclasses.field(default_factory=set)
    polls: int = 0  # rounds asked upstream (for tests and metrics)


class DeliveryWatches:
    def __init__(
        self, upstream: Callable[[], Upstream], versions: VersionSelector, interval: float
    ) -> None:
        self.upstream = upstream
        self.versions = versions
        self.interval = interval
        self.polls: dict[tuple[str, str], _Poll] = {}

    async def watch(self, credential: Credential, destination_id: str) -> AsyncIterator[Update]:
        """Updates for one subscriber; a GatewayError ends the watch (the caller raises it)."""
        key = (credential.fingerprint, destination_id)
        poll = self.polls.get(key)
        if poll is None:
            poll = self.polls[key] = _Poll()
            poll.task = asyncio.ensure_future(self._run(poll, credential, destination_id))
        queue: asyncio.Queue[Update] = asyncio.Queue(QUEUE)
        poll.subscribers.add(queue)
        try:
            while True:
                update = await queue.get()
                yield update
                if isinstance(update, GatewayError):
                    return
        finally:
            poll.subscribers.discard(queue)
            if not poll.subscribers and self.polls.get(key) is poll:
                del self.polls[key]
                if poll.task is not None:
                    poll.task.cancel()

    async def _run(self, poll: _Poll, credential: Credential, destination_id: str) -> None:
        seen: dict[str, Any] | None = None
        while True:
            try:
                found = await self._ask(credential, destination_id)
            except GatewayError as error:
                if error.code in _FINAL:
                    _send(poll, error)
                    return
                logger.warning("delivery watch: %s (asking again)", error.message)
            else:
                poll.polls += 1
                now = {d.key: (d.status, d.attempt_count, d.last_attempt_at) for d in found}
                if seen is not None:
                    for delivery in reversed(found):
                        if seen.get(delivery.key) != now[delivery.key]:
                            _send(poll, delivery)
                seen = now
            await asyncio.sleep(self.interval)

    async def _ask(self, credential: Credential, destination_id: str) -> list[DeliveryRecord]:
        session = UpstreamSession(self.upstream(), credential, read_cache=False)
        selected = await self.versions.select(session)
        api = selected(session, on_endpoint_missing=lambda: self.versions.forget(selected))
        destination = await api.get_destination(destination_id)
        if destination is None:
            raise GatewayError(ErrorCode.NOT_FOUND, "No such callback destination.")
        page = await api.list_deliveries(destination, PageQuery(WATCHED, "desc"), None)
        return page.items


def _send(poll: _Poll, update: Update) -> None:
    for queue in poll.subscribers:
        if queue.full():  # a slow subscriber loses its oldest update, never the poll
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
        queue.put_nowait(update)
