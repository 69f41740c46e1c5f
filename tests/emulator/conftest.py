"""Fixtures for the emulator's tests: a fresh app per test, talked to over ASGI HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from gateway.emulator import DEMO_API_KEY, EmulatorConfig, create_app

DEMO_AUTH = {"Authorization": f"Bearer {DEMO_API_KEY}"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Emulator:
    """A running emulator app and a client that sends the demo key by default."""

    app: FastAPI
    client: httpx.AsyncClient

    async def create(self, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"name": "Orders", "url": "https://example.com/hook"}
        body["callbacks"] = {"type": "all"}
        body.update(fields)
        response = await self.client.post("/callbacks-destinations", json=body, headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def delete(self, destination_id: str) -> None:
        response = await self.client.delete(f"/callbacks-destinations/{destination_id}")
        assert response.status_code == 200, response.text

    async def callback_ids(self, headers: dict[str, str] | None = None) -> list[str]:
        response = await self.client.get("/callbacks", params={"limit": 100}, headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    async def list_ids(self, path: str = "/callbacks-destinations", **params: Any) -> list[str]:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]


OpenEmulator = Callable[..., AbstractAsyncContextManager[Emulator]]


@asynccontextmanager
async def open_emulator_app(**overrides: Any) -> AsyncIterator[Emulator]:
    """An emulator whose default API version is 2025-01-01 unless ``api_version`` says else
    (the 2025 tests send no ``metorial-version`` header)."""
    config = EmulatorConfig(**{"db_path": ":memory:", "api_version": "2025-01-01", **overrides})
    app = create_app(config)
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://emu", headers=DEMO_AUTH) as client,
    ):
        yield Emulator(app, client)


@pytest.fixture
def open_emulator() -> OpenEmulator:
    """``async with open_emulator(rate_limit=3) as emu:`` for tests that need a custom config."""
    return open_emulator_app


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with open_emulator_app() as emulator:
        yield emulator


#: Headers that pick a version by its internal key.
PULSAR = {"metorial-version": "mt_2025_01_01_pulsar"}
MAGNETAR = {"metorial-version": "mt_2026_01_01_magnetar"}


@dataclass
class Emulator2026:
    """An emulator whose default version is 2026-02-01; ``v2025`` sends the pulsar key."""

    app: FastAPI
    client: httpx.AsyncClient

    async def create_destination(self, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"name": "Orders", "url": "https://example.com/hook", **fields}
        response = await self.client.post("/callback-destinations", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def create_callback(self, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "provider_deployment_id": self.deployment_id,
            "name": "Issues",
            **fields,
        }
        response = await self.client.post("/callbacks", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    @property
    def deployment_id(self) -> str:
        from gateway.emulator import provider_deployment_id

        return provider_deployment_id("demo")

    async def v2025(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=PULSAR, **kwargs)

    async def list_ids(self, path: str, **params: Any) -> list[str]:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]


@pytest.fixture
async def emu26() -> AsyncIterator[Emulator2026]:
    async with open_emulator_app(api_version="2026-02-01") as emulator:
        yield Emulator2026(emulator.app, emulator.client)
