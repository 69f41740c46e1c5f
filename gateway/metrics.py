"""Prometheus metrics, on a registry of the app's own (so tests get fresh counters)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_requests_total",
            "GraphQL operations by operation name and outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.request_latency = Histogram(
            "gateway_request_duration_seconds",
            "GraphQL request latency",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_requests = Counter(
            "gateway_upstream_requests_total",
            "Upstream HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "gateway_upstream_request_duration_seconds",
            "Upstream request latency by method, route and status",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_retries = Counter(
            "gateway_upstream_retries_total",
            "Upstream GET retries by route and reason",
            ["route", "reason"],
            registry=self.registry,
        )
        self.cache_events = Counter(
            "gateway_cache_events_total",
            "Response cache lookups by result (hit, miss, shared)",
            ["result"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
