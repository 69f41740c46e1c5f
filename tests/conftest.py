"""Shared fixtures: a real emulator on uvicorn, and the gateway in front of it over HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from gateway.emulator import EmulatorConfig
from gateway.emulator import create_app as create_emulator
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.web.app import create_app

ALPHA_KEY = "metorial_sk_test_alpha_one"
ALPHA_KEY_2 = "metorial_sk_test_alpha_two"  # same instance as ALPHA_KEY
BETA_KEY = "metorial_sk_test_beta"  # another instance
PUBLISHABLE_KEY = "metorial_pk_test_public"
API_KEYS = {ALPHA_KEY: "ins_alpha", ALPHA_KEY_2: "ins_alpha", BETA_KEY: "ins_beta"}
PULSAR = "mt_2025_01_01_pulsar"  # the internal keys of the two API versions
MAGNETAR = "mt_2026_01_01_magnetar"


class RunningServer:
    """An ASGI app served by uvicorn on a free loopback port, on the test's event loop."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task
        self.sock.close()


async def start_emulator(**options: Any) -> RunningServer:
    """An emulator on uvicorn; its default API version is 2025-01-01 unless ``api_version``
    (or ``served_versions``) says otherwise, so tests that send no version key keep talking
    2025-01-01."""
    if "api_version" not in options and "2025-01-01" in options.get(
        "served_versions", ("2025-01-01",)
    ):
        options["api_version"] = "2025-01-01"
    config = EmulatorConfig(db_path=":memory:", api_keys=API_KEYS, **options)
    server = RunningServer(create_emulator(config))
    await server.start()
    return server


@pytest.fixture
async def emulator() -> AsyncIterator[RunningServer]:
    server = await start_emulator()
    yield server
    await server.stop()


class Gateway:
    """A gateway app (in process, over ASGI) whose upstream is a real HTTP server."""

    def __init__(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        self.client = client
        self.app = app

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        key: str | None = ALPHA_KEY,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST a GraphQL request; every GraphQL answer must be HTTP 200 JSON."""
        all_headers = {"Authorization": f"Bearer {key}"} if key else {}
        all_headers.update(headers or {})
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        response = await self.client.post("/graphql", json=body, headers=all_headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        result: dict[str, Any] = response.json()
        return result

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Like `query`, asserting there are no errors, and returning `data`."""
        result = await self.query(query, variables, **kw)
        assert "errors" not in result, result["errors"]
        return result["data"]


GatewayFactory = Callable[..., Any]


@pytest.fixture
async def make_gateway() -> AsyncIterator[GatewayFactory]:
    stack: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []

    async def factory(
        upstream_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        tracing: Tracing | None = None,
        **settings: Any,
    ) -> Gateway:
        settings.setdefault("upstream_version", "2025-01-01")
        app = create_app(
            Settings(upstream_url=upstream_url, **settings), transport=transport, tracing=tracing
        )
        manager = LifespanManager(app)
        await manager.__aenter__()
        stack.append(manager)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway"
        )
        clients.append(client)
        return Gateway(client, app)

    yield factory
    for client in clients:
        await client.aclose()
    for manager in reversed(stack):
        await manager.__aexit__(None, None, None)


@pytest.fixture
def api_version() -> str:
    """The upstream API version the `gateway` fixture speaks; modules that run on both
    versions override this fixture (tests.versions)."""
    return "2025-01-01"


@pytest.fixture
async def gateway(
    emulator: RunningServer, make_gateway: GatewayFactory, api_version: str
) -> Gateway:
    gw: Gateway = await make_gateway(emulator.url, upstream_version=api_version)
    return gw


class Rest:
    """Direct REST calls to the emulator: set-up and ground truth for gateway tests.

    They speak 2025-01-01 whatever version the gateway under test speaks: the emulator
    keeps one store for both versions, and the older API can make destinations of every
    kind (ALL included), so the same set-up and the same ground truth serve both."""

    def __init__(self, base_url: str, key: str = ALPHA_KEY) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {key}", "metorial-version": PULSAR},
        )

    async def create(self, name: str = "hook", **body: Any) -> dict[str, Any]:
        payload = {"name": name, "url": "https://example.com/hook", "callbacks": {"type": "all"}}
        payload.update(body)
        response = await self.client.post("/callbacks-destinations", json=payload)
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created

    async def callbacks(self) -> list[dict[str, Any]]:
        response = await self.client.get("/callbacks", params={"limit": 100})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def list_all(self, order: str = "asc", **params: Any) -> list[dict[str, Any]]:
        """Every destination, following has_more_after (the ground truth for paging)."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"limit": 100, "order": order, **params}
        while True:
            response = await self.client.get("/callbacks-destinations", params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            items.extend(body["items"])
            if not body["pagination"]["has_more_after"]:
                return items
            query["after"] = body["items"][-1]["id"]


@pytest.fixture
async def rest(emulator: RunningServer) -> AsyncIterator[Rest]:
    client = Rest(emulator.url)
    yield client
    await client.client.aclose()
