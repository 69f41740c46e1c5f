"""Load generation (keep-alive HTTP/1.1) and latency statistics.

Latency runs are sequential (one request in flight, after a warm-up); throughput runs keep
`concurrency` workers, each with a `Sender` of its own, busy for a fixed duration or a fixed
number of requests. Every response is checked (HTTP 200, and no GraphQL `errors` for
GraphQL requests): a benchmark of failures measures nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import httpx
import orjson


@dataclasses.dataclass(frozen=True)
class Call:
    """One prepared HTTP request: bodies are encoded once, not per request."""

    method: str
    url: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    graphql: bool = False

    @classmethod
    def get(cls, url: str, headers: dict[str, str]) -> Call:
        return cls("GET", url, None, tuple(headers.items()))

    @classmethod
    def graphql_post(
        cls,
        url: str,
        query: str,
        headers: dict[str, str],
        variables: dict[str, object] | None = None,
    ) -> Call:
        payload: dict[str, object] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        all_headers = {**headers, "Content-Type": "application/json"}
        return cls("POST", url, orjson.dumps(payload), tuple(all_headers.items()), graphql=True)

    def failure(self, status: int, content: bytes) -> str | None:
        """Why a response is not a success, or None."""
        if status != 200:
            return f"HTTP {status}: {content[:300]!r}"
        if self.graphql and b'"errors"' in content:
            return f"GraphQL errors: {content[:300]!r}"
        return None


class Sender(Protocol):
    """Sends calls and returns (status, body); one per concurrent worker."""

    async def send(self, call: Call) -> tuple[int, bytes]: ...

    async def aclose(self) -> None: ...


class HttpxSender:
    """A `Sender` over a shared `httpx.AsyncClient` (closing it leaves the client open)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, call: Call) -> tuple[int, bytes]:
        response = await self.client.request(
            call.method, call.url, content=call.body, headers=list(call.headers)
        )
        return response.status_code, response.content

    async def aclose(self) -> None:
        pass


class BenchmarkError(RuntimeError):
    pass


@dataclasses.dataclass(frozen=True)
class Result:
    """Latencies (seconds) of `count` requests completed in `elapsed` seconds."""

    latencies: tuple[float, ...]
    elapsed: float
    failures: int = 0
    server_cpu: float | None = None  # CPU seconds the server used during the run
    upstream_cpu: float | None = None  # CPU seconds the emulator used, for gateway runs
    client_cpu: float | None = None  # CPU seconds this process used during the run

    @property
    def count(self) -> int:
        return len(self.latencies)

    @functools.cached_property
    def _sorted(self) -> list[float]:
        return sorted(self.latencies)

    @property
    def p50(self) -> float:
        return percentile(self._sorted, 50, presorted=True)

    @property
    def p95(self) -> float:
        return percentile(self._sorted, 95, presorted=True)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed > 0 else math.nan

    @property
    def server_cpu_per_request(self) -> float | None:
        return None if self.server_cpu is None or not self.count else self.server_cpu / self.count

    @property
    def upstream_cpu_per_request(self) -> float | None:
        if self.upstream_cpu is None or not self.count:
            return None
        return self.upstream_cpu / self.count


def percentile(values: Sequence[float], q: float, *, presorted: bool = False) -> float:
    """The q-th percentile with linear interpolation (numpy's default)."""
    if not values:
        return math.nan
    ordered = values if presorted else sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def new_client(concurrency: int = 1) -> httpx.AsyncClient:
    size = max(concurrency, 1) * 2
    return httpx.AsyncClient(
        timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
    )


CpuProbe = Callable[[], float]


