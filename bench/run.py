"""`make bench`: the gateway against direct REST, cached against uncached, and fan-out.

Starts, each in its own process: the emulator (with injected latency standing in for the
network), the gateway uncached (`GATEWAY_CACHE_TTL=0`), the gateway cached, and a plain
FastAPI app returning the gateway's response bytes (the stack's ceiling). Seeds destinations
through the REST API, then measures, in one run:

1. direct REST `GET /callbacks-destinations?limit=20`;
2. the gateway uncached, the equivalent `callbackDestinations(first: 20)` with every field;
3. the gateway cached, the same query;
4. fan-out: `nodes(ids: [50 ids])` uncached, against one upstream `GET` by id;
5. throughput at concurrency 32: the cached query against the plain FastAPI ceiling;

and the gateways' memory over many requests. Writes `bench/results.md` and prints it.

    python -m bench.run            # the full run (a few minutes)
    python -m bench.run --quick    # a ~30 s smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson

from bench.load import (
    BenchmarkError,
    Call,
    HttpxSender,
    Probes,
    Result,
    Sender,
    check,
    concurrent,
    merge,
    new_client,
    sequential,
)
from bench.rawhttp import RawSender
from bench.report import MIB, Machine, Memory, Report, Row, Target, describe_source, render
from bench.servers import REPO, Server, ServerFailed, Servers, clean_environment, free_port
from gateway.emulator import DEMO_API_KEY

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.md"

DESTINATION_FIELDS = """
  id destinationId type name description createdAt
  webhookDestination { url signingSecret }
  callbacks { type callbackIds }
"""
CONNECTION_FIELDS = f"""
  edges {{ cursor node {{ {DESTINATION_FIELDS} }} }}
  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
