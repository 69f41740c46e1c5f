"""OpenTelemetry tracing, off unless configured.

On when `GATEWAY_OTEL_EXPORTER` is `console` or `otlp`, or, with that unset, when the
standard variables ask for it (`OTEL_TRACES_EXPORTER=console|otlp`, or an
`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `OTEL_SDK_DISABLED=true`
or `GATEWAY_OTEL_EXPORTER=none` keep it off. OTLP (over HTTP; the exporter reads the other
`OTEL_EXPORTER_OTLP_*` variables itself) needs the `otlp` extra. The service is
`metorial-callbacks-gateway` unless `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` say.

Spans: one per HTTP request (web/tracing.py), one per GraphQL operation (web/http.py), one
per upstream lookup with a child per upstream HTTP request (upstream/client.py). Attributes
are names, routes, statuses, codes and counts: never headers, variables, documents or keys.
W3C `traceparent` is read from callers and sent upstream.

Usage::

    tracing = Tracing.from_settings(settings)       # or Tracing(provider) in tests
    with tracing.tracer.start_as_current_span("name") as span: ...
    tracing.inject(headers)                          # traceparent for an outgoing request
    tracing.shutdown()                               # flush at exit
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = ["EXPORTERS", "SERVICE_NAME", "Tracing", "exporter_choice"]

SERVICE_NAME = "metorial-callbacks-gateway"
EXPORTERS = ("none", "console", "otlp")
_PROPAGATOR = TraceContextTextMapPropagator()


class Tracing:
    """A tracer (a no-op one when tracing is off) and the W3C trace-context propagator."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self.provider = provider
        self.enabled = provider is not None
        self.tracer: trace.Tracer = (
            provider.get_tracer("gateway") if provider is not None else trace.NoOpTracer()
        )

    def __repr__(self) -> str:
        return f"Tracing(enabled={self.enabled})"

    @classmethod
    def from_settings(
        cls, setting: str | None, environ: Mapping[str, str] | None = None
    ) -> Tracing:
        """Tracing as `GATEWAY_OTEL_EXPORTER` (`setting`) and the `OTEL_*` variables say."""
        env = os.environ if environ is None else environ
        choice = exporter_choice(setting, env)
        if choice == "none":
            return cls()
        provider = TracerProvider(resource=_resource(env))
        provider.add_span_processor(BatchSpanProcessor(_exporter(choice)))
        return cls(provider)

    def extract(self, headers: Mapping[str, str]) -> Context | None:
        """The caller's trace context (`traceparent`), when tracing is on."""
        return _PROPAGATOR.extract(headers) if self.enabled else None

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Add `traceparent` for the current span (nothing when tracing is off)."""
        if self.enabled:
            _PROPAGATOR.inject(headers)

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def exporter_choice(setting: str | None, env: Mapping[str, str]) -> str:
    """`none`, `console` or `otlp`."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return "none"
    if setting:
        choice = setting.strip().lower()
        if choice not in EXPORTERS:
            raise ValueError(f"GATEWAY_OTEL_EXPORTER: expected one of {', '.join(EXPORTERS)}")
        return choice
    standard = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if standard in {"console", "otlp"}:
        return standard
    if standard == "none":
        return "none"
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return "otlp"
    return "none"


def _resource(env: Mapping[str, str]) -> Resource:
    """The SDK's resource (it reads OTEL_RESOURCE_ATTRIBUTES itself), named for the service
    unless the standard variables name it."""
    named = env.get("OTEL_SERVICE_NAME")
    if named:
        return Resource.create({"service.name": named})
    if "service.name=" in env.get("OTEL_RESOURCE_ATTRIBUTES", ""):
        return Resource.create({})
    return Resource.create({"service.name": SERVICE_NAME})


def _exporter(choice: str) -> SpanExporter:
    if choice == "console":
        return ConsoleSpanExporter()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        raise ValueError(
            "OTLP tracing needs the otlp extra: pip install 'metorial-callbacks-gateway[otlp]'"
        ) from None
    return OTLPSpanExporter()
