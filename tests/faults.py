"""A fault-injecting httpx transport, placed under the gateway's upstream client.

Requests pass through to the real emulator over HTTP unless a scripted fault is
due; every request is recorded so tests can count what reached "the network".
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

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
