"""The upstream REST client: auth forwarding, caching, retries and error mapping.

GETs go through the per-credential cache and are retried (connect errors, 429,
502/503/504) with jittered backoff inside a total deadline. Writes are sent once,
never retried, and invalidate the writer's cache unless they never connected or the
upstream refused them with a 4xx (a timed-out write may still have happened).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
import random
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from gateway.errors import ErrorCode, GatewayError
from gateway.logs import redact
from gateway.metrics import Metrics
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.upstream.body import ACCEPT_ENCODING, send_bounded
from gateway.upstream.cache import Fetched, UpstreamCache
from gateway.upstream.fairness import CredentialSlots
from gateway.upstream.sealing import PROCESS_KEYRING, Keyring, Sealer

JSON = Any
Query = Sequence[tuple[str, str]]

_RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclasses.dataclass(frozen=True)
class Credential:
    """The Authorization header value sent upstream, and its non-secret fingerprint (a
    keyed hash: cache keys never hold, or reveal, a raw credential)."""

    authorization: str = dataclasses.field(repr=False)
    fingerprint: str
    keyring: Keyring = dataclasses.field(default=PROCESS_KEYRING, repr=False, compare=False)

    @classmethod
    def from_header(cls, value: str, keyring: Keyring = PROCESS_KEYRING) -> Credential:
        return cls(authorization=value, fingerprint=keyring.fingerprint(value), keyring=keyring)

    @functools.cached_property
    def sealer(self) -> Sealer:
        """Seals this credential's values kept outside the process."""
        return self.keyring.sealer(self.authorization)


class NotSent(GatewayError):
    """No connection could be made: the request never reached the upstream."""


class UpstreamRejection(GatewayError):
    """A 4xx answer from the upstream; mutations turn 400s into userErrors."""

    def __init__(self, code: ErrorCode, message: str, status: int, body: dict[str, Any]):
        super().__init__(code, message)
        self.status = status
        self.body = body

    @property
    def object_missing(self) -> bool:
        """A 404 about the object asked for, not the route (a misconfigured base URL)."""
        return self.status == 404 and not self.endpoint_missing

    @property
    def endpoint_missing(self) -> bool:
        """A 404 for the route itself: this API version (or base URL) does not serve it."""
        return self.status == 404 and self.body.get("entity") == "endpoint"


@dataclasses.dataclass(frozen=True)
class Call:
    """One upstream request: the API version's key, the route template (the metric label)
    and the concrete path."""

    version: str
    route: str
    path: str


