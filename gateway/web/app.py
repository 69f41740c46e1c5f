"""The FastAPI application: lifespan (one shared httpx client), routes, middleware."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from http.cookiejar import DefaultCookiePolicy

import httpx
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.routing import WebSocketRoute

from gateway.logs import configure_logging
from gateway.metrics import Metrics
from gateway.redis_store import RedisStore
from gateway.schema.build import build_schema
from gateway.schema.watch import DeliveryWatches
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.upstream.cache import ResponseCache, UpstreamCache
from gateway.upstream.client import Upstream
from gateway.upstream.redis_cache import RedisResponseCache
from gateway.upstream.redis_entries import RedisEntries
from gateway.upstream.sealing import PROCESS_KEYRING, Keyring
from gateway.upstream.transport import ShardedTransport
from gateway.upstream.versions import AUTO, VersionSelector
from gateway.web.graphiql import ASSETS_ROUTE, GraphiQL
from gateway.web.http import EXAMPLE_QUERY, GraphQLEndpoint
from gateway.web.persisted import Documents, LocalDocuments, PersistedQueries, load_manifest
from gateway.web.readiness import Readiness, detect_at_start
from gateway.web.redis_persisted import RedisDocuments
from gateway.web.redis_results import RedisResultCache
from gateway.web.result_cache import ResultCache, ResultStore
from gateway.web.tracing import TraceMiddleware
from gateway.web.websocket import GraphQLWebSocket

logger = logging.getLogger("gateway.upstream")


def create_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    emulator: FastAPI | None = None,
    announce: Callable[[str], None] | None = None,
    tracing: Tracing | None = None,
) -> FastAPI:
    """Build the gateway. `transport` lets tests put a fault injector under the client;
    `emulator` is mounted at /emulator (and started with the app) when given; `announce`
    is called once with the upstream API version in use, as soon as it is known; `tracing`
    defaults to what GATEWAY_OTEL_EXPORTER and the OTEL_* variables say (off unless set)."""
    traces = Tracing.from_settings(settings.otel_exporter) if tracing is None else tracing
    say = announce or (lambda version: None)
    if settings.upstream_url is None:
        raise ValueError("settings.upstream_url is required")
    metrics = Metrics()
    keyring = (
        Keyring.from_secret(settings.cache_key_secret)
        if settings.cache_key_secret
        else PROCESS_KEYRING
    )
    redis = RedisStore.from_settings(settings, metrics) if settings.redis_url else None
    cache, results, documents = _caches(settings, keyring, redis)
    state: dict[str, Upstream] = {}
    versions = VersionSelector(settings.upstream_version)

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
            if redis is not None:
                stack.push_async_callback(redis.aclose)
            # One client serves every credential: never keep an upstream cookie.
            client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            stack.callback(traces.shutdown)  # flushes the last spans at exit
            state["upstream"] = Upstream(client, settings, cache, metrics, tracing=traces)
            key = settings.upstream_api_key
            if versions.fixed is not None:
                logger.info("upstream API version %s (configured)", versions.fixed.version)
                say(f"{versions.fixed.version} (configured)")
            elif key is not None:
                detecting = asyncio.ensure_future(
                    detect_at_start(state["upstream"], versions, key, keyring, say)
                )
                stack.callback(detecting.cancel)
            else:
                logger.info("upstream API version: %s, found with the first caller's key", AUTO)
                say(f"{AUTO} (found with the first caller's key)")
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
    app.state.redis = redis
    app.state.metrics = metrics
    app.state.versions = versions
    app.state.upstream = upstream
    manifest = (
        load_manifest(settings.persisted_queries_file) if settings.persisted_queries_file else {}
    )
    persisted = PersistedQueries(
        maxsize=settings.apq_maxsize,
        manifest=manifest,
        safelist_only=settings.safelist_only,
        documents=documents,
    )
    metrics.watch_caches(cache.stats, results.stats)
    schema = build_schema(settings)
    endpoint = GraphQLEndpoint(
        schema, settings, metrics, upstream, versions, persisted, results, keyring, tracing=traces
    )
    watches = DeliveryWatches(upstream, versions, settings.poll_interval)
    app.state.watches = watches

    if emulator is not None:  # embedded: GraphiQL opens with the emulator's demo key
        from gateway.emulator import DEMO_API_KEY

        demo = {"Authorization": f"Bearer {DEMO_API_KEY}"}
        endpoint.ide = GraphiQL(example_query=EXAMPLE_QUERY, headers=demo)

    # Plain Starlette routes: FastAPI's dependency solving would cost as much as a cache hit.
    app.add_route("/graphql", endpoint.handle_post, methods=["POST"], include_in_schema=False)
    app.add_route("/graphql", endpoint.handle_get, methods=["GET"], include_in_schema=False)
    app.router.routes.append(
        WebSocketRoute(
            "/graphql", GraphQLWebSocket(schema, settings, upstream, versions, watches, keyring)
        )
    )

    app.add_api_route(
        ASSETS_ROUTE, endpoint.ide.asset, methods=["GET", "HEAD"], include_in_schema=False
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    readiness = Readiness(upstream, versions, settings.upstream_api_key, keyring, redis)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        answer = await readiness.check()
        serving = answer["status"] in {"ready", "degraded"}
        return JSONResponse(answer, status_code=200 if serving else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    if emulator is not None:
        app.mount("/emulator", emulator)
    if traces.enabled:  # outermost but CORS: the span covers the whole request
        app.add_middleware(TraceMiddleware, tracing=traces)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "Cache-Control"],
            expose_headers=["X-Request-ID"],
        )
    return app


def _caches(
    settings: Settings, keyring: Keyring, redis: RedisStore | None
) -> tuple[UpstreamCache, ResultStore, Documents]:
    """The upstream GET cache, the whole-result cache and the APQ store: in this process,
    or in Redis (shared by every process) when `GATEWAY_REDIS_URL` is set."""
    if redis is not None:
        entries = RedisEntries(redis)
        shared = RedisResponseCache(
            entries,
            keyring,
            ttl=settings.cache_ttl,
            max_entry_bytes=settings.redis_max_entry_bytes,
            lock_seconds=settings.upstream_timeout,
        )
        results = RedisResultCache(
            entries, ttl=settings.cache_ttl, max_entry_bytes=settings.redis_max_entry_bytes
        )
        return shared, results, RedisDocuments(redis, ttl=settings.apq_ttl)
    local = ResponseCache(
        ttl=settings.cache_ttl,
        max_bytes=settings.cache_maxsize,
        # longer than an entry lives plus the longest fetch (see ResponseCache)
        generation_window=settings.cache_ttl
        + settings.upstream_retry_deadline
        + settings.upstream_timeout
        + 60,
    )
    local_results = ResultCache(
        ttl=settings.cache_ttl, max_bytes=settings.cache_maxsize, generation=local.generation
    )
    return local, local_results, LocalDocuments(settings.apq_maxsize)


def create_app_from_env() -> FastAPI:
    """The gateway of the GATEWAY_* environment: the app factory of each worker process
    of `gateway serve --workers N` (each with its own pools and connections)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