@dataclasses.dataclass(frozen=True)
class Probes:
    """CPU-time readers of the measured server and of the upstream behind it."""

    server: CpuProbe | None = None
    upstream: CpuProbe | None = None

    def read(self) -> tuple[float | None, float | None]:
        return (
            None if self.server is None else self.server(),
            None if self.upstream is None else self.upstream(),
        )

    def since(self, start: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
        now = self.read()
        return (
            None if now[0] is None or start[0] is None else now[0] - start[0],
            None if now[1] is None or start[1] is None else now[1] - start[1],
        )


async def check(client: httpx.AsyncClient, call: Call) -> httpx.Response:
    """Send `call` once and fail loudly unless it succeeds."""
    response = await client.request(
        call.method, call.url, content=call.body, headers=list(call.headers)
    )
    reason = call.failure(response.status_code, response.content)
    if reason is not None:
        raise BenchmarkError(f"{call.method} {call.url} failed: {reason}")
    return response


async def sequential(
    sender: Sender,
    calls: Sequence[Call],
    *,
    count: int,
    warmup: int,
    probes: Probes = Probes(),
) -> Result:
    """`count` requests one after another (cycling through `calls`), after `warmup` more."""
    cycle = itertools.cycle(calls)
    for _ in range(warmup):
        call = next(cycle)
        reason = call.failure(*await sender.send(call))
        if reason is not None:
            raise BenchmarkError(f"{call.method} {call.url} failed: {reason}")
    latencies: list[float] = []
    cpu_start = probes.read()
    process_start = time.process_time()
    started = time.perf_counter()
    for _ in range(count):
        call = next(cycle)
        sent = time.perf_counter()
        status, content = await sender.send(call)
        latencies.append(time.perf_counter() - sent)
        reason = call.failure(status, content)
        if reason is not None:
            raise BenchmarkError(f"{call.method} {call.url} failed: {reason}")
    elapsed = time.perf_counter() - started
    server_cpu, upstream_cpu = probes.since(cpu_start)
    return Result(
        tuple(latencies),
        elapsed,
        server_cpu=server_cpu,
        upstream_cpu=upstream_cpu,
        client_cpu=time.process_time() - process_start,
    )


async def concurrent(
    new_sender: Callable[[], Sender],
    calls: Sequence[Call],
    *,
    concurrency: int,
    duration: float | None = None,
    total: int | None = None,
    probes: Probes = Probes(),
) -> Result:
    """`concurrency` workers sending `calls` in turn, for `duration` seconds or `total` requests.

    Failed requests are counted (and not timed); more than 1% of failures is an error.
    """
    if (duration is None) == (total is None):
        raise ValueError("pass exactly one of duration and total")
    latencies: list[float] = []
    failures: list[str] = []
    tickets = itertools.count()
    cycle = itertools.cycle(calls)
    deadline = math.inf if duration is None else time.perf_counter() + duration
    limit = math.inf if total is None else total

    async def worker() -> None:
        sender = new_sender()
        try:
            while time.perf_counter() < deadline and next(tickets) < limit:
                call = next(cycle)
                sent = time.perf_counter()
                try:
                    status, content = await sender.send(call)
                except (httpx.HTTPError, OSError, asyncio.IncompleteReadError) as exc:
                    failures.append(repr(exc))
                    continue
                latency = time.perf_counter() - sent
                reason = call.failure(status, content)
                if reason is None:
                    latencies.append(latency)
                else:
                    failures.append(reason)
        finally:
            await sender.aclose()

    cpu_start = probes.read()
    process_start = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    done = len(latencies) + len(failures)
    if failures and len(failures) > done / 100:
        raise BenchmarkError(f"{len(failures)} of {done} requests failed, e.g. {failures[0]}")
    server_cpu, upstream_cpu = probes.since(cpu_start)
    return Result(
        tuple(latencies),
        elapsed,
        failures=len(failures),
        server_cpu=server_cpu,
        upstream_cpu=upstream_cpu,
        client_cpu=time.process_time() - process_start,
    )


def merge(results: Sequence[Result]) -> Result:
    """One result from several runs of the same scenario (interleaved rounds)."""

    def total(values: Sequence[float | None]) -> float | None:
        return None if any(v is None for v in values) else sum(v or 0.0 for v in values)

    return Result(
        tuple(itertools.chain.from_iterable(r.latencies for r in results)),
        sum(r.elapsed for r in results),
        failures=sum(r.failures for r in results),
        server_cpu=total([r.server_cpu for r in results]),
        upstream_cpu=total([r.upstream_cpu for r in results]),
        client_cpu=total([r.client_cpu for r in results]),
    )
