"""The emulator's FastAPI app: routes, the request pipeline, and the response middleware.

Every request goes: route match (unknown -> 404 ``endpoint``) -> API key (401/403) ->
rate limit (429) -> instance of the management form (404 ``instance``) -> body validation ->
query validation -> resource lookup. Every response, errors included, carries
``metorial-version``, ``metorial-req-id`` and ``RateLimit-*`` headers.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import NamedTuple, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.emulator.auth import READ_SCOPE, WRITE_SCOPE, KeyRing
from gateway.emulator.config import EmulatorConfig
from gateway.emulator.errors import (
    ApiError,
    bad_request,
    endpoint_not_found,
    internal_server_error,
    not_found,
    rate_limit_exceeded,
)
from gateway.emulator.ids import new_request_id
from gateway.emulator.pagination import page_request
from gateway.emulator.presenters import present_callback, present_destination, present_list
from gateway.emulator.ratelimit import RateLimiter
from gateway.emulator.store import (
    DestinationInactive,
    DestinationNotFound,
    Store,
    UnknownCallbackIds,
)
from gateway.emulator.validation import (
    parse_json_body,
    validate_create_body,
    validate_list_query,
    validate_update_body,
)

__all__ = ["API_VERSION", "RequestRecord", "create_app"]

API_VERSION = "2025-01-01"
DESTINATION = "callback.destination"

logger = logging.getLogger("gateway.emulator")

P = ParamSpec("P")
R = TypeVar("R")


class RequestRecord(NamedTuple):
    """One handled request, as kept in ``app.state.request_log``."""

    method: str
    path: str
    query: str
    status: int


@dataclass(frozen=True)
class _Context:
    request: Request
    instance_id: str
    store: Store

    async def call(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a (short, blocking) store call in a worker thread."""
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))

    async def json_body(self) -> object:
        return parse_json_body(await self.request.body())

    def path_param(self, name: str) -> str:
        value = self.request.path_params[name]
        assert isinstance(value, str)
        return value


Operation = Callable[[_Context], Awaitable[dict[str, object]]]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# --- operations -----------------------------------------------------------------------------


async def _list_destinations(ctx: _Context) -> dict[str, object]:
    query = validate_list_query(ctx.request.query_params.multi_items(), callback_filter=True)
    page = await ctx.call(
        ctx.store.list_destinations,
        ctx.instance_id,
        page_request(query),
        callback_ids=query.callback_ids,
    )
    return present_list(page, present_destination)


async def _create_destination(ctx: _Context) -> dict[str, object]:
    data = validate_create_body(await ctx.json_body())
    try:
        destination = await ctx.call(
            ctx.store.create_destination,
            ctx.instance_id,
            name=data.name,
            description=data.description,
            url=data.url,
            callbacks_type=data.callbacks.type,
            callback_ids=data.callbacks.callback_ids,
        )
    except UnknownCallbackIds:
        raise bad_request("One or more callback IDs are invalid") from None
    return present_destination(destination)


async def _get_destination(ctx: _Context) -> dict[str, object]:
    destination_id = ctx.path_param("destination_id")
    destination = await ctx.call(ctx.store.get_destination, ctx.instance_id, destination_id)
    if destination is None:
        raise not_found(DESTINATION, destination_id)
    return present_destination(destination)


async def _update_destination(ctx: _Context) -> dict[str, object]:
    data = validate_update_body(await ctx.json_body())
    destination_id = ctx.path_param("destination_id")
    try:
        destination = await ctx.call(
            ctx.store.update_destination,
            ctx.instance_id,
            destination_id,
            name=data.name,
            description=data.description,
            now_ms=_now_ms(),
        )
    except DestinationNotFound:
        raise not_found(DESTINATION, destination_id) from None
    except DestinationInactive:
        raise bad_request("Cannot update an inactive callback destination") from None
    return present_destination(destination)


