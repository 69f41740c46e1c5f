"""Fixtures for the client tests: `gateway serve` as a user runs it, and tool prerequisites.

The tools these tests drive (ariadne-codegen in .venv-codegen, GraphiQL's npm assets,
Chromium) are installed by `make test` / `.ci/run`. Under CI a missing one fails the test;
elsewhere (a bare `pytest`) it is skipped with the command that installs it. Chromium alone
is optional everywhere: without it the browser test is skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def require(available: bool, what: str, install: str) -> None:
    """Skip (or under CI, fail) when a tool the test drives is not installed."""
    if available:
        return
    message = f"{what} is not installed: run `{install}`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServedGateway:
    """`gateway serve --port N` in its own working directory (fresh emulator data).

    `command` is how `gateway` is started (default: this interpreter's `-m gateway`, i.e. the
    source tree); `clean_env` drops PYTHONPATH too, so an installed package is what runs."""

    def __init__(
        self, workdir: Path, command: list[str] | None = None, *, clean_env: bool = False
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.graphql_url = f"{self.url}/graphql"
        self.log = workdir / "gateway.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        if clean_env:
            env = {k: v for k, v in env.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *(command or [sys.executable, "-m", "gateway"]),
                    "serve",
                    "--port",
                    str(self.port),
                ],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gateway serve exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gateway serve did not get ready:\n{self.log.read_text()}")

    def post(self, query: str, variables: dict[str, object] | None = None) -> dict[str, object]:
        """A GraphQL request with no Authorization: the embedded emulator's demo key is used."""
        response = httpx.post(
            self.graphql_url, json={"query": query, "variables": variables or {}}, timeout=10
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        assert "errors" not in body, body
        return body

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def served_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedGateway]:
    """The gateway with its embedded emulator, started by the command the README shows."""
    server = ServedGateway(tmp_path_factory.mktemp("gateway-serve"))
    yield server
    server.stop()
