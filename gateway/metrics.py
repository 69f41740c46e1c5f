"""Prometheus metrics, on a registry of the app's own (so tests get fresh counters)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from gateway.upstream.cache import CacheStats

MAX_OPERATION_LABELS = 300
FIXED_LABELS = frozenset({"-", "batch", "anonymous", "other"})  # never take a slot
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._operations: set[str] = set()
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
        self.redis_up = Gauge(
            "gateway_redis_up",
            "1 while the shared Redis answers, 0 while served without it (or none is configured)",
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "gateway_redis_errors",
            "Redis commands that failed or timed out (then served without Redis), by operation",
            ["operation"],
            registry=self.registry,
        )

    def operation_label(self, name: str, *, ran: bool = True) -> str:
        """Operation names come from clients: label the first few hundred that ran
        (authenticated, executed against the schema), then "other". Names of requests that
        did not run never take a slot, so anonymous junk cannot crowd out real operations."""
        if name in self._operations or name in FIXED_LABELS:
            return name
        if ran and len(self._operations) < MAX_OPERATION_LABELS:
            self._operations.add(name)
            return name
        return "other"

    def watch_caches(self, upstream: CacheStats, results: CacheStats) -> None:
        self.registry.register(_CacheCollector(upstream, results))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _CacheCollector(Collector):
    """Reads the cache's own counters at scrape time (the cache knows nothing of Prometheus)."""

    def __init__(self, upstream: CacheStats, results: CacheStats) -> None:
        self.upstream = upstream
        self.results = results

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "gateway_cache_events",
            "Upstream GET cache lookups by result: hit, miss, shared (joined an in-flight fetch)",
            labels=["result"],
        )
        family.add_metric(["hit"], self.upstream.hits)
        family.add_metric(["miss"], self.upstream.misses)
        family.add_metric(["shared"], self.upstream.shared)
        yield family
        yield CounterMetricFamily(
            "gateway_cache_invalidations", "Cache drops after writes", self.upstream.invalidations
        )
        results = CounterMetricFamily(
            "gateway_result_cache_events",
            "Whole-result cache lookups (served before execution) by result",
            labels=["result"],
        )
        results.add_metric(["hit"], self.results.hits)
        results.add_metric(["miss"], self.results.misses)
        yield results
