"""Profile the gateway's request paths with cProfile (stdlib, no extra dependency).

Starts the emulator and, per scenario, one `gateway serve` under `python -m cProfile`,
sends the benchmark's requests one at a time, stops the gateway (which writes the profile)
and prints where its CPU time went: by area (GraphQL execution, upstream HTTP client, HTTP
server, gateway code, ...) and by function, per request::

    python -m bench.profile                       # cached, uncached and fanout
    python -m bench.profile --scenario fanout --requests 50 --save /tmp/profiles

cProfile's own overhead is per Python call, so it inflates call-heavy pure-Python code
(graphql-core's executor) against C code (orjson, uvloop): read shares, not absolute times.
Profiles saved with `--save` open in any pstats viewer (`python -m pstats FILE`, snakeviz).
"""

from __future__ import annotations

import argparse
import dataclasses
import pstats
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.load import BenchmarkError, Call, HttpxSender, new_client, sequential
from bench.run import (
    AUTH,
    LIST_QUERY,
    NODES_QUERY,
    gateway_destinations,
    run_async,
    seed,
    start_emulator,
    start_gateway,
)
from bench.servers import REPO, ServerFailed, Servers


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    cache_ttl: float
    fanout: bool
    requests: int  # default count


SCENARIOS = {
    "cached": Scenario("cached", 5.0, False, 2000),
    "uncached": Scenario("uncached", 0.0, False, 500),
    "fanout": Scenario("fanout", 0.0, True, 60),
}

# First match wins: (area, fragments of a profile entry's file or function name).
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gateway code", ("/gateway/",)),
    ("GraphQL execution (graphql-core, strawberry)", ("/graphql/", "/strawberry/")),
    (
        "upstream HTTP client (httpx, httpcore, h11, anyio)",
        ("/httpx", "/httpcore", "/h11/", "/anyio/"),
    ),
    ("HTTP server (uvicorn, starlette, fastapi)", ("/uvicorn/", "/starlette/", "/fastapi/")),
    ("JSON (orjson, json)", ("orjson", "/json/")),
    ("logging and metrics", ("/logging/", "/prometheus_client/")),
    ("asyncio", ("/asyncio/", "uvloop", "_asyncio")),
)


OTHER = "other (builtins and C functions, called from any of the above)"
_START_UP = frozenset(
    {
        "<built-in method marshal.loads>",
        "<built-in method builtins.exec>",
        "<built-in method builtins.compile>",
        "<built-in method builtins.__build_class__>",
    }
)


def area_of(filename: str, function: str) -> str:
    text = f"{filename} {function}"
    for area, fragments in AREAS:
        if any(fragment in text for fragment in fragments):
            return area
    return OTHER


@dataclasses.dataclass(frozen=True)
class Entry:
    label: str
    area: str
    calls: int
    own: float  # seconds
    cumulative: float


def read_profile(path: Path, requests: int) -> list[Entry]:
    """Profile entries that ran per request; start-up (imports) and entries that only
    measure a suspended coroutine or the event loop's idle wait are left out."""
    stats = pstats.Stats(str(path))
    table: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    table = stats.stats  # type: ignore[attr-defined]
    entries = []
    for (filename, line, function), (_, calls, own, cumulative, _) in table.items():
        if calls < requests / 2 or filename.endswith("runners.py") or function in _START_UP:
            continue
        short = filename.split("site-packages/")[-1].replace(str(REPO) + "/", "")
        label = f"{short}:{line}({function})" if filename != "~" else function
        entries.append(Entry(label, area_of(filename, function), calls, own, cumulative))
    return entries


def render(scenario: Scenario, entries: Sequence[Entry], requests: int, top: int) -> str:
    total = sum(e.own for e in entries) or 1.0
    by_area: dict[str, float] = {}
    for entry in entries:
        by_area[entry.area] = by_area.get(entry.area, 0.0) + entry.own
    lines = [
        f"## {scenario.name}: {requests} requests, {total / requests * 1000:.2f} ms of profiled "
        "CPU per request",
        "",
        "| area | ms/request | share |",
        "|---|---:|---:|",
    ]
    for area, own in sorted(by_area.items(), key=lambda item: -item[1]):
        lines.append(f"| {area} | {own / requests * 1000:.3f} | {100 * own / total:.0f}% |")
    lines += [
        "",
        "| function (own time) | calls/request | own ms/request | cumulative ms/request |",
        "|---|---:|---:|---:|",
    ]
    for entry in sorted(entries, key=lambda e: -e.own)[:top]:
        lines.append(
            f"| `{entry.label}` | {entry.calls / requests:.1f} | "
            f"{entry.own / requests * 1000:.3f} | {entry.cumulative / requests * 1000:.3f} |"
        )
    return "\n".join(lines) + "\n"


async def drive(gateway: str, scenario: Scenario, requests: int, fanout: int) -> None:
    async with new_client(1) as client:
        if scenario.fanout:
            nodes = await gateway_destinations(client, gateway)
            ids = [n["id"] for n in nodes[:fanout]]
            call = Call.graphql_post(f"{gateway}/graphql", NODES_QUERY, AUTH, {"ids": ids})
        else:
            call = Call.graphql_post(f"{gateway}/graphql", LIST_QUERY, AUTH)
        await sequential(HttpxSender(client), [call], count=requests, warmup=5)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument(
        "--scenario", choices=sorted(SCENARIOS), action="append", help="default: all"
    )
    parser.add_argument("--requests", type=int, help="requests per scenario")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--destinations", type=int, default=60)
    parser.add_argument("--fanout", type=int, default=50)
    parser.add_argument("--top", type=int, default=25, help="functions listed per scenario")
    parser.add_argument("--source", type=Path, default=REPO, help="checkout to profile")
    parser.add_argument("--save", type=Path, help="also keep the .pstats files here")
    args = parser.parse_args(argv)
    chosen = [SCENARIOS[name] for name in args.scenario or SCENARIOS]
    reports = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="gateway-profile-") as tmp,
            Servers(Path(tmp), args.source.resolve()) as servers,
        ):
            workdir = Path(tmp)
            emulator = start_emulator(servers, workdir, args.latency_ms)
            run_async(seed(emulator.url, args.destinations))
            for scenario in chosen:
                requests = args.requests or scenario.requests
                profile = (args.save or workdir) / f"gateway-{scenario.name}.pstats"
                profile.parent.mkdir(parents=True, exist_ok=True)
                gateway = start_gateway(
                    servers,
                    f"gateway-{scenario.name}",
                    emulator.url,
                    cache_ttl=scenario.cache_ttl,
                    profile_to=profile,
                )
                run_async(drive(gateway.url, scenario, requests, args.fanout))
                gateway.interrupt()  # cProfile writes the file as the process exits
                reports.append(
                    render(scenario, read_profile(profile, requests), requests, args.top)
                )
    except (BenchmarkError, ServerFailed, OSError) as exc:
        print(f"bench.profile: {exc}", file=sys.stderr)
        return 1
    print("\n".join(reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
