"""A server span per HTTP request, continuing the caller's W3C trace (`traceparent`).

Pure ASGI (no body buffering). The span is named `METHOD route` and carries the method,
the path and route (never the query string: a GET's variables live there), the status,
and the request id the gateway answered with. Installed only when tracing is on.

Usage::

    app.add_middleware(TraceMiddleware, tracing=tracing)
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.tracing import Tracing

# Known routes (low cardinality span names); anything else is named by its first segment.
_ROUTES = {"/graphql", "/healthz", "/readyz", "/metrics"}


class TraceMiddleware:
    def __init__(self, app: ASGIApp, tracing: Tracing) -> None:
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        path = scope["path"]
        route = _route(path)
        with self.tracing.tracer.start_as_current_span(
            f"{method} {route}",
            context=self.tracing.extract(headers),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": path,
                "http.route": route,
                "url.scheme": scope.get("scheme", "http"),
            },
            record_exception=False,
        ) as span:

            async def traced_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    _annotate(span, message)
                await send(message)

            try:
                await self.app(scope, receive, traced_send)
            except BaseException as exc:
                span.set_status(Status(StatusCode.ERROR))
                span.set_attribute("error.type", type(exc).__name__)
                raise


def _annotate(span: trace.Span, message: Message) -> None:
    status = int(message["status"])
    span.set_attribute("http.response.status_code", status)
    for name, value in message.get("headers", []):
        if name.lower() == b"x-request-id":
            span.set_attribute("gateway.request_id", value.decode("latin-1"))
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def _route(path: str) -> str:
    if path in _ROUTES:
        return path
    if path.startswith("/graphql/assets/"):
        return "/graphql/assets/{name}"
    if path.startswith("/emulator/"):
        return "/emulator/{path}"
    return "/{other}"
