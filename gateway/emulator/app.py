"""The emulator's app: the request pipeline of Metorial's REST server, routes, and operations.

The order is that of ``src/packages/server/rest/src/server.ts`` and ``controller.ts``:

1. ``/ping`` (``OK``), ``/`` (301 to the docs) and ``OPTIONS`` on any path (204 with the CORS
   headers) answer before anything else.
2. Authenticate (``auth.py``). A 401 carries the CORS headers and ``x-powered-by`` only: no
   version, request id or ``RateLimit-*``.
3. Rate limit per organization (``ratelimit.py``): a 429 carries only ``RateLimit-*`` and
   ``Content-Type``, and comes before routing, so an unknown route is a 429 too.
4. Pick the version (``metorial-version`` header, else ``?api-version=``; only the server's
   version keys count, anything else falls back to the key's default, see :func:`_version`).
5. Route: an unknown path or method is 404 ``endpoint``. ``HEAD`` is served as ``GET`` with no
   body (Hono). Every resource path exists as ``/<path>``, ``/instances/{id}/<path>`` and
   ``/dashboard/instances/{id}/<path>`` (``middleware/instanceGroup.ts``); an instance-bound key
   acts on its own instance whatever the ``{id}`` says.
6. Parse the body, for every method (``parseBody.ts``), and the query (``qs``).
7. Validate the body, then the query (``invalid_data``).
8. The resource lookup (404 with the entity as the service names it), then the scope check
   (403 for publishable keys, ``checkAccess.ts``), then the operation's own 400s.

Responses that reach a route carry ``metorial-version`` (the version served),
``metorial-req-id``, ``x-powered-by: Metorial``, the ``RateLimit-*`` headers and, for
publishable keys only (``apis/core/src/rest.ts`` ``checkCors``), the CORS headers.

Where this differs from ``../shared/upstream-contract.md`` (the source wins):

- A publishable key gets its 403 only after validation and the lookup: a bad body is 400 and
  an unknown id 404 first. An unknown route is 404 ``endpoint`` only for a valid key.
- The 429 message is "You have exceeded the rate limit for this instance" and
  ``RateLimit-Reset`` is an absolute epoch second, not seconds to wait; 401 and 429 answers
  carry no ``metorial-version`` / ``metorial-req-id``.
- ``metorial-req-id`` is ``req_`` + 9 base36 time chars + 11 random chars (still 20).
- With ``after``, ``has_more_before`` is true only when the cursor row itself is listed
  (not merely "exists"); a ``before`` cursor on a hidden row skips the nearest row.
- 404 messages keep the entity's dot: "The requested callback.destination could not be
  found."
- The management form does not check the ``{instance_id}`` for instance keys (no 404).
- Without ``Content-Type`` a body is ignored; ``text/plain`` is 400
  ``unsupported_content_type``; an empty JSON body is 400 ``invalid_json_body``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import NamedTuple
from urllib.parse import parse_qs, parse_qsl

import anyio
from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.emulator import routes_dev, routes_v2025, routes_v2026
from gateway.emulator.auth import KeyRing, extract_token
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.context import Context, RouteSpec, now_ms
from gateway.emulator.errors import (
    ApiError,
    Envelope,
    endpoint_not_found,
    internal_server_error,
    rate_limit_exceeded,
)
from gateway.emulator.ids import new_request_id
from gateway.emulator.ratelimit import RateLimiter
from gateway.emulator.sender import Sender
from gateway.emulator.store import Store
from gateway.emulator.validation import parse_body, parse_query
from gateway.emulator.versions import (
    V2025,
    V2026,
    VERSION_HEADER,
    VERSION_QUERY,
    ApiVersion,
    select_version,
)

__all__ = ["API_VERSION", "VERSION_SCOPE_KEY", "RequestRecord", "create_app"]

#: The default version of an emulator built with a default ``EmulatorConfig``.
API_VERSION: ApiVersion = EmulatorConfig().api_version
#: Where the version chosen for a request is kept in the ASGI scope.
VERSION_SCOPE_KEY = "metorial.api_version"

#: ``server.ts``: sent on OPTIONS and 401s always, on routed answers for publishable keys.
_CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
_CORS_HEADERS = (
    "Content-Type, Authorization, Cookies, metorial-version, metorial-instance-id, "
    "metorial-organization-id, baggage, sentry-trace, metorial-client"
)

logger = logging.getLogger("gateway.emulator")


class RequestRecord(NamedTuple):
    """One handled request, as kept in ``app.state.request_log``."""

    method: str
    path: str
    query: str
    status: int


def _cors_headers(origin: str) -> dict[str, str]:
    return {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": _CORS_METHODS,
        "access-control-allow-headers": _CORS_HEADERS,
        "access-control-max-age": "604800",
        "access-control-allow-credentials": "true",
        "x-powered-by": "Metorial",
    }


# --- pipeline -------------------------------------------------------------------------------

#: Each version's routes, and the envelope of the errors its operations raise.
_VERSION_ROUTES: dict[ApiVersion, tuple[tuple[RouteSpec, ...], Envelope]] = {
    V2025: (routes_v2025.ROUTES, "__typename"),
    V2026: (routes_v2026.ROUTES, "object"),
}
#: ``instancePath``: each route at the root, in the management and in the dashboard form.
_PREFIXES = ("", "/instances/{instance_id}", "/dashboard/instances/{instance_id}")


def _compile(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


_TABLES: dict[ApiVersion, tuple[tuple[re.Pattern[str], RouteSpec], ...]] = {
    version: tuple((_compile(prefix + spec.path), spec) for prefix in _PREFIXES for spec in routes)
    for version, (routes, _) in _VERSION_ROUTES.items()
}


#: Development-only routes (``routes_dev.py``), served at the root path only.
_DEV_TABLES: dict[ApiVersion, tuple[tuple[re.Pattern[str], RouteSpec], ...]] = {
    V2025: tuple((_compile(spec.path), spec) for spec in routes_dev.DEV_ROUTES_V2025),
    V2026: tuple((_compile(spec.path), spec) for spec in routes_dev.DEV_ROUTES_V2026),
}


def _route(version: ApiVersion, method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
    for pattern, spec in (*_DEV_TABLES[version], *_TABLES[version]):
        if spec.method == method:
            match = pattern.fullmatch(path)
            if match:
                params = {k: v for k, v in match.groupdict().items() if k != "instance_id"}
                return spec, params
    return None


def _json(
    body: dict[str, object], status: int, headers: dict[str, str], *, head: bool = False
) -> Response:
    response = JSONResponse(body, status_code=status, headers=headers)
    if head:
        return Response(status_code=status, headers=dict(response.headers))
    return response


class _Pipeline:
    def __init__(
        self,
        store: Store,
        keys: KeyRing,
        limiter: RateLimiter,
        *,
        default_version: ApiVersion,
        served_versions: tuple[ApiVersion, ...],
    ) -> None:
        self.store = store
        self.keys = keys
        self.limiter = limiter
        self.default_version = default_version
        self.served_versions = served_versions
        #: Wakes the delivery worker once the lifespan has started it.
        self.wake: Callable[[], None] = lambda: None

    async def handle(self, request: Request) -> Response:
        path = get_route_path(request.scope) or "/"
        if path == "/ping":
            return Response("OK", media_type="text/plain;charset=UTF-8")
        if path == "/":
            return RedirectResponse("https://metorial.com/api", status_code=301)
        cors = _cors_headers(request.headers.get("origin", ""))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=cors)
        query = parse_qs(request.url.query, keep_blank_values=True)
        try:
            token = extract_token(request.headers.get("authorization"), query)
            principal = self.keys.authenticate(token)
        except ApiError as error:
            return _json(error.to_body(), error.status, cors)
        limit = self.limiter.check(principal.organization_id)
        if not limit.allowed:
            refused = rate_limit_exceeded()
            return _json(refused.to_body(), refused.status, limit.headers())
        version = select_version(
            request.headers.get(VERSION_HEADER),
            next(iter(query.get(VERSION_QUERY, [])), None),
            default=self.default_version,
            served=self.served_versions,
        )
        request.scope[VERSION_SCOPE_KEY] = version
        headers = {
            "metorial-version": version,
            "metorial-req-id": new_request_id(),
            "x-powered-by": "Metorial",
            **(cors if principal.publishable else {}),
            **limit.headers(),
        }
        head = request.method == "HEAD"
        routed = _route(version, "GET" if head else request.method, path)
        envelope: Envelope = "__typename"  # the platform's own checks come first
        try:
            if routed is None:
                raise endpoint_not_found()
            spec, params = routed
            body = parse_body(request.headers.get("content-type"), await request.body())
            ctx = Context(
                self.store,
                principal,
                params,
                body,
                parse_query(request.url.query),
                parse_qsl(request.url.query, keep_blank_values=True),
                self.wake,
            )
            if not spec.authorized_by_operation:
                ctx.authorize(spec.scope)
            envelope = _VERSION_ROUTES[version][1]
            result = await spec.operation(ctx)
        except ApiError as error:
            return _json(error.to_body(envelope), error.status, headers, head=head)
        except Exception:
            logger.exception("unhandled error in %s %s", request.method, path)
            return _json(internal_server_error().to_body(), 500, headers, head=head)
        return _json(result, 200, headers, head=head)


REQUEST_LOG_LIMIT = 100_000


class _ResponseMiddleware:
    """Records the request and applies the artificial latency.

    The request log keeps the latest ``REQUEST_LOG_LIMIT`` records at most.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: list[RequestRecord],
        latency_ms: int,
    ) -> None:
        self.app = app
        self.log = log
        self.latency_ms = latency_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                path: str = scope["path"]
                root_path: str = scope.get("root_path", "")
                if root_path and path.startswith(root_path):
                    path = path[len(root_path) :] or "/"
                if len(self.log) >= REQUEST_LOG_LIMIT:
                    del self.log[: REQUEST_LOG_LIMIT // 2]
                self.log.append(
                    RequestRecord(
                        method=scope["method"],
                        path=path,
                        query=scope["query_string"].decode("latin-1"),
                        status=message["status"],
                    )
                )
                if self.latency_ms:
                    await anyio.sleep(self.latency_ms / 1000)
            await send(message)

        await self.app(scope, receive, send_with_headers)


_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_app(config: EmulatorConfig) -> FastAPI:
    """Build the emulator app; its database is opened (and seeded) right away."""
    store = Store(config.db_path)
    for instance_id in config.instances:
        store.seed_deployment(instance_id, now_ms=now_ms())
        store.seed_callbacks(instance_id, config.seed_callbacks)
        store.seed_events(instance_id, now_ms=now_ms())
    limiter = RateLimiter(config.rate_limit)
    pipeline = _Pipeline(
        store,
        KeyRing(config.keys),
        limiter,
        default_version=config.api_version,
        served_versions=config.served_versions,
    )
    request_log: list[RequestRecord] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sender = Sender(
            store,
            retry_scale=config.retry_scale,
            events_every=config.events_every,
            concurrency=config.delivery_concurrency,
        )
        task = asyncio.create_task(sender.run(), name="emulator-deliveries")
        pipeline.wake = sender.wake
        app.state.sender = sender
        try:
            yield
        finally:
            pipeline.wake = lambda: None
            task.cancel()
            # Bounded: an attempt in a worker thread finishes first; never hang a shutdown.
            await asyncio.wait({task}, timeout=15)
            if task.done() and not task.cancelled() and task.exception() is not None:
                logger.error("the delivery worker failed", exc_info=task.exception())
            store.close()

    app = FastAPI(
        title="Metorial Callback Destinations emulator",
        version=config.api_version,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.add_route("/{path:path}", pipeline.handle, methods=_METHODS, include_in_schema=False)
    app.add_middleware(_ResponseMiddleware, log=request_log, latency_ms=config.latency_ms)
    app.state.config = config
    app.state.store = store
    app.state.request_log = request_log
    app.state.clear_request_log = request_log.clear
    return app
