"""The connection to Redis, and what the gateway does when Redis is in trouble.

Every Redis command goes through `RedisStore.run`, which bounds it (`timeout` seconds,
connecting included) and never raises: on an error or a timeout it returns the caller's
default, and the caller serves without Redis (from the upstream directly). State changes
(up -> down, down -> up) are logged once each and shown on /metrics (`gateway_redis_up`,
`gateway_redis_errors_total`). While down, commands are skipped (no timeout paid per
request) except one probe at a time after a backoff (0.25 s doubling to 5 s): the first
probe that succeeds brings Redis back into use.

Usage::

    store = RedisStore.from_settings(settings, metrics)
    value = await store.run("get", lambda r: r.get(store.prefix + "k"), default=None)
    await store.aclose()
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.metrics import Metrics
from gateway.settings import Settings

T = TypeVar("T")
logger = logging.getLogger("gateway.redis")

FIRST_BACKOFF = 0.25  # seconds before the first probe of a Redis found down
MAX_BACKOFF = 5.0
Redis = aioredis.Redis


class RedisStore:
    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        timeout: float,
        max_connections: int,
        metrics: Metrics,
    ) -> None:
        self.prefix = prefix
        self.timeout = timeout
        self.metrics = metrics
        self.client: Redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            max_connections=max_connections,
            retry_on_timeout=False,
        )
        self._password = urlsplit(url).password
        self.up = True
        self._retry_at = 0.0
        self._backoff = FIRST_BACKOFF
        self._probing = False
        self._on_up: list[Callable[[], Awaitable[object]]] = []
        metrics.redis_up.set(1)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r}, up={self.up})"

    @classmethod
    def from_settings(cls, settings: Settings, metrics: Metrics) -> RedisStore:
        assert settings.redis_url is not None
        return cls(
            settings.redis_url,
            prefix=settings.redis_prefix,
            timeout=settings.redis_timeout,
            max_connections=settings.redis_max_connections,
            metrics=metrics,
        )

    @property
    def available(self) -> bool:
        """Whether a command would be sent now (up, or due for a probe)."""
        return self.up or (not self._probing and time.monotonic() >= self._retry_at)

    async def run(
        self,
        operation: str,
        command: Callable[[Redis], Awaitable[T]],
        default: T,
        *,
        always: bool = False,
    ) -> T:
        """`command(client)`, bounded; `default` when Redis is down, slow or failing.
        `always`: send it even while Redis is thought down (a write's generation bump:
        other processes may already be using Redis again)."""
        probe = not self.up and not always
        if probe:
            if self._probing or time.monotonic() < self._retry_at:
                return default
            self._probing = True
        try:
            async with asyncio.timeout(self.timeout * 2):  # a command and a reconnect
                result = await command(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(operation, exc)
            return default
        finally:
            if probe:
                self._probing = False
        if not self.up:
            await self._recovered()
        return result

    async def ping(self) -> bool:
        """Whether Redis answers now (also probes a Redis found down)."""
        return await self.run("ping", lambda r: r.ping(), default=False) is not False

    def on_up(self, callback: Callable[[], Awaitable[object]]) -> None:
        """Run `callback` (bounded by its own commands) when Redis comes back."""
        self._on_up.append(callback)

    async def aclose(self) -> None:
        await self.client.aclose()

    def _failed(self, operation: str, exc: BaseException) -> None:
        self.metrics.redis_errors.labels(operation).inc()
        now = time.monotonic()
        if self.up:
            self.up = False
            self._backoff = FIRST_BACKOFF
            self.metrics.redis_up.set(0)
            logger.warning("redis unavailable, serving without it: %s", self._describe(exc))
        else:
            self._backoff = min(MAX_BACKOFF, self._backoff * 2)
        self._retry_at = now + self._backoff

    async def _recovered(self) -> None:
        self.up = True
        self.metrics.redis_up.set(1)
        logger.warning("redis available again")
        for callback in self._on_up:
            await callback()

    def _describe(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"[:300]
        return text.replace(self._password, "***") if self._password else text