class Upstream:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        cache: UpstreamCache,
        metrics: Metrics,
        *,
        tracing: Tracing | None = None,
    ) -> None:
        self.http = http
        self.settings = settings
        self.cache = cache
        self.metrics = metrics
        self.tracing = tracing or Tracing()
        self.slots = CredentialSlots(settings.upstream_concurrency_per_credential)

    async def get_dated(
        self,
        credential: Credential,
        call: Call,
        query: Query = (),
        *,
        read_cache: bool = True,
        request_id: str | None = None,
    ) -> tuple[JSON, float]:
        """A GET answer, cached per credential, and when it was fetched (time.monotonic()).

        Traced as one lookup span (`gateway.cache`: hit, miss or shared; a miss's fetch has
        a child span per HTTP request, retries included)."""
        normalized = urlencode(sorted(query))
        key = (credential.fingerprint, f"{call.version} {call.path}", normalized)
        with self.tracing.tracer.start_as_current_span(
            f"upstream GET {call.route}",
            attributes={"url.template": call.route, "gateway.upstream.version": call.version},
            record_exception=False,
        ) as span:
            try:
                return await self.cache.get_or_fetch_dated(
                    key,
                    lambda: self._get_with_retries(credential, call, normalized, request_id),
                    read_cache=read_cache,
                    sealer=credential.sealer,
                    observe=lambda outcome: span.set_attribute("gateway.cache", outcome),
                )
            except GatewayError as exc:
                _failed_span(span, exc)
                raise

    async def probe(self, credential: Credential, call: Call, request_id: str | None) -> bool:
        """Whether the upstream serves `call` at all (uncached): False for a 404 `endpoint`,
        True for an answer; other refusals and failures raise as usual."""
        deadline = time.monotonic() + self.settings.upstream_timeout
        response = await self._send(credential, "GET", call, "limit=1", None, deadline, request_id)
        try:
            _json_or_raise(response)
        except UpstreamRejection as rejection:
            if rejection.endpoint_missing:
                return False
            raise
        return True

    async def write(
        self,
        credential: Credential,
        method: str,
        call: Call,
        body: dict[str, Any] | None = None,
        *,
        request_id: str | None = None,
    ) -> JSON:
        """POST/PATCH/DELETE, sent exactly once; invalidates this credential's cache."""
        content = None if body is None else orjson.dumps(body)
        deadline = time.monotonic() + self.settings.upstream_timeout
        try:
            response = await self._send(credential, method, call, "", content, deadline, request_id)
        except NotSent as exc:
            exc.extensions["writeMayHaveApplied"] = False
            raise
        # A timeout, a lost answer, a cancellation: it may have happened.
        except BaseException as exc:
            await _drop_shielded(self.cache, credential.fingerprint)
            if isinstance(exc, GatewayError):
                exc.extensions["writeMayHaveApplied"] = True
            raise
        # A 4xx changed nothing (and most come from bad or unknown keys: no state for those).
        if response.status_code < 400 or response.status_code >= 500:
            await _drop_shielded(self.cache, credential.fingerprint)
        return _json_or_raise(response)

    async def _get_with_retries(
        self, credential: Credential, call: Call, query: str, request_id: str | None
    ) -> Fetched:
        deadline = time.monotonic() + self.settings.upstream_retry_deadline
        attempt = 0
        while True:
            try:
                response = await self._send(
                    credential, "GET", call, query, None, deadline, request_id, attempt=attempt
                )
            except GatewayError as exc:
                retryable = exc.code == ErrorCode.UPSTREAM_UNAVAILABLE
                delay = self._backoff(attempt)
                reason = "connect"
                if not retryable or not self._may_retry(attempt, deadline, delay):
                    raise
            else:
                if response.status_code not in _RETRY_STATUSES:
                    return Fetched(_json_or_raise(response), len(response.content))
                asked = _retry_after(response)
                delay = self._backoff(attempt) if asked is None else asked
                reason = str(response.status_code)
                if not self._may_retry(attempt, deadline, delay):
                    return Fetched(_json_or_raise(response), len(response.content))
            self.metrics.upstream_retries.labels(call.route, reason).inc()
            trace.get_current_span().set_attribute("gateway.upstream.retries", attempt + 1)
            attempt += 1
            await asyncio.sleep(delay)

    def _may_retry(self, attempt: int, deadline: float, delay: float) -> bool:
        return attempt < self.settings.upstream_retries and time.monotonic() + delay < deadline

    @staticmethod
    def _backoff(attempt: int) -> float:
        # full jitter: spreads retries of many clients over the window
        return random.uniform(0, min(2.0, 0.1 * 2**attempt))  # noqa: S311

    async def _send(
        self,
        credential: Credential,
        method: str,
        call: Call,
        query: str,
        content: bytes | None,
        deadline: float,
        request_id: str | None,
        *,
        attempt: int = 0,
    ) -> httpx.Response:
        """Send when this credential's turn comes; the wait is not the upstream's time.
        Traced as a client span (route template, status, `http.request.resend_count`)."""
        with self.tracing.tracer.start_as_current_span(
            f"{method} {call.route}",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": method,
                "url.template": call.route,
                "gateway.upstream.version": call.version,
            },
            record_exception=False,
        ) as span:
            if attempt:
                span.set_attribute("http.request.resend_count", attempt)
            try:
                async with self.slots.hold(credential.fingerprint) as waited:
                    response = await self._send_now(
                        credential, method, call, query, content, deadline + waited, request_id
                    )
            except GatewayError as exc:
                _failed_span(span, exc)
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 400:
                span.set_status(Status(StatusCode.ERROR))
                span.set_attribute("error.type", str(response.status_code))
            return response

    async def _send_now(
        self,
        credential: Credential,
        method: str,
        call: Call,
        query: str,
        content: bytes | None,
        deadline: float,
        request_id: str | None,
    ) -> httpx.Response:
        remaining = max(0.001, deadline - time.monotonic())
        timeout = httpx.Timeout(
            min(self.settings.upstream_timeout, remaining),
            connect=min(self.settings.upstream_connect_timeout, remaining),
        )
        headers = {
            "Authorization": credential.authorization,
            "metorial-version": call.version,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if content is not None:
            headers["Content-Type"] = "application/json"
        if request_id:
            headers["X-Request-ID"] = request_id
        self.tracing.inject(headers)  # W3C traceparent of the current (client) span
        url = call.path + ("?" + query if query else "")
        route = call.route
        started = time.perf_counter()
        status = "error"
        try:
            # httpx's read timeout is per read: the whole answer gets `remaining` too.
            async with asyncio.timeout(remaining):
                request = self.http.build_request(
                    method, url, content=content, headers=headers, timeout=timeout
                )
                response = await send_bounded(self.http, request, self.settings.upstream_max_bytes)
            status = str(response.status_code)
            return response
        except (httpx.ConnectError, httpx.ConnectTimeout):
            status = "unreachable"
            raise NotSent(ErrorCode.UPSTREAM_UNAVAILABLE, _UNREACHABLE) from None
        except (httpx.TimeoutException, TimeoutError):
            status = "timeout"
            raise GatewayError(
                ErrorCode.UPSTREAM_TIMEOUT, "The upstream API did not answer in time."
            ) from None
        except httpx.TransportError:
            status = "unreachable"
            raise GatewayError(ErrorCode.UPSTREAM_UNAVAILABLE, _UNREACHABLE) from None
        except httpx.HTTPError:  # e.g. a body that does not decode
            status = "error"
            raise GatewayError(
                ErrorCode.UPSTREAM_ERROR, "The upstream API sent an answer that cannot be read."
            ) from None
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.upstream_requests.labels(method, route, status).inc()
            self.metrics.upstream_latency.labels(method, route, status).observe(elapsed)


_UNREACHABLE = "The upstream API is unreachable."


async def _drop_shielded(cache: UpstreamCache, fingerprint: str) -> None:
    """Drop a writer's entries before its answer returns; a cancelled caller (a timeout,
    a disconnect) does not stop the drop, which then finishes on its own."""
    drop = asyncio.ensure_future(cache.drop(fingerprint))
    try:
        await asyncio.shield(drop)
    except asyncio.CancelledError:
        if not drop.done():
            raise


def _failed_span(span: trace.Span, error: GatewayError) -> None:
    """The error's code on the span, never its message (it may quote the upstream)."""
    span.set_status(Status(StatusCode.ERROR))
    span.set_attribute("error.type", error.code.value)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait before asking again, when the upstream says.

    `RateLimit-Reset` is on every Metorial response and is the epoch second at which the
    window resets (async-ratelimiter's `reset`): it speaks for a 429 only, never for a
    5xx. A small value is read as seconds to wait (the IETF draft's meaning)."""
    retry_after = _number(response.headers.get("Retry-After"))
    if retry_after is not None or response.status_code != 429:
        return retry_after
    reset = _number(response.headers.get("RateLimit-Reset"))
    if reset is not None and reset > _EPOCH_FLOOR:
        return max(0.0, reset - time.time())
    return reset


_EPOCH_FLOOR = 1_000_000_000.0  # larger values of RateLimit-Reset are epoch seconds (2001+)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return max(0.0, number) if math.isfinite(number) else None


_STATUS_CODES = {
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    429: ErrorCode.RATE_LIMITED,
}


def _json_or_raise(response: httpx.Response) -> JSON:
    """The JSON body of a 200, or the GatewayError that its status and body mean."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if response.status_code == 200 and isinstance(body, dict):
        return body
    status = response.status_code
    if status < 400 or status >= 500 or not isinstance(body, dict):
        raise GatewayError(
            ErrorCode.UPSTREAM_ERROR,
            f"The upstream API failed (HTTP {status}).",
            upstreamStatus=status,
        )
    code = _STATUS_CODES.get(status, ErrorCode.BAD_USER_INPUT)
    message = body.get("message")
    text = redact(message) if isinstance(message, str) and message else f"Upstream HTTP {status}."
    error = UpstreamRejection(code, text, status, body)
    if status == 429:
        retry_after = _retry_after(response)
        if retry_after is not None:
            error.extensions["retryAfter"] = retry_after
    raise error
