"""The FastAPI application: lifespan (one shared httpx client), routes, middleware."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Callable
from http.cookiejar import DefaultCookiePolicy

import httpx
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response

from gateway.metrics import Metrics
from gateway.schema.build import build_schema
from gateway.settings import Settings
from gateway.upstream.cache import ResponseCache
from gateway.upstream.client import Upstream
from gateway.upstream.transport import ShardedTransport
from gateway.web.graphiql import ASSETS_ROUTE, GraphiQL
from gateway.web.http import EXAMPLE_QUERY, GraphQLEndpoint
from gateway.web.persisted import PersistedQueries, load_manifest
from gateway.web.result_cache import ResultCache

READINESS_INTERVAL = 1.0  # seconds a /readyz answer is reused


class Readiness:
    """Whether the upstream answers HTTP at all (even a 401 without a key). One probe a
    second at most, shared by concurrent callers: /readyz is no free load on the upstream."""

    def __init__(self, upstream: Callable[[], Upstream]) -> None:
        self.upstream = upstream
        self.checked = -READINESS_INTERVAL
        self.probe: asyncio.Task[bool] | None = None

    async def check(self) -> bool:
        now = time.monotonic()
        if self.probe is None or (self.probe.done() and now - self.checked >= READINESS_INTERVAL):
            self.checked = now
            self.probe = asyncio.ensure_future(self._probe())
        return await asyncio.shield(self.probe)

    async def _probe(self) -> bool:
        try:
            await self.upstream().http.get("/callbacks-destinations", timeout=2.0)
        except httpx.HTTPError:
            return False
        return True


def create_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    emulator: FastAPI | None = None,
) -> FastAPI:
    """Build the gateway. `transport` lets tests put a fault injector under the client;
    `emulator` is mounted at /emulator (and started with the app) when given."""
    if settings.upstream_url is None:
        raise ValueError("settings.upstream_url is required")
    metrics = Metrics()
    cache = ResponseCache(
        ttl=settings.cache_ttl,
        max_bytes=settings.cache_maxsize,
        # longer than an entry lives plus the longest fetch (see ResponseCache)
        generation_window=settings.cache_ttl
        + settings.upstream_retry_deadline
        + settings.upstream_timeout
        + 60,
    )
    state: dict[str, Upstream] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if emulator is not None:
                await stack.enter_async_context(emulator.router.lifespan_context(emulator))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=settings.upstream_url or "",
                    transport=transport or ShardedTransport(),
                    headers={"User-Agent": "metorial-callbacks-gateway/0.1"},
                )
            )
            # One client serves every credential: never keep an upstream cookie.
            client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            state["upstream"] = Upstream(client, settings, cache, metrics)
            # Start-up objects (schema, modules) never die: keep them out of GC scans.
            gc.freeze()
            yield
            state.clear()

    def upstream() -> Upstream:
        return state["upstream"]

    app = FastAPI(
        title="Callback Destinations GraphQL gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.cache = cache
    app.state.metrics = metrics
    manifest = (
        load_manifest(settings.persisted_queries_file) if settings.persisted_queries_file else {}
    )
    persisted = PersistedQueries(
        maxsize=settings.apq_maxsize, manifest=manifest, safelist_only=settings.safelist_only
    )
    results = ResultCache(ttl=settings.cache_ttl, max_bytes=settings.cache_maxsize)
    metrics.watch_caches(cache.stats, results.stats)
    endpoint = GraphQLEndpoint(
        build_schema(settings), settings, metrics, upstream, persisted, results
    )

    if emulator is not None:  # embedded: GraphiQL opens with the emulator's demo key
        from gateway.emulator import DEMO_API_KEY

        demo = {"Authorization": f"Bearer {DEMO_API_KEY}"}
        endpoint.ide = GraphiQL(example_query=EXAMPLE_QUERY, headers=demo)

    # Plain Starlette routes: FastAPI's dependency solving would cost as much as a cache hit.
    app.add_route("/graphql", endpoint.handle_post, methods=["POST"], include_in_schema=False)
    app.add_route("/graphql", endpoint.handle_get, methods=["GET"], include_in_schema=False)

    app.add_api_route(
        ASSETS_ROUTE, endpoint.ide.asset, methods=["GET", "HEAD"], include_in_schema=False
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    readiness = Readiness(upstream)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        if not await readiness.check():
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    if emulator is not None:
        app.mount("/emulator", emulator)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "Cache-Control"],
            expose_headers=["X-Request-ID"],
        )
    return app
