"""The benchmark report: the machine it ran on, and markdown tables of the results."""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bench.load import Result

MIB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    usable_cores: int
    memory_gib: float
    python: str
    system: str
    load_average: tuple[float, float, float]
    date: str
    packages: dict[str, str]

    @classmethod
    def detect(cls) -> Machine:
        return cls(
            cpu=_cpu_model(),
            cores=os.cpu_count() or 0,
            usable_cores=len(os.sched_getaffinity(0)),
            memory_gib=_memory_gib(),
            python=f"{platform.python_implementation()} {platform.python_version()}",
            system=f"{platform.system()} {platform.release()} ({platform.machine()})",
            load_average=os.getloadavg(),
            date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            packages={name: _version(name) for name in _PACKAGES},
        )


_PACKAGES = ("strawberry-graphql", "graphql-core", "fastapi", "starlette", "uvicorn", "httpx")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def describe_source(path: Path) -> str:
    """`path` and the commit its `gateway/` is at, noting uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(path), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"{path} (not a git checkout)"
    dirty = git("status", "--porcelain", "--", "gateway")
    return f"{path} at {commit}" + (" with uncommitted changes in gateway/" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return math.nan


@dataclasses.dataclass(frozen=True)
class Row:
    key: str
    scenario: str
    result: Result
    concurrency: int = 1


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    measured: float
    limit: float
    at_most: bool  # True: measured <= limit; False: measured >= limit
    unit: str = "x"

    @property
    def met(self) -> bool:
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit


@dataclasses.dataclass(frozen=True)
class Memory:
    process: str
    at_start: int
    checkpoints: tuple[tuple[int, int], ...]  # (requests served so far, RSS bytes)


@dataclasses.dataclass(frozen=True)
class Report:
    machine: Machine
    settings: dict[str, str]
    rows: Sequence[Row]
    targets: Sequence[Target]
    memory: Sequence[Memory]
    notes: Sequence[str]
    diagnosis: Sequence[str]
    load_after: tuple[float, float, float]
    wall_seconds: float


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _optional_ms(seconds: float | None) -> str:
    return "-" if seconds is None else _ms(seconds)


def _mib(value: int) -> str:
    return f"{value / MIB:.1f}"


def render(report: Report) -> str:
    m = report.machine
    lines = [
        "# Gateway benchmark results",
        "",
        "Written by `make bench` (`python -m bench.run`); do not edit by hand.",
        "",
        "## Machine",
        "",
        f"- Date: {m.date}",
        f"- CPU: {m.cpu}, {m.cores} cores ({m.usable_cores} usable), {m.memory_gib:.1f} GiB RAM",
        f"- System: {m.system}; {m.python}",
        "- Packages: " + ", ".join(f"{name} {v}" for name, v in m.packages.items()),
        "- Load average (1/5/15 min) before the run: "
        + " / ".join(f"{x:.2f}" for x in m.load_average)
        + "; after: "
        + " / ".join(f"{x:.2f}" for x in report.load_after)
        + " (the machine may be shared with other processes)",
        f"- Settings: {', '.join(f'{k} {v}' for k, v in report.settings.items())}",
        f"- Whole run: {report.wall_seconds:.0f} s",
        "",
        "## Latency and throughput",
        "",
        "| # | scenario | concurrency | requests | p50 ms | p95 ms | req/s "
        "| server CPU ms/req | upstream CPU ms/req |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        r = row.result
        lines.append(
            f"| {row.key} | {row.scenario} | {row.concurrency} | {r.count:,} | {_ms(r.p50)} | "
            f"{_ms(r.p95)} | {r.rate:,.0f} | {_optional_ms(r.server_cpu_per_request)} | "
            f"{_optional_ms(r.upstream_cpu_per_request)} |"
        )
    lines += [
        "",
        "## Targets (ratios within this run)",
        "",
        "| target | measured | limit | met |",
        "|---|---:|---:|:---:|",
    ]
    for t in report.targets:
        sign = "<=" if t.at_most else ">="
        fmt = ".2f" if t.unit == "x" else ".1f"
        lines.append(
            f"| {t.name} | {t.measured:{fmt}} {t.unit} | {sign} {t.limit:{fmt}} {t.unit} | "
            f"{'yes' if t.met else '**no**'} |"
        )
    lines += [
        "",
        "## Memory (resident set size, MiB)",
        "",
        "| process | at start | requests served: RSS |",
        "|---|---:|---|",
    ]
    for mem in report.memory:
        points = ", ".join(f"{n:,}: {_mib(rss)}" for n, rss in mem.checkpoints)
        lines.append(f"| {mem.process} | {_mib(mem.at_start)} | {points} |")
    if report.diagnosis:
        lines += ["", "## Missed targets: what the numbers say", ""]
        lines += [f"- {line}" for line in report.diagnosis]
    lines += ["", "## How it was measured", ""]
    lines += [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"
