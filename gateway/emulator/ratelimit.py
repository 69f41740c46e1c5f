"""The rate limit: ``src/packages/server/rest/src/ratelimit.ts`` over ``async-ratelimiter``.

Metorial's lockfile pins ``async-ratelimiter`` 1.6.1, a Redis sorted-set sliding window run
as one Lua script. Per key (the organization, ``apis/core/src/rest.ts``; see ``auth.py``),
with a 10-minute window and ``max`` = 5000:

- entries older than the window are dropped; ``count`` is what is left; ``oldest`` is the
  oldest entry's time, or now when there is none.
- ``remaining = max - count``. When it is 0 the request is refused and not recorded;
  otherwise it is recorded.
- ``reset = floor((oldest + window) / 1000)``: an **absolute** epoch second (when the oldest
  counted request leaves the window), not a number of seconds to wait.

``ratelimit.ts`` turns that into ``RateLimit-Limit: max``, ``RateLimit-Remaining:
max(0, remaining - 1)`` and ``RateLimit-Reset: reset``; a refused request gets a 429 whose
only headers are those three and ``Content-Type``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimitStatus", "RateLimiter"]

WINDOW_MS = 600_000.0


def _now_ms() -> float:
    return time.time() * 1000


@dataclass(frozen=True, kw_only=True)
class RateLimitStatus:
    allowed: bool
    limit: int
    #: ``remaining`` as the limiter returns it (before this request is counted).
    remaining: int
    #: Absolute epoch second.
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(0, self.remaining - 1)),
            "RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """At most ``limit`` counted requests per key in any window; refused ones don't count."""

    def __init__(
        self,
        limit: int,
        *,
        window_ms: float = WINDOW_MS,
        clock_ms: Callable[[], float] = _now_ms,
    ) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._clock_ms = clock_ms
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def __repr__(self) -> str:
        return f"RateLimiter(limit={self.limit}, window_ms={self.window_ms})"

    def check(self, key: str) -> RateLimitStatus:
        now = self._clock_ms()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_ms:
                hits.popleft()
            oldest = hits[0] if hits else now
            remaining = self.limit - len(hits)
            allowed = remaining > 0
            if allowed:
                hits.append(now)
            return RateLimitStatus(
                allowed=allowed,
                limit=self.limit,
                remaining=max(remaining, 0),
                reset=math.floor((oldest + self.window_ms) / 1000),
            )
