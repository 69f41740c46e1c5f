"""Which upstream API version to speak: fixed by configuration, or found by asking.

`auto` probes the newest version first (`GET <its list route>?limit=1` with the first
caller's credential); a 404 `endpoint` means "not served here", any answer means served.
The answer is remembered until a call meets a 404 `endpoint` (the upstream changed), then
asked again. When no version answers the gateway never guesses: operations fail with
UPSTREAM_ERROR naming the versions tried (remembered for a few seconds, then asked again).
"""

from __future__ import annotations

import asyncio
import logging
import time

from gateway.errors import ErrorCode, GatewayError
from gateway.upstream.api import CallbacksApi
from gateway.upstream.client import Call
from gateway.upstream.session import UpstreamSession
from gateway.upstream.v2025 import Api2025
from gateway.upstream.v2026 import Api2026

AUTO = "auto"
NEWEST_FIRST: tuple[type[CallbacksApi], ...] = (Api2026, Api2025)
BY_VERSION = {api.version: api for api in NEWEST_FIRST}
VERSION_CHOICES = (AUTO, *BY_VERSION)
NONE_SERVED_FOR = 5.0  # seconds a "no version answers" finding is reused

logger = logging.getLogger("gateway.upstream")


class VersionSelector:
    """The adapter class for this upstream; one probe at a time, shared by callers."""

    def __init__(self, setting: str) -> None:
        if setting != AUTO and setting not in BY_VERSION:
            choices = ", ".join(VERSION_CHOICES)
            raise ValueError(f"unknown upstream API version {setting!r} (one of: {choices})")
        self.fixed = BY_VERSION.get(setting)
        self.detected: type[CallbacksApi] | None = None
        self._none_served: tuple[float, GatewayError] | None = None
        self._probe: asyncio.Task[type[CallbacksApi]] | None = None

    @property
    def current(self) -> type[CallbacksApi] | None:
        """The version in use, when known."""
        return self.fixed or self.detected

    @property
    def version(self) -> str | None:
        """The display name of the version in use, when known."""
        current = self.current
        return None if current is None else current.version

    @property
    def problem(self) -> str | None:
        """Why no version can be used (recently found), else None."""
        return None if self._none_served is None else self._none_served[1].message

    async def select(self, session: UpstreamSession) -> type[CallbacksApi]:
        current = self.current
        if current is not None:
            return current
        if self._none_served is not None:
            found_at, error = self._none_served
            if time.monotonic() - found_at < NONE_SERVED_FOR:
                raise error
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self._detect(session))
        return await asyncio.shield(self._probe)

    def forget(self, api: type[CallbacksApi]) -> None:
        """A call with `api` met a 404 `endpoint`: ask again next time (auto only)."""
        if self.fixed is None and self.detected is api:
            logger.warning("upstream no longer serves API version %s; detecting again", api.version)
            self.detected = None

    async def _detect(self, session: UpstreamSession) -> type[CallbacksApi]:
        for api in NEWEST_FIRST:
            if await session.probe(Call(api.key, api.probe_route, api.probe_route)):
                self.detected, self._none_served = api, None
                logger.info("upstream API version %s detected", api.version)
                return api
        tried = ", ".join(api.version for api in NEWEST_FIRST)
        error = GatewayError(
            ErrorCode.UPSTREAM_ERROR,
            f"The upstream serves none of the API versions this gateway speaks (tried {tried}).",
            upstreamVersionsTried=[api.version for api in NEWEST_FIRST],
        )
        self._none_served = (time.monotonic(), error)
        raise error
