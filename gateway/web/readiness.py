"""Readiness: is the upstream there, which API version does it speak, is Redis up.

`/readyz` answers from one probe a second at most, shared by concurrent callers; the
server key, when there is one, finds the API version at start and on the probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from gateway.errors import ErrorCode, GatewayError
from gateway.redis_store import RedisStore
from gateway.upstream.client import Credential, Upstream
from gateway.upstream.sealing import PROCESS_KEYRING, Keyring
from gateway.upstream.session import UpstreamSession
from gateway.upstream.versions import AUTO, VersionSelector

READINESS_INTERVAL = 1.0  # seconds a /readyz answer is reused
READINESS_TIMEOUT = 5.0  # seconds the whole probe may take (version detection included)
logger = logging.getLogger("gateway.upstream")


class Readiness:
    """Whether the upstream answers HTTP at all (even a 401 without a key) and which API
    version is spoken. One probe a second at most, shared by concurrent callers: /readyz
    is no free load on the upstream."""

    def __init__(
        self,
        upstream: Callable[[], Upstream],
        versions: VersionSelector,
        server_key: str | None,
        keyring: Keyring = PROCESS_KEYRING,
        redis: RedisStore | None = None,
    ) -> None:
        self.upstream = upstream
        self.versions = versions
        self.server_key = server_key
        self.keyring = keyring
        self.redis = redis
        self.checked = -READINESS_INTERVAL
        self.probe: asyncio.Task[dict[str, Any]] | None = None

    async def check(self) -> dict[str, Any]:
        now = time.monotonic()
        if self.probe is None or (self.probe.done() and now - self.checked >= READINESS_INTERVAL):
            self.checked = now
            self.probe = asyncio.ensure_future(self._probe())
        return await asyncio.shield(self.probe)

    async def _probe(self) -> dict[str, Any]:
        """Bounded as a whole (an upstream that trickles bytes is not ready); the status
        line and headers of the reachability check are enough: its body is never read."""
        try:
            async with asyncio.timeout(READINESS_TIMEOUT):
                return await self._check()
        except TimeoutError:
            return {
                "status": "unavailable",
                "upstreamVersion": self.versions.version,
                "reason": "The upstream did not answer in time.",
            }

    async def _check(self) -> dict[str, Any]:
        answer = await self._check_upstream()
        if self.redis is not None:
            # Without Redis the gateway serves from the upstream: degraded, not unready.
            up = await self.redis.ping()
            answer["redis"] = "up" if up else "down"
            if not up and answer["status"] == "ready":
                answer["status"] = "degraded"
        return answer

    async def _check_upstream(self) -> dict[str, Any]:
        if self.server_key is not None and self.versions.current is None:
            with contextlib.suppress(GatewayError):  # reported below
                await detect_version(self.upstream(), self.versions, self.server_key, self.keyring)
        answer: dict[str, Any] = {"upstreamVersion": self.versions.version}
        http = self.upstream().http
        try:
            response = await http.send(http.build_request("GET", "/", timeout=2.0), stream=True)
            await response.aclose()
        except httpx.HTTPError:
            return {"status": "unavailable", **answer, "reason": "The upstream is unreachable."}
        problem = self.versions.problem
        if problem is not None:
            return {"status": "unavailable", **answer, "reason": problem}
        return {"status": "ready", **answer}


async def detect_version(
    upstream: Upstream, versions: VersionSelector, key: str, keyring: Keyring = PROCESS_KEYRING
) -> str:
    """Find the upstream's API version with the server key (logged by the selector)."""
    session = UpstreamSession(upstream, Credential.from_header(f"Bearer {key}", keyring))
    return (await versions.select(session)).version


async def detect_at_start(
    upstream: Upstream,
    versions: VersionSelector,
    key: str,
    keyring: Keyring,
    announce: Callable[[str], None],
) -> None:
    """Say the version in use soon after start. The embedded emulator listens only once
    start-up is over, so an unreachable upstream is asked again a few times."""
    for _ in range(20):
        try:
            announce(await detect_version(upstream, versions, key, keyring))
            return
        except GatewayError as exc:
            if exc.code is not ErrorCode.UPSTREAM_UNAVAILABLE:
                logger.warning("upstream API version not detected: %s", exc.message)
                announce(f"{AUTO} (not detected: {exc.message})")
                return
        await asyncio.sleep(0.25)
    announce(f"{AUTO} (not detected: the upstream is unreachable)")
