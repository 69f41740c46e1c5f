"""What an operation gets (its request, instance and store), and how a route is declared."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import anyio.to_thread
from starlette.requests import Request

from gateway.emulator.store import Store
from gateway.emulator.validation import parse_json_body

__all__ = ["Context", "Operation", "RouteSpec", "now_ms"]

P = ParamSpec("P")
R = TypeVar("R")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Context:
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

    def query_items(self) -> list[tuple[str, str]]:
        return self.request.query_params.multi_items()


Operation = Callable[[Context], Awaitable[dict[str, object]]]


@dataclass(frozen=True)
class RouteSpec:
    """One route of one API version: ``method path`` runs ``operation`` with ``scope``."""

    method: str
    path: str
    operation: Operation
    scope: str
