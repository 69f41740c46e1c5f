"""The emulator's FastAPI app: routes, the request pipeline, and the response middleware.

Every request goes: API version (``versions.py``) -> route match among that version's routes
(unknown -> 404 ``endpoint``) -> API key (401/403) -> rate limit (429) -> instance of the
management form (404 ``instance``) -> body validation -> query validation -> resource lookup.
Every response, errors included, carries ``metorial-version`` (the display name of the version
served), ``metorial-req-id`` and ``RateLimit-*`` headers. Errors raised by a 2026-02-01
operation use the ``object`` envelope, every other error ``__typename`` (``errors.py``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import NamedTuple

import anyio
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.emulator import routes_v2025, routes_v2026
from gateway.emulator.auth import KeyRing
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.context import Context, Operation, RouteSpec, now_ms
from gateway.emulator.errors import (
    ApiError,
    Envelope,
    bad_request,
    endpoint_not_found,
    internal_server_error,
    not_found,
    rate_limit_exceeded,
)
from gateway.emulator.ids import new_request_id
from gateway.emulator.ratelimit import RateLimiter
from gateway.emulator.store import Store
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

logger = logging.getLogger("gateway.emulator")

#: Each version's routes, and the envelope of the errors its operations raise.
_VERSIONS: dict[ApiVersion, tuple[tuple[RouteSpec, ...], Envelope]] = {
    V2025: (routes_v2025.ROUTES, "__typename"),
    V2026: (routes_v2026.ROUTES, "object"),
}
_MANAGEMENT_PREFIX = "/instances/{instance_id}"


class RequestRecord(NamedTuple):
    """One handled request, as kept in ``app.state.request_log``."""

    method: str
    path: str
    query: str
    status: int


class _VersionedRoute(Route):
    """A route that exists only for requests of one API version."""

    def __init__(
        self,
        version: ApiVersion,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response]],
        *,
        methods: list[str],
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.version = version

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get(VERSION_SCOPE_KEY) != self.version:
            return Match.NONE, {}
        return super().matches(scope)


# --- pipeline -------------------------------------------------------------------------------


def _error_response(
    error: ApiError, headers: dict[str, str] | None = None, envelope: Envelope = "__typename"
) -> JSONResponse:
    return JSONResponse(error.to_body(envelope), status_code=error.status, headers=headers)


class _Pipeline:
    def __init__(self, store: Store, keys: KeyRing, limiter: RateLimiter) -> None:
        self.store = store
        self.keys = keys
        self.limiter = limiter

    def endpoint(
        self, operation: Operation, scope: str, envelope: Envelope
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self.handle(request, operation, scope, envelope)

        endpoint.__name__ = operation.__name__.lstrip("_")
        return endpoint

    async def handle(
        self, request: Request, operation: Operation, scope: str, envelope: Envelope
    ) -> Response:
        headers: dict[str, str] = {}
        raised_by: Envelope = "__typename"  # the platform's own checks come first
        try:
            instance_id = self.keys.authenticate(request.headers.get("authorization"), scope=scope)
            status = self.limiter.hit(instance_id)
            headers.update(status.headers())
            if not status.allowed:
                raise rate_limit_exceeded()
            requested = request.path_params.get("instance_id")
            if requested is not None and requested != instance_id:
                raise not_found("instance", requested)
            raised_by = envelope
            body = await operation(Context(request, instance_id, self.store))
        except ApiError as error:
            return _error_response(error, headers, raised_by)
        except Exception:
            logger.exception("unhandled error in %s %s", request.method, request.url.path)
            return _error_response(internal_server_error(), headers)
        return JSONResponse(body, headers=headers)


REQUEST_LOG_LIMIT = 100_000


class _ResponseMiddleware:
    """Picks the API version, adds the standard headers, records the request, and applies
    the artificial latency.

    The request log keeps the latest ``REQUEST_LOG_LIMIT`` records at most.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: list[RequestRecord],
        limiter: RateLimiter,
        latency_ms: int,
        default_version: ApiVersion,
        served_versions: tuple[ApiVersion, ...],
    ) -> None:
        self.app = app
        self.log = log
        self.limiter = limiter
        self.latency_ms = latency_ms
        self.default_version = default_version
        self.served_versions = served_versions

    def version_of(self, scope: Scope) -> ApiVersion:
        header: str | None = None
        for name, value in scope["headers"]:
            if name.lower() == VERSION_HEADER.encode():
                header = value.decode("latin-1")
                break
        query = QueryParams(scope["query_string"].decode("latin-1")).get(VERSION_QUERY)
        return select_version(
            header, query, default=self.default_version, served=self.served_versions
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        version = self.version_of(scope)
        scope[VERSION_SCOPE_KEY] = version

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["metorial-version"] = version
                headers["metorial-req-id"] = new_request_id()
                for name, value in self.limiter.idle().headers().items():
                    if name not in headers:
                        headers[name] = value
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


async def _http_exception(request: Request, exc: Exception) -> Response:
    # Router misses (404) and wrong methods (405) are both "no such endpoint" upstream.
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 400
    if status in (404, 405):
        return _error_response(endpoint_not_found())
    return _error_response(ApiError(status, "bad_request", "The request is invalid."))


async def _request_validation(request: Request, exc: Exception) -> Response:
    return _error_response(bad_request("The request is invalid."))


def create_app(config: EmulatorConfig) -> FastAPI:
    """Build the emulator app; its database is opened (and seeded) right away."""
    store = Store(config.db_path)
    for instance_id in config.instances:
        store.seed_deployment(instance_id, now_ms=now_ms())
        store.seed_callbacks(instance_id, config.seed_callbacks)
    limiter = RateLimiter(config.rate_limit)
    pipeline = _Pipeline(store, KeyRing(config.keys), limiter)
    request_log: list[RequestRecord] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
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
    for version, (routes, envelope) in _VERSIONS.items():
        for prefix in ("", _MANAGEMENT_PREFIX):
            for route in routes:
                app.router.routes.append(
                    _VersionedRoute(
                        version,
                        prefix + route.path,
                        pipeline.endpoint(route.operation, route.scope, envelope),
                        methods=[route.method],
                    )
                )
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_middleware(
        _ResponseMiddleware,
        log=request_log,
        limiter=limiter,
        latency_ms=config.latency_ms,
        default_version=config.api_version,
        served_versions=config.served_versions,
    )
    app.state.config = config
    app.state.store = store
    app.state.request_log = request_log
    app.state.clear_request_log = request_log.clear
    return app
