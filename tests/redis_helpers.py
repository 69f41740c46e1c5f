"""Redis for tests: the machine's server (a key prefix of each test's own), and private
`redis-server` processes that a test can kill, restart and pause (SIGSTOP) for faults.

The machine's Redis (127.0.0.1:6379) runs on every developer machine and on CI's. Where
it is missing, its tests skip, except under CI=true, where they fail: there they must run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

MACHINE_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "a test secret shared by every process"  # GATEWAY_CACHE_KEY_SECRET


def unavailable(reason: str) -> None:
    """Skip, or fail under CI (where Redis tests must run)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (under CI=true Redis tests must run)")
    pytest.skip(reason)


async def machine_redis() -> str:
    client = aioredis.Redis.from_url(MACHINE_REDIS, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:  # any failure means: not here
        unavailable(f"no Redis at {MACHINE_REDIS}: {type(exc).__name__}")
    finally:
        await client.aclose()
    return MACHINE_REDIS


def gateway_settings(url: str, prefix: str, **extra: Any) -> dict[str, Any]:
    """Settings (as keyword arguments) for a gateway on this Redis and prefix."""
    return {"redis_url": url, "cache_key_secret": SECRET, "redis_prefix": prefix, **extra}


def gateway_env(url: str, prefix: str, **extra: str) -> dict[str, str]:
    """The same, as GATEWAY_* variables for a gateway process."""
    env = {
        "GATEWAY_REDIS_URL": url,
        "GATEWAY_CACHE_KEY_SECRET": SECRET,
        "GATEWAY_REDIS_PREFIX": prefix,
    }
    env.update({f"GATEWAY_{k.upper()}": v for k, v in extra.items()})
    return env


async def prefixed_items(url: str, prefix: str) -> dict[bytes, bytes | None]:
    """Every key under `prefix`, with its value (as bytes; None for non-strings)."""
    client = aioredis.Redis.from_url(url)
    found: dict[bytes, bytes | None] = {}
    try:
        async for key in client.scan_iter(match=prefix + "*", count=1000):
            kind = await client.type(key)
            found[key] = await client.get(key) if kind == b"string" else None
    finally:
        await client.aclose()
    return found


async def delete_prefixed(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def pttl(url: str, key: bytes) -> int:
    client = aioredis.Redis.from_url(url)
    try:
        return int(await client.pttl(key))
    finally:
        await client.aclose()


def new_prefix() -> str:
    return f"gwtest:{uuid.uuid4().hex[:12]}:"


class PrivateRedis:
    """A `redis-server` of the test's own (no persistence), on a free port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        assert binary is not None
        self.binary = binary
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = self._spawn()
        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            for _ in range(200):
                try:
                    await client.ping()
                    return
                except Exception:  # not listening yet
                    await asyncio.sleep(0.025)
        finally:
            await client.aclose()
        raise AssertionError("redis-server did not start")

    def _spawn(self) -> subprocess.Popen[bytes]:
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        return subprocess.Popen(
            [self.binary, "--port", str(self.port), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await asyncio.to_thread(self.process.wait, 10)

    async def restart(self) -> None:
        await self.kill()
        await self.start()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()
            await self.kill()


async def private_redis() -> AsyncIterator[PrivateRedis]:
    """For a fixture: a started private server, stopped afterwards."""
    server = PrivateRedis()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
