"""What an operation gets (principal, path parameters, parsed body and query, store), and how
a route is declared.

The pipeline (``app.py``) has parsed the body (``parseBody.ts``) and the query (``qs``) before
an operation runs. 2025-01-01 operations validate, look up, and then call :meth:`authorize`
(``checkAccess.ts`` runs after the lookup); 2026-02-01 operations are authorized by the
pipeline just before they run (their services have no separate lookup step here).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

import anyio.to_thread

from gateway.emulator.auth import Principal
from gateway.emulator.store import Store
from gateway.emulator.validation import ListQuery, validate_list_query

__all__ = ["Context", "Operation", "RouteSpec", "now_ms"]

P = ParamSpec("P")
R = TypeVar("R")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Context:
    store: Store
    principal: Principal
    params: dict[str, str]
    #: ``parseBody``'s result: ``None`` when there is no body to read.
    body: object
    #: ``qs.parse`` of the query string.
    query: dict[str, object]
    #: The raw ``(name, value)`` pairs of the query string.
    pairs: list[tuple[str, str]] = field(default_factory=list)
    #: Tells the delivery worker that notifications are due (``sender.Sender.wake``).
    wake: Callable[[], None] = field(default=lambda: None)

    @property
    def instance_id(self) -> str:
        return self.principal.instance_id

    async def call(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a (short, blocking) store call in a worker thread."""
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))

    def authorize(self, scope: str) -> None:
        """``checkAccess``: 403 unless the key holds ``scope``."""
        self.principal.require(scope)

    def list_query(self, *filters: str) -> ListQuery:
        return validate_list_query(self.query, filters=filters)

    async def json_body(self) -> object:
        """The body as validated: ``body ?? {}`` (``controller.ts``)."""
        return {} if self.body is None else self.body

    def path_param(self, name: str) -> str:
        return self.params[name]

    def query_items(self) -> list[tuple[str, str]]:
        return list(self.pairs)


Operation = Callable[[Context], Awaitable[dict[str, object]]]


@dataclass(frozen=True)
class RouteSpec:
    """One route of one API version: ``method path`` runs ``operation`` with ``scope``.

    ``authorized_by_operation``: the operation calls :meth:`Context.authorize` itself, at the
    point the source checks access (2025-01-01); otherwise the pipeline does, before it runs.
    """

    method: str
    path: str
    operation: Operation
    scope: str
    authorized_by_operation: bool = False
