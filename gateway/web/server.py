"""The HTTP server's own limits: what one client connection may hold, and for how long.

uvicorn's httptools protocol bounds neither the bytes nor the number of request headers
(httptools joins a header's pieces as they come: a 96 MB header held the event loop for
seconds), nor the time a client takes to send its headers or its body (slow-loris
sockets are held forever), nor how many connections are open. This protocol adds:

- request line + headers past `max_header_bytes`, or more than `max_headers` headers:
  HTTP 431, connection closed;
- headers not complete `header_timeout` seconds after the connection opened (or after
  the request began, on a kept-alive connection): HTTP 408, connection closed;
- a body not complete `body_timeout` seconds after its headers: connection closed (the
  application sees a client disconnect);
- more than `max_connections` connections open: the new one gets HTTP 503 and is closed.

Idle keep-alive connections are closed by uvicorn's own `timeout_keep_alive`.

Usage::

    uvicorn.Config(app, http=guarded_protocol(ServerLimits.from_settings(settings)),
                   timeout_keep_alive=settings.keepalive_timeout)

Worker processes (`gateway serve --workers N`) name it instead, built from their GATEWAY_*
environment: `uvicorn.Config(..., http="gateway.web.server:GuardedFromEnv")`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.settings import Settings

_REASONS = {
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServerLimits:
    max_header_bytes: int
    max_headers: int
    header_timeout: float
    body_timeout: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerLimits:
        return cls(
            max_header_bytes=settings.max_header_bytes,
            max_headers=settings.max_headers,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            max_connections=settings.max_connections,
        )


def guarded_protocol(limits: ServerLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with `limits` (pass it as `Config(http=...)`)."""

    class GuardedProtocol(HttpToolsProtocol):
        _refused = False
        _in_headers = True
        _header_bytes = 0
        _header_count = 0
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                self._refuse(503, "Too many connections; try again later.")
                return
            self._arm(limits.header_timeout, self._headers_too_slow)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            counted = self._in_headers
            if counted:
                self._header_bytes += len(data)
            super().data_received(data)
            if counted and self._in_headers and self._header_bytes > limits.max_header_bytes:
                self._refuse(431, f"Request headers over {limits.max_header_bytes} bytes.")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_headers = True
            self._header_count = 0
            if self._timer is None:  # the next request on a kept-alive connection
                self._arm(limits.header_timeout, self._headers_too_slow)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_count += 1
            if self._header_count <= limits.max_headers:
                super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_headers = False
            self._header_bytes = 0
            self._disarm()
            if self._header_count > limits.max_headers:
                self._refuse(431, f"More than {limits.max_headers} request headers.")
                return
            self._arm(limits.body_timeout, self._body_too_slow)
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            self._disarm()
            if not self._refused:
                super().on_message_complete()

        def _arm(self, seconds: float, then: Callable[[], None]) -> None:
            self._disarm()
            self._timer = self.loop.call_later(seconds, then)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _headers_too_slow(self) -> None:
            self._timer = None
            self._refuse(408, "The request headers did not arrive in time.")

        def _body_too_slow(self) -> None:
            self._timer = None
            self.logger.info("closing a connection whose request body did not arrive in time")
            self.transport.close()

        def _refuse(self, status: int, message: str) -> None:
            self._refused = True
            self._disarm()
            if self.transport.is_closing():
                return
            body = orjson.dumps({"errors": [{"message": message}]})
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
                "content-type: application/json\r\n"
                f"content-length: {len(body)}\r\n"
                "connection: close\r\n\r\n"
            )
            self.transport.write(head.encode() + body)
            self.transport.close()

    return GuardedProtocol


def __getattr__(name: str) -> type[HttpToolsProtocol]:
    """`GuardedFromEnv`: the guarded protocol with the limits of the GATEWAY_* environment
    (uvicorn imports it by name in each worker process: a class built in a function
    cannot be sent to one)."""
    if name == "GuardedFromEnv":
        return guarded_protocol(ServerLimits.from_settings(Settings.from_env()))
    raise AttributeError(name)
