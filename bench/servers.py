"""Server processes for the benchmark: start, wait until they answer, measure, stop.

Every server runs in its own process (uvicorn through its command line), so the load
generator never shares an interpreter with what it measures. `Servers` is a context
manager that stops every process it started, also on errors and Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclasses.dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_bytes(self) -> int:
        """Resident set size, from /proc (Linux)."""
        fields = Path(f"/proc/{self.pid}/statm").read_text().split()
        return int(fields[1]) * _PAGE_SIZE

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far, from /proc (Linux)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def interrupt(self, timeout: float = 30.0) -> None:
        """Ctrl-C: uvicorn shuts down gracefully and the process exits through Python (so a
        profiler it runs under writes its output); `stop()` if it does not within `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.stop()

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class ServerFailed(RuntimeError):
    pass


REPO = Path(__file__).resolve().parent.parent


class Servers:
    """Starts server processes and stops all of them on exit.

    They run in `source` (a checkout: its `gateway` package is the one imported), with this
    repository on `PYTHONPATH` for `bench`; logs go to files in `workdir`.
    """

    def __init__(self, workdir: Path, source: Path = REPO) -> None:
        self.workdir = workdir
        self.source = source
        self.started: list[Server] = []

    def __enter__(self) -> Servers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for server in reversed(self.started):
            with contextlib.suppress(Exception):
                server.stop()

    def start(
        self,
        name: str,
        args: Sequence[str],
        *,
        port: int,
        ready_path: str,
        env: Mapping[str, str] | None = None,
        ready_headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> Server:
        """Run `python <args>` in `source`; return once `GET ready_path` answers below 500."""
        log_path = self.workdir / f"{name}.log"
        environment = dict(os.environ if env is None else env)
        paths = [str(self.source), str(REPO), environment.get("PYTHONPATH", "")]
        environment["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=self.source,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
        self.started.append(server)
        _wait_ready(server, ready_path, dict(ready_headers or {}), timeout)
        return server


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without any GATEWAY_* variable, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(variables)
    return env


def _wait_ready(server: Server, path: str, headers: dict[str, str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server.url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ServerFailed(
                    f"{server.name} exited with status {server.process.returncode}:\n"
                    + server.log_tail()
                )
            try:
                if client.get(path, headers=headers).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise ServerFailed(f"{server.name} did not answer within {timeout:.0f} s:\n{server.log_tail()}")