"""
LIST_QUERY = f"query Destinations {{ callbackDestinations(first: 20) {{ {CONNECTION_FIELDS} }} }}"
PAGE_QUERY = (
    "query DestinationsPage($first: Int!) "
    f"{{ callbackDestinations(first: $first) {{ {CONNECTION_FIELDS} }} }}"
)
NODES_QUERY = (
    "query FanOut($ids: [ID!]!) "
    f"{{ nodes(ids: $ids) {{ ... on CallbackDestination {{ {DESTINATION_FIELDS} }} }} }}"
)
IDS_QUERY = "query Ids { callbackDestinations(first: 100) { nodes { id destinationId } } }"

AUTH = {"Authorization": f"Bearer {DEMO_API_KEY}"}
# Growth allowed over the memory check's requests once warm: 5 MiB is about 260 bytes a
# request over 20,000, so a leak of a few small objects per request shows; allocator noise
# (arenas, pools) does not.
MEMORY_GROWTH_LIMIT_MIB = 5.0

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Options:
    latency_ms: int
    requests: int
    fanout_requests: int
    warmup: int
    rounds: int
    duration: float
    throughput_warmup: float
    concurrency: int
    memory_requests: int
    destinations: int
    fanout: int
    cache_ttl: float
    throughput_client: str
    source: Path
    output: Path


# Knobs whose default depends on --quick: flag -> (help, full run, --quick).
SIZES: dict[str, tuple[str, float, float]] = {
    "requests": ("timed sequential requests per latency scenario", 300, 40),
    "fanout_requests": ("timed sequential requests of the fan-out scenario", 200, 30),
    "warmup": ("untimed requests before each latency scenario", 20, 5),
    "rounds": ("interleaved rounds the scenarios are split into", 5, 2),
    "duration": ("seconds of throughput load per server", 10.0, 2.0),
    "throughput_warmup": ("seconds of throughput warm-up per server", 1.0, 0.5),
    "memory_requests": ("requests per gateway in the memory check", 20_000, 2_000),
}


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Benchmark the gateway against direct REST calls to the emulator; write "
        "a markdown report and print it.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a ~30 s smoke run (smaller defaults below)"
    )
    for name, (text, full, smoke) in SIZES.items():
        kind = float if isinstance(full, float) else int
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            metavar="S" if kind is float else "N",
            help=f"{text} (default {kind(full):g}; with --quick {kind(smoke):g})",
        )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=20,
        metavar="MS",
        help="emulator latency (default %(default)s)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=32, help="throughput workers (default %(default)s)"
    )
    parser.add_argument(
        "--destinations", type=int, default=60, help="destinations seeded (default %(default)s)"
    )
    parser.add_argument(
        "--fanout", type=int, default=50, help="ids in the nodes() query (default %(default)s)"
    )
    parser.add_argument(
        "--cache-ttl",
        type=float,
        default=5.0,
        help="GATEWAY_CACHE_TTL of the cached gateway (default %(default)s)",
    )
    parser.add_argument(
        "--throughput-client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator of the throughput and memory runs (default %(default)s; httpx "
        "itself caps near 500 req/s at concurrency 32)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO,
        metavar="DIR",
        help="checkout whose `gateway` package the servers run, e.g. a `git worktree` of "
        "another commit to compare two versions (default: this repository)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        metavar="FILE",
        help="markdown report (default bench/results.md)",
    )
    args = parser.parse_args(argv)

    def size(name: str) -> float:
        value: float | None = getattr(args, name)
        _, full, smoke = SIZES[name]
        return value if value is not None else smoke if args.quick else full

    options = Options(
        latency_ms=args.latency_ms,
        requests=int(size("requests")),
        fanout_requests=int(size("fanout_requests")),
        warmup=int(size("warmup")),
        rounds=int(size("rounds")),
        duration=size("duration"),
        throughput_warmup=size("throughput_warmup"),
        concurrency=args.concurrency,
        memory_requests=int(size("memory_requests")),
        destinations=args.destinations,
        fanout=args.fanout,
        cache_ttl=args.cache_ttl,
        throughput_client=args.throughput_client,
        source=args.source.resolve(),
        output=args.output,
    )
    if not (options.source / "gateway" / "__init__.py").is_file():
        parser.error(f"--source {options.source} holds no gateway package")
    if options.fanout > min(options.destinations, 100):
        parser.error("--fanout must not exceed --destinations (nor 100)")
    if min(options.requests, options.fanout_requests, options.rounds, options.concurrency) < 1:
        parser.error("request counts, rounds and concurrency must be positive")
    if options.warmup < 0 or options.duration <= 0 or options.memory_requests < 4:
        parser.error("--warmup must be >= 0, --duration > 0 and --memory-requests >= 4")
    return options


@dataclasses.dataclass(frozen=True)
class Fixture:
    """What the measurements need from the seeded data."""

    fanout_ids: list[str]  # Relay global ids
    raw_ids: list[str]  # the same destinations' upstream ids
    cached_response: bytes  # the cached gateway's answer to LIST_QUERY


@dataclasses.dataclass
class Stack:
    emulator: Server
    uncached: Server
    cached: Server
    plain: Server | None = None
    rss_at_start: dict[str, int] = dataclasses.field(default_factory=dict)
    served: dict[str, int] = dataclasses.field(default_factory=dict)

    def count(self, server: Server, result: Result) -> Result:
        self.served[server.name] = self.served.get(server.name, 0) + result.count
        return result


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    machine = Machine.detect()
    started = time.monotonic()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp,
            Servers(Path(tmp), options.source) as servers,
        ):
            workdir = Path(tmp)
            stack = start_stack(servers, workdir, options)
            fixture = run_async(prepare(stack, options))
            body_file = workdir / "response.json"
            body_file.write_bytes(fixture.cached_response)
            stack.plain = start_plain(servers, body_file)
            measured = run_async(measure(stack, fixture, options))
    except (BenchmarkError, ServerFailed, httpx.HTTPError, OSError) as exc:
        print(f"bench: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    report = Report(
        machine=machine,
        settings={
            "emulator latency": f"{options.latency_ms} ms",
            "sequential requests": f"{options.requests} (fan-out {options.fanout_requests})",
            "warm-up": str(options.warmup),
            "rounds": str(options.rounds),
            "throughput": f"{options.concurrency} workers x {options.duration:g} s",
            "memory check": f"{options.memory_requests:,} requests",
            "destinations": str(options.destinations),
            "cache TTL": f"{options.cache_ttl:g} s",
            "gateway source": describe_source(options.source),
        },
        rows=measured.rows,
        targets=measured.targets,
        memory=measured.memory,
        notes=measured.notes,
        diagnosis=measured.diagnosis,
        load_after=os.getloadavg(),
        wall_seconds=time.monotonic() - started,
    )
    text = render(report)
    options.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


# --- processes --------------------------------------------------------------------------------


def start_stack(servers: Servers, workdir: Path, options: Options) -> Stack:
    emulator = start_emulator(servers, workdir, options.latency_ms)
    uncached = start_gateway(servers, "gateway-uncached", emulator.url, cache_ttl=0)
    cached = start_gateway(servers, "gateway-cached", emulator.url, cache_ttl=options.cache_ttl)
    stack = Stack(emulator, uncached, cached)
    stack.rss_at_start = {s.name: s.rss_bytes() for s in (uncached, cached)}
    return stack


def start_emulator(servers: Servers, workdir: Path, latency_ms: int) -> Server:
    port = free_port()
    return servers.start(
        "emulator",
        [
            *("-m", "gateway", "emulator", "--port", str(port)),
            *("--db", str(workdir / "emulator.sqlite3"), "--latency-ms", str(latency_ms)),
            *("--rate-limit", "1000000000"),  # the benchmark is not about 429s
            # One API version on both sides of the comparison (the gateway is pinned too):
            # the rows stay comparable with earlier runs.
            *("--api-version", "2025-01-01"),
        ],
        port=port,
        ready_path="/callbacks-destinations?limit=1",
        env=clean_environment(),
        ready_headers=AUTH,
    )


def start_gateway(
    servers: Servers,
    name: str,
    upstream: str,
    *,
    cache_ttl: float,
    profile_to: Path | None = None,
) -> Server:
    """`gateway serve` with every setting at its default but these; under cProfile, writing
    `profile_to` when stopped, if given."""
    port = free_port()
    env = clean_environment(
        GATEWAY_UPSTREAM_URL=upstream,
        GATEWAY_CACHE_TTL=f"{cache_ttl:g}",
        GATEWAY_UPSTREAM_VERSION="2025-01-01",
    )
    profiler = [] if profile_to is None else ["-m", "cProfile", "-o", str(profile_to)]
    return servers.start(
        name,
        [*profiler, "-m", "gateway", "serve", "--port", str(port)],
        port=port,
        ready_path="/healthz",
        env=env,
    )


def start_plain(servers: Servers, body_file: Path) -> Server:
    port = free_port()
    return servers.start(
        "plain-fastapi",
        ["-m", "bench.plain", "--port", str(port), "--body-file", str(body_file)],
        port=port,
        ready_path="/healthz",
    )


# --- preparation -----------------------------------------------------------------------------


async def prepare(stack: Stack, options: Options) -> Fixture:
    """Seed destinations through the REST API and check that the gateways agree with it."""
    raw_list = await seed(stack.emulator.url, options.destinations)
    async with new_client(1) as client:
        nodes = await gateway_destinations(client, stack.uncached.url)
        if [n["destinationId"] for n in nodes] != raw_list[:100]:
            raise BenchmarkError("the gateway's list differs from the REST API's")
        chosen = nodes[: options.fanout]
        list_call = Call.graphql_post(f"{stack.cached.url}/graphql", LIST_QUERY, AUTH)
        response = await check(client, list_call)
        edges = orjson.loads(response.content)["data"]["callbackDestinations"]["edges"]
        if [e["node"]["destinationId"] for e in edges] != raw_list[:20]:
            raise BenchmarkError("the gateway's first page differs from the REST API's")
    return Fixture(
        fanout_ids=[n["id"] for n in chosen],
        raw_ids=[n["destinationId"] for n in chosen],
        cached_response=response.content,
    )


async def seed(base: str, destinations: int) -> list[str]:
    """Create destinations (a third with selected callbacks) up to `destinations`; return the
    first 100 ids."""
    async with new_client(8) as rest:
        callbacks = (await check(rest, Call.get(f"{base}/callbacks?limit=100", AUTH))).json()
        callback_ids = [item["id"] for item in callbacks["items"]]
        existing = await list_destination_ids(rest, base)
        semaphore = asyncio.Semaphore(8)

        async def create(index: int) -> None:
            selection: dict[str, object] = {"type": "all"}
            if index % 3 == 0 and callback_ids:
                selection = {"type": "selected", "callback_id": callback_ids[: 1 + index % 2]}
            body = {
                "name": f"Bench destination {index:03d}",
                "description": f"Seeded by the benchmark ({index})",
                "url": f"https://hooks.example.com/bench/{index}",
                "callbacks": selection,
            }
            async with semaphore:
                response = await rest.post(
                    f"{base}/callbacks-destinations",
                    content=orjson.dumps(body),
                    headers={**AUTH, "Content-Type": "application/json"},
                )
            if response.status_code != 200:
                raise BenchmarkError(f"seeding failed: HTTP {response.status_code} {response.text}")

        await asyncio.gather(*(create(i) for i in range(len(existing), destinations)))
        return await list_destination_ids(rest, base)


async def gateway_destinations(client: httpx.AsyncClient, gateway: str) -> list[dict[str, str]]:
    """`{id, destinationId}` of the first 100 destinations, through the gateway."""
    response = await check(client, Call.graphql_post(f"{gateway}/graphql", IDS_QUERY, AUTH))
    nodes: list[dict[str, str]] = orjson.loads(response.content)["data"]["callbackDestinations"][
        "nodes"
    ]
    return nodes


async def list_destination_ids(client: httpx.AsyncClient, base: str) -> list[str]:
    body = (await check(client, Call.get(f"{base}/callbacks-destinations?limit=100", AUTH))).json()
    return [item["id"] for item in body["items"]]


# --- measurements ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    server: Server
    calls: list[Call]
    count: int
    upstream: Server | None = None

    @property
    def probes(self) -> Probes:
        upstream = None if self.upstream is None else self.upstream.cpu_seconds
        return Probes(self.server.cpu_seconds, upstream)


@dataclasses.dataclass(frozen=True)
class Measurements:
    rows: list[Row]
    targets: list[Target]
    memory: list[Memory]
    notes: list[str]
    diagnosis: list[str]


async def measure(stack: Stack, fixture: Fixture, options: Options) -> Measurements:
    assert stack.plain is not None
    emulator, uncached, cached, plain = stack.emulator, stack.uncached, stack.cached, stack.plain
    list_uncached = Call.graphql_post(f"{uncached.url}/graphql", LIST_QUERY, AUTH)
    list_cached = Call.graphql_post(f"{cached.url}/graphql", LIST_QUERY, AUTH)
    list_plain = Call.graphql_post(f"{plain.url}/graphql", LIST_QUERY, AUTH)
    fanout = Call.graphql_post(
        f"{uncached.url}/graphql", NODES_QUERY, AUTH, {"ids": fixture.fanout_ids}
    )
    one_get = [
        Call.get(f"{emulator.url}/callbacks-destinations/{i}", AUTH) for i in fixture.raw_ids
    ]
    direct_list = Call.get(f"{emulator.url}/callbacks-destinations?limit=20", AUTH)
    n = options.requests
    latency_scenarios = [
        Scenario(
            "1", "direct REST `GET /callbacks-destinations?limit=20`", emulator, [direct_list], n
        ),
        Scenario(
            "2",
            "gateway uncached `callbackDestinations(first: 20)`, every field",
            uncached,
            [list_uncached],
            n,
            emulator,
        ),
        Scenario("3", "gateway cached, same query", cached, [list_cached], n, emulator),
        Scenario(
            "4a", "direct REST `GET /callbacks-destinations/{id}` (one GET)", emulator, one_get, n
        ),
        Scenario(
            "4b",
            f"gateway uncached `nodes(ids: [{options.fanout} ids])`, every field",
            uncached,
            [fanout],
            options.fanout_requests,
            emulator,
        ),
    ]
    throughput_scenarios = [
        Scenario("5a", "plain FastAPI endpoint, the same response bytes", plain, [list_plain], 0),
        Scenario("5b", "gateway cached, same query", cached, [list_cached], 0, emulator),
    ]
    clients = {s.name: new_client(options.concurrency) for s in (emulator, uncached, cached)}
    try:

        def senders(server: Server) -> Callable[[], Sender]:
            if options.throughput_client == "raw":
                return RawSender
            client = clients.setdefault(server.name, new_client(options.concurrency))
            return lambda: HttpxSender(client)

        latency = await latency_rounds(stack, latency_scenarios, clients, options)
        throughput = await throughput_rounds(stack, throughput_scenarios, senders, options)
        memory = []
        for server in (cached, uncached):
            calls = [list_cached if server is cached else list_uncached]
            calls += [
                Call.graphql_post(f"{server.url}/graphql", PAGE_QUERY, AUTH, {"first": k})
                for k in (5, 10, 20)
            ]
            memory.append(await memory_check(stack, server, senders(server), calls, options))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()))

    rows = [Row(s.key, s.label, latency[s.key]) for s in latency_scenarios]
    rows += [
        Row(s.key, s.label, throughput[s.key], options.concurrency) for s in throughput_scenarios
    ]
    by_key = {row.key: row.result for row in rows}
    ratio = {
        "uncached": by_key["2"].p50 / by_key["1"].p50,
        "cached": by_key["3"].p50 / by_key["1"].p50,
        "fanout": by_key["4b"].p50 / by_key["4a"].p50,
        "throughput": by_key["5b"].rate / by_key["5a"].rate,
    }
    targets = [
        Target("uncached p50 / direct REST p50 (2 / 1)", ratio["uncached"], 1.15, True),
        Target("cached p50 / direct REST p50 (3 / 1)", ratio["cached"], 0.25, True),
        Target("fan-out p50 / one upstream GET p50 (4b / 4a)", ratio["fanout"], 2.5, True),
        Target("cached req/s / plain FastAPI req/s (5b / 5a)", ratio["throughput"], 0.5, False),
    ]
    for mem in memory:
        (start, first), (end, last) = mem.checkpoints[0], mem.checkpoints[-1]
        targets.append(
            Target(
                f"memory: {mem.process} RSS growth over {end - start:,} requests",
                (last - first) / MIB,
                MEMORY_GROWTH_LIMIT_MIB,
                True,
                "MiB",
            )
        )
    return Measurements(
        rows, targets, memory, notes_for(options, by_key), diagnose(targets, by_key)
    )


def diagnose(targets: Sequence[Target], by_key: dict[str, Result]) -> list[str]:
    """For each missed target, what the measurements say about why."""
    missed = {t.name.split(" (")[0].split(":")[0] for t in targets if not t.met}

    def cpu(key: str) -> float:
        return (by_key[key].server_cpu_per_request or 0.0) * 1000

    lines = []
    if "uncached p50 / direct REST p50" in missed:
        budget = 0.15 * by_key["1"].p50 * 1000
        extra = (by_key["2"].p50 - by_key["1"].p50) * 1000
        lines.append(
            f"Missed (uncached): the gateway adds {extra:.2f} ms at p50 against a budget of "
            f"{budget:.2f} ms, and used {cpu('2'):.2f} ms of CPU per request (the emulator "
            f"{cpu('1'):.2f} ms per direct request): its own work runs in series with the "
            "upstream call. `python -m bench.profile --scenario uncached` shows where it goes."
        )
    if "fan-out p50 / one upstream GET p50" in missed:
        p50 = by_key["4b"].p50 * 1000
        lines.append(
            f"Missed (fan-out): the gateway used {cpu('4b'):.1f} ms of CPU per fan-out request "
            f"for a p50 of {p50:.1f} ms (the emulator "
            f"{(by_key['4b'].upstream_cpu_per_request or 0.0) * 1000:.1f} ms): it is CPU-bound "
            "on its side. `python -m bench.profile --scenario fanout` shows where it goes."
        )
    if "cached req/s / plain FastAPI req/s" in missed:
        lines.append(
            f"Missed (throughput): the cached gateway used {cpu('5b'):.3f} ms of CPU per "
            f"request, the plain endpoint {cpu('5a'):.3f} ms. `python -m bench.profile "
            "--scenario cached` shows where it goes."
        )
    if "memory" in missed:
        lines.append(
            "Missed (memory): RSS kept growing over the measured requests; compare "
            "`tracemalloc` snapshots taken at two points of a long run."
        )
    return lines


def notes_for(options: Options, by_key: dict[str, Result]) -> list[str]:
    client = (
        "a minimal keep-alive HTTP/1.1 client on asyncio streams (`bench/rawhttp.py`), one "
        "connection per worker: `httpx.AsyncClient` spends about 2 ms of client CPU per request "
        "at this concurrency and would cap both servers near 500 req/s"
        if options.throughput_client == "raw"
        else "one shared `httpx.AsyncClient`"
    )
    return [
        f"The emulator delays every response by {options.latency_ms} ms (the network stand-in); "
        f"{options.destinations} destinations were seeded through its REST API first.",
        "Every server is its own process, started through its command line (`gateway emulator`, "
        "`gateway serve`, `python -m bench.plain`; uvicorn with uvloop and httptools). Every "
        "response is checked (HTTP 200, no GraphQL `errors`).",
        f"Latency rows (1-4): a keep-alive `httpx.AsyncClient`, one request at a time, after "
        f"{options.warmup} warm-up requests; the scenarios run in {options.rounds} interleaved "
        "rounds so that other load on the shared machine falls on all of them alike. req/s "
        "there is 1 / mean latency.",
        f"Throughput rows (5): {options.concurrency} workers for {options.duration:g} s per "
        f"server after {options.throughput_warmup:g} s of warm-up, the two servers alternating "
        f"in {options.rounds} rounds; the load generator is {client}. It used "
        f"{cpu_share(by_key['5a'])} of a core against the plain endpoint and "
        f"{cpu_share(by_key['5b'])} against the gateway.",
        "Server CPU ms/req: CPU time of the measured process alone (the emulator for direct "
        "rows, the gateway for gateway rows) divided by the requests; upstream CPU ms/req: the "
        "emulator's CPU time during gateway rows. On a 2-core machine the two compete with the "
        "load generator.",
        f"The cached gateway runs with `GATEWAY_CACHE_TTL={options.cache_ttl:g}`, so about one "
        "request per TTL refetches from the upstream; the uncached one with "
        "`GATEWAY_CACHE_TTL=0`. Every other setting is the default (log level INFO: one JSON "
        "access line per request, here to a file).",
        "Memory: RSS from /proc right after start-up; then, once the other phases had run and "
        f"after {max(options.memory_requests // 10, options.concurrency):,} warm-up requests at "
        "the same concurrency, before and after each quarter of "
        f"{options.memory_requests:,} requests (the benchmarked query and `$first` pages of 5, "
        f"10 and 20, {options.concurrency} workers). The target is growth of at most "
        f"{MEMORY_GROWTH_LIMIT_MIB:g} MiB over those {options.memory_requests:,} requests. The "
        "left column counts every request the process had served.",
    ]


def cpu_share(result: Result) -> str:
    if result.client_cpu is None or result.elapsed <= 0:
        return "-"
    return f"{100 * result.client_cpu / result.elapsed:.0f}%"


async def latency_rounds(
    stack: Stack,
    scenarios: Sequence[Scenario],
    clients: dict[str, httpx.AsyncClient],
    options: Options,
) -> dict[str, Result]:
    parts: dict[str, list[Result]] = {s.key: [] for s in scenarios}
    for round_index in range(options.rounds):
        for s in scenarios:
            share = s.count // options.rounds + (round_index < s.count % options.rounds)
            result = await sequential(
                HttpxSender(clients[s.server.name]),
                s.calls,
                count=share,
                warmup=options.warmup if round_index == 0 else 0,
                probes=s.probes,
            )
            parts[s.key].append(stack.count(s.server, result))
            progress(f"latency {s.key} round {round_index + 1}/{options.rounds}", result)
    return {key: merge(results) for key, results in parts.items()}


async def throughput_rounds(
    stack: Stack,
    scenarios: Sequence[Scenario],
    senders: Callable[[Server], Callable[[], Sender]],
    options: Options,
) -> dict[str, Result]:
    parts: dict[str, list[Result]] = {s.key: [] for s in scenarios}
    for s in scenarios:
        warm = await concurrent(
            senders(s.server),
            s.calls,
            concurrency=options.concurrency,
            duration=options.throughput_warmup,
        )
        stack.count(s.server, warm)
    for round_index in range(options.rounds):
        for s in scenarios:
            result = await concurrent(
                senders(s.server),
                s.calls,
                concurrency=options.concurrency,
                duration=options.duration / options.rounds,
                probes=s.probes,
            )
            parts[s.key].append(stack.count(s.server, result))
            progress(f"throughput {s.key} round {round_index + 1}/{options.rounds}", result)
    return {key: merge(results) for key, results in parts.items()}


async def memory_check(
    stack: Stack,
    server: Server,
    senders: Callable[[], Sender],
    calls: list[Call],
    options: Options,
) -> Memory:
    # A warm-up at the same concurrency first: the first burst of 32 concurrent requests
    # opens connections and grows buffers once, which is not a leak.
    warm = max(options.memory_requests // 10, options.concurrency)
    stack.count(
        server, await concurrent(senders, calls, concurrency=options.concurrency, total=warm)
    )
    quarter = max(options.memory_requests // 4, 1)
    checkpoints = [(stack.served[server.name], server.rss_bytes())]
    for _ in range(4):
        result = await concurrent(senders, calls, concurrency=options.concurrency, total=quarter)
        stack.count(server, result)
        checkpoints.append((stack.served[server.name], server.rss_bytes()))
        progress(f"memory {server.name}", result)
    return Memory(server.name, stack.rss_at_start[server.name], tuple(checkpoints))


def progress(label: str, result: Result) -> None:
    print(
        f"  {label}: {result.count} requests, p50 {result.p50 * 1000:.2f} ms, "
        f"p95 {result.p95 * 1000:.2f} ms, {result.rate:,.0f} req/s",
        file=sys.stderr,
        flush=True,
    )


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (it is, with uvicorn[standard]): less client CPU."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


if __name__ == "__main__":
    raise SystemExit(main())