async def _delete_destination(ctx: _Context) -> dict[str, object]:
    destination_id = ctx.path_param("destination_id")
    try:
        destination = await ctx.call(
            ctx.store.deactivate_destination, ctx.instance_id, destination_id, now_ms=_now_ms()
        )
    except DestinationNotFound:
        raise not_found(DESTINATION, destination_id) from None
    except DestinationInactive:
        raise bad_request("Callback destination is already inactive") from None
    return present_destination(destination)


async def _list_callbacks(ctx: _Context) -> dict[str, object]:
    query = validate_list_query(ctx.request.query_params.multi_items())
    page = await ctx.call(ctx.store.list_callbacks, ctx.instance_id, page_request(query))
    return present_list(page, present_callback)


async def _get_callback(ctx: _Context) -> dict[str, object]:
    callback_id = ctx.path_param("callback_id")
    callback = await ctx.call(ctx.store.get_callback, ctx.instance_id, callback_id)
    if callback is None:
        raise not_found("callback", callback_id)
    return present_callback(callback)


_ROUTES: tuple[tuple[str, str, Operation, str], ...] = (
    ("GET", "/callbacks-destinations", _list_destinations, READ_SCOPE),
    ("POST", "/callbacks-destinations", _create_destination, WRITE_SCOPE),
    ("GET", "/callbacks-destinations/{destination_id}", _get_destination, READ_SCOPE),
    ("PATCH", "/callbacks-destinations/{destination_id}", _update_destination, WRITE_SCOPE),
    ("DELETE", "/callbacks-destinations/{destination_id}", _delete_destination, WRITE_SCOPE),
    ("GET", "/callbacks", _list_callbacks, READ_SCOPE),
    ("GET", "/callbacks/{callback_id}", _get_callback, READ_SCOPE),
)
_MANAGEMENT_PREFIX = "/instances/{instance_id}"


# --- pipeline -------------------------------------------------------------------------------


def _error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.to_body(), status_code=error.status, headers=headers)


class _Pipeline:
    def __init__(self, store: Store, keys: KeyRing, limiter: RateLimiter) -> None:
        self.store = store
        self.keys = keys
        self.limiter = limiter

    def endpoint(
        self, operation: Operation, scope: str
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self.handle(request, operation, scope)

        endpoint.__name__ = operation.__name__.lstrip("_")
        return endpoint

    async def handle(self, request: Request, operation: Operation, scope: str) -> Response:
        headers: dict[str, str] = {}
        try:
            instance_id = self.keys.authenticate(request.headers.get("authorization"), scope=scope)
            status = self.limiter.hit(instance_id)
            headers.update(status.headers())
            if not status.allowed:
                raise rate_limit_exceeded()
            requested = request.path_params.get("instance_id")
            if requested is not None and requested != instance_id:
                raise not_found("instance", requested)
            body = await operation(_Context(request, instance_id, self.store))
        except ApiError as error:
            return _error_response(error, headers)
        except Exception:
            logger.exception("unhandled error in %s %s", request.method, request.url.path)
            return _error_response(internal_server_error(), headers)
        return JSONResponse(body, headers=headers)


REQUEST_LOG_LIMIT = 100_000


class _ResponseMiddleware:
    """Adds the standard headers, records the request, and applies the artificial latency.

    The request log keeps the latest ``REQUEST_LOG_LIMIT`` records at most.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: list[RequestRecord],
        limiter: RateLimiter,
        latency_ms: int,
    ) -> None:
        self.app = app
        self.log = log
        self.limiter = limiter
        self.latency_ms = latency_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["metorial-version"] = API_VERSION
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
        version=API_VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
        lifespan=lifespan,
    )
    for prefix in ("", _MANAGEMENT_PREFIX):
        for method, path, operation, scope in _ROUTES:
            app.add_api_route(
                prefix + path,
                pipeline.endpoint(operation, scope),
                methods=[method],
                include_in_schema=False,
            )
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_middleware(
        _ResponseMiddleware, log=request_log, limiter=limiter, latency_ms=config.latency_ms
    )
    app.state.config = config
    app.state.store = store
    app.state.request_log = request_log
    app.state.clear_request_log = request_log.clear
    return app
