"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for throughput runs only.

`httpx.AsyncClient` costs about 2 ms of client CPU per request at 32 concurrent requests on
the benchmark machine, so with it the load generator, not the server, sets the req/s (a
plain FastAPI endpoint needs about 0.2 ms). This client sends pre-encoded request bytes on
one connection per worker and reads `Content-Length` or chunked bodies: enough for uvicorn,
nothing more. Latency runs keep using httpx, the client a caller would use.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from urllib.parse import urlsplit

from bench.load import Call, Sender


class ProtocolError(RuntimeError):
    pass


def encode(call: Call) -> tuple[str, int, bytes]:
    """(host, port, request bytes) of `call`."""
    parts = urlsplit(call.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = call.body or b""
    lines = [f"{call.method} {target} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in call.headers]
    if call.body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return host, port, head + body


class Connection:
    """One keep-alive connection; `send` writes a request and returns (status, body)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(request)
        try:
            return await self._read_response(self._reader)
        except (asyncio.IncompleteReadError, ProtocolError):
            await self.close()
            raise

    async def _read_response(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        try:
            status = int(status_line.split(b" ", 2)[1])
        except (IndexError, ValueError):
            raise ProtocolError(f"bad status line {status_line!r}") from None
        length: int | None = None
        chunked, keep_alive = False, True
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                keep_alive = b"close" not in value.lower()
        if chunked:
            body = await _read_chunked(reader)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body = await reader.read()
            keep_alive = False
        if not keep_alive:
            await self.close()
        return status, body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers from uvicorn
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


class RawSender:
    """A `Sender` with one connection of its own: give each concurrent worker one."""

    def __init__(self) -> None:
        self._connections: dict[tuple[str, int], Connection] = {}
        self._encoded: dict[int, tuple[Call, str, int, bytes]] = {}

    async def send(self, call: Call) -> tuple[int, bytes]:
        entry = self._encoded.get(id(call))
        if entry is None or entry[0] is not call:
            entry = (call, *encode(call))
            self._encoded[id(call)] = entry
        _, host, port, request = entry
        connection = self._connections.get((host, port))
        if connection is None:
            connection = self._connections[host, port] = Connection(host, port)
        return await connection.send(request)

    async def aclose(self) -> None:
        for connection in self._connections.values():
            await connection.close()
        self._connections.clear()


def raw_senders() -> Sender:
    return RawSender()
