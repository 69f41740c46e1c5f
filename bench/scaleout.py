"""`make bench`, scale-out section: one process against `--workers 2`, both on Redis.

Starts the emulator (20 ms injected latency), a gateway of one process with Redis, one of
two worker processes with Redis, and one process without Redis (in-process caches), each
under its own key prefix, and measures at concurrency 32: the cached query's throughput
(whole-result hits from Redis) and the uncached one's (`Cache-Control: no-cache`: every
request executes and asks the upstream), then the p50 of a cached query sequentially with
and without Redis (the difference is the Redis round trip's cost). Writes
`bench/results-scaleout.md` and prints it.

    python -m bench.scaleout [--seconds 8] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from pathlib import Path

from bench.load import Call, Result, concurrent, sequential
from bench.rawhttp import RawSender
from bench.run import AUTH, LIST_QUERY
from bench.servers import Servers, clean_environment, free_port

OUTPUT = Path(__file__).resolve().parent / "results-scaleout.md"
SECRET = "bench secret shared by the workers"


def _gateway(servers: Servers, name: str, upstream: str, redis: str | None, workers: int) -> str:
    port = free_port()
    env = {"GATEWAY_UPSTREAM_VERSION": "2025-01-01", "GATEWAY_LOG_LEVEL": "WARNING"}
    if redis:
        env |= {
            "GATEWAY_REDIS_URL": redis,
            "GATEWAY_CACHE_KEY_SECRET": SECRET,
            "GATEWAY_REDIS_PREFIX": f"bench:{uuid.uuid4().hex[:8]}:",
        }
    args = ["-m", "gateway", "serve", "--port", str(port), "--upstream-url", upstream]
    args += ["--workers", str(workers)]
    server = servers.start(
        name, args, port=port, ready_path="/healthz", env=clean_environment(**env)
    )
    return server.url


async def _measure(url: str, seconds: float, *, fresh: bool) -> Result:
    headers = {**AUTH, "Cache-Control": "no-cache"} if fresh else dict(AUTH)
    call = Call.graphql_post(url + "/graphql", LIST_QUERY, headers)
    return await concurrent(RawSender, [call], concurrency=32, duration=seconds)


async def _p50(url: str) -> float:
    call = Call.graphql_post(url + "/graphql", LIST_QUERY, dict(AUTH))
    result = await sequential(RawSender(), [call], count=2000, warmup=200)
    return result.p50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Servers(Path(tmp)) as servers:
        port = free_port()
        latency = ["--latency-ms", "20", "--seed-callbacks", "3"]
        emulator = servers.start(
            "emulator",
            ["-m", "gateway", "emulator", "--port", str(port), "--db", ":memory:", *latency],
            port=port,
            ready_path="/callbacks",
            env=clean_environment(),
        )
        one = _gateway(servers, "one", emulator.url, options.redis, 1)
        two = _gateway(servers, "two", emulator.url, options.redis, 2)
        local = _gateway(servers, "local", emulator.url, None, 1)
        rows = []
        for label, url in (("1 process + Redis", one), ("--workers 2 + Redis", two)):
            cached = asyncio.run(_measure(url, options.seconds, fresh=False))
            uncached = asyncio.run(_measure(url, options.seconds, fresh=True))
            rows.append(
                f"| {label} | {cached.rate:,.0f} req/s (p50 {cached.p50 * 1000:.1f} ms) | "
                f"{uncached.rate:,.0f} req/s (p50 {uncached.p50 * 1000:.1f} ms) |"
            )
        with_redis, without = asyncio.run(_p50(one)), asyncio.run(_p50(local))
    text = "\n".join(
        [
            "# Scale-out: one process against two workers, sharing Redis",
            "",
            "Concurrency 32, the 20-destination list query, emulator latency 20 ms,"
            " on this machine (2 cores shared by the client, the emulator and the gateways).",
            "",
            "| gateway | cached | uncached (no-cache) |",
            "|---|---|---|",
            *rows,
            "",
            f"Cached query p50, sequential: {with_redis * 1000:.2f} ms with Redis, "
            f"{without * 1000:.2f} ms in-process: the Redis round trip costs about "
            f"{(with_redis - without) * 1000:.2f} ms.",
            "",
        ]
    )
    OUTPUT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
