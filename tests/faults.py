"""Faults for the gateway to meet: a fault-injecting httpx transport, fault servers
(real HTTP upstreams that misbehave), and a private gateway process.

FaultTransport: requests pass through to the real emulator over HTTP unless a
scripted fault is due; every request is recorded so tests can count what reached
"the network". FaultServer: an asyncio HTTP server whose every answer is a handler's
(endless bodies, gzip bombs, trickles, hang-ups). GatewayProcess: `gateway serve` in
its own process, where memory (RSS) and the server's own limits are measured.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import subprocess
import sys
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import orjson

Fault = Callable[[httpx.Request], httpx.Response]


def status(code: int, body: bytes = b"{}", **headers: str) -> Fault:
    return lambda request: httpx.Response(code, content=body, headers=headers, request=request)


def garbage(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"<html>oops</html>", request=request)


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


class FaultTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.faults: list[Fault] = []
        self.targeted: list[tuple[str, str, Fault]] = []  # (method, path suffix, fault)
        self.requests: list[tuple[str, str]] = []
        self.headers: list[httpx.Headers] = []
        self.lose_responses = 0  # requests that reach the upstream but whose answer is lost
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests that were waiting on the upstream at once

    def script(self, *faults: Fault) -> None:
        """The next requests meet these faults, in order; later ones pass through."""
        self.faults = list(faults)

    def script_for(self, method: str, path_suffix: str, fault: Fault) -> None:
        """The next `method` request whose path ends with `path_suffix` meets `fault`."""
        self.targeted.append((method, path_suffix, fault))

    def count(self, method: str | None = None) -> int:
        return sum(1 for m, _ in self.requests if method is None or m == method)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        self.headers.append(request.headers)
        for rule in self.targeted:
            method, suffix, fault = rule
            if request.method == method and request.url.path.endswith(suffix):
                self.targeted.remove(rule)
                return fault(request)
        if self.faults:
            return self.faults.pop(0)(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            response = await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1
        if self.lose_responses:
            self.lose_responses -= 1
            await response.aclose()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


# --- Fault servers: real HTTP upstreams that misbehave, as small asyncio servers ---------


@dataclasses.dataclass
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Reply:
    """The handler's side of one connection; counts the bytes it sends."""

    def __init__(self, writer: asyncio.StreamWriter, server: FaultServer) -> None:
        self.writer = writer
        self.server = server

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        self.server.sent += len(data)
        await self.writer.drain()

    async def respond(self, status: int, body: bytes, **headers: str) -> None:
        head = f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\n"
        head += "content-type: application/json\r\n"
        head += "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
        await self.send(head.encode() + b"\r\n" + body)


Handler = Callable[[RawRequest, Reply], Awaitable[None]]


class FaultServer:
    """An HTTP/1.1 server on a free loopback port whose every answer is `handler`'s."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[RawRequest] = []
        self.sent = 0  # bytes written to the gateway, all connections together
        self.url = ""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FaultServer:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while not writer.is_closing():
                head = await reader.readuntil(b"\r\n\r\n")
                line, *fields = head.decode("latin-1").split("\r\n")
                method, path, _ = line.split(" ", 2)
                headers = {}
                for field in fields:
                    if ":" in field:
                        name, value = field.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = RawRequest(method, path, headers, body)
                self.requests.append(request)
                await self.handler(request, Reply(writer, self))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


async def endless_chunks(request: RawRequest, reply: Reply) -> None:
    """A 200 whose chunked body never ends (until the client hangs up, or 1 GB)."""
    await reply.send(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
    await reply.send(b"transfer-encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    for _ in range(16384):
        await reply.send(chunk)


def gzip_bomb(inflated: int) -> Handler:
    """A 200 whose gzip body inflates to `inflated` bytes (about a thousandth of that sent)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b" " * 1_000_000
    body = b"".join(squeeze.compress(zeros) for _ in range(inflated // len(zeros)))
    body += squeeze.flush()

    async def handler(request: RawRequest, reply: Reply) -> None:
        await reply.respond(200, body, content_encoding="gzip")

    return handler


def big_body(size: int) -> Handler:
    """A 200 with a `content-length: size` body of spaces, sent in 1 MB pieces."""

    async def handler(request: RawRequest, reply: Reply) -> None:
        await reply.send(f"HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n".encode())
        piece = b" " * 1_000_000
        for _ in range(size // len(piece)):
            await reply.send(piece)

    return handler


async def trickle(request: RawRequest, reply: Reply) -> None:
    """A status line, then one header byte every 0.2 s, for a minute."""
    await reply.send(b"HTTP/1.1 200 OK\r\nx-slow: ")
    for _ in range(300):
        await asyncio.sleep(0.2)
        await reply.send(b"a")


async def swallow(request: RawRequest, reply: Reply) -> None:
    """Read the whole request, then hang up without a word: it may have been applied."""
    reply.writer.close()


def echo_credential(status: int) -> Handler:
    """An error whose message quotes the caller's Authorization header, as a careless API might."""

    async def handler(request: RawRequest, reply: Reply) -> None:
        message = f"key {request.headers.get('authorization', '')} is not allowed here"
        await reply.respond(status, orjson.dumps({"code": "invalid", "message": message}))

    return handler


def slow(seconds: float) -> Handler:
    async def handler(request: RawRequest, reply: Reply) -> None:
        await asyncio.sleep(seconds)
        await reply.respond(200, b'{"items": [], "pagination": {}}')

    return handler


# --- A private gateway process (its own RSS, its own server limits, its own stderr) -----

ROOT = Path(__file__).resolve().parents[1]


class GatewayProcess:
    """`gateway serve` in a process of its own, with `env` (GATEWAY_*) on top of a clean
    environment; stderr (the JSON log) is kept in `log`."""

    def __init__(self, tmp: Path, upstream_url: str, **env: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"gateway-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        self.env.update({"PYTHONPATH": str(ROOT), "GATEWAY_UPSTREAM_VERSION": "2025-01-01"})
        self.env.update(env)
        self.args = [sys.executable, "-m", "gateway", "serve", "--port", str(self.port)]
        self.args += ["--upstream-url", upstream_url]
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log.open("wb") as stderr:
            return subprocess.Popen(
                self.args, cwd=self.tmp, env=self.env, stdout=subprocess.DEVNULL, stderr=stderr
            )

    async def __aenter__(self) -> GatewayProcess:
        self.process = self._spawn()
        async with httpx.AsyncClient() as client:
            for _ in range(400):
                try:
                    if (await client.get(self.url + "/healthz")).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        self.process.kill()
        raise AssertionError("the gateway process did not start")

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        await asyncio.to_thread(self.process.wait, 30)

    def memory(self, field: str = "VmRSS") -> int:
        """Bytes of the process's memory: VmRSS now, or VmHWM (the peak so far)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        [line] = [x for x in status.splitlines() if x.startswith(field + ":")]
        return int(line.split()[1]) * 1024

    def log_lines(self) -> list[str]:
        return [x for x in self.log.read_text(errors="replace").splitlines() if x.strip()]
