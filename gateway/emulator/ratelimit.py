"""A sliding-window request counter per instance, and the ``RateLimit-*`` headers."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimitStatus", "RateLimiter"]

WINDOW_SECONDS = 600.0


@dataclass(frozen=True, kw_only=True)
class RateLimitStatus:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    """At most ``limit`` requests per key in any ``window_seconds``; refused ones don't count."""

    def __init__(
        self,
        limit: int,
        *,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def __repr__(self) -> str:
        return f"RateLimiter(limit={self.limit}, window_seconds={self.window_seconds})"

    def idle(self) -> RateLimitStatus:
        """The status shown on responses that are not counted against any instance."""
        return RateLimitStatus(
            allowed=True, limit=self.limit, remaining=self.limit, reset_seconds=0
        )

    def hit(self, key: str) -> RateLimitStatus:
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_seconds:
                hits.popleft()
            allowed = len(hits) < self.limit
            if allowed:
                hits.append(now)
            # Rounded first, so float noise never turns 600 s into 601.
            reset = math.ceil(round(hits[0] - now + self.window_seconds, 3)) if hits else 0
            return RateLimitStatus(
                allowed=allowed,
                limit=self.limit,
                remaining=self.limit - len(hits),
                reset_seconds=max(reset, 0),
            )
