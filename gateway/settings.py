"""Gateway settings: every option has an environment variable and a default."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected a boolean, got {value!r}")


def _parse_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


MIN_SECRET_LENGTH = 16


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Runtime configuration. `ENVIRONMENT` maps each field to its variable."""

    upstream_url: str | None = None
    upstream_api_key: str | None = dataclasses.field(default=None, repr=False)
    upstream_version: str = "auto"
    upstream_timeout: float = 10.0
    upstream_connect_timeout: float = 2.0
    upstream_retries: int = 2
    upstream_retry_deadline: float = 15.0
    upstream_concurrency_per_credential: int = 50
    cache_ttl: float = 5.0
    cache_maxsize: int = 32_000_000
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    max_body_bytes: int = 1_000_000
    max_batch: int = 10
    max_upstream_requests: int = 500
    max_page_size: int = 100
    max_result_items: int = 50_000
    max_response_bytes: int = 20_000_000
    max_execution_seconds: float = 30.0
    upstream_max_bytes: int = 5_000_000
    max_header_bytes: int = 32_768
    max_headers: int = 100
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: int = 5
    max_connections: int = 1000
    introspection: bool = True
    apq_maxsize: int = 1000
    persisted_queries_file: str | None = None
    safelist_only: bool = False
    cors_origins: tuple[str, ...] = ()
    poll_interval: float = 2.0
    log_level: str = "INFO"
    redis_url: str | None = dataclasses.field(default=None, repr=False)
    cache_key_secret: str | None = dataclasses.field(default=None, repr=False)
    redis_prefix: str = "gateway:"
    redis_timeout: float = 0.25
    redis_max_connections: int = 64
    redis_max_entry_bytes: int = 1_000_000
    apq_ttl: float = 86400.0

    otel_exporter: str | None = None

    def __post_init__(self) -> None:
        if self.redis_url and len(self.cache_key_secret or "") < MIN_SECRET_LENGTH:
            raise ValueError(
                f"GATEWAY_REDIS_URL needs GATEWAY_CACHE_KEY_SECRET (at least {MIN_SECRET_LENGTH} "
                "characters, the same in every process)"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `GATEWAY_*` variables; explicit keyword overrides (from flags) win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = env.get(ENVIRONMENT[field.name])
            if raw is None or raw == "":
                continue
            try:
                values[field.name] = _convert(field.type, raw)
            except ValueError as exc:
                raise ValueError(f"{ENVIRONMENT[field.name]}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(annotation: object, raw: str) -> object:
    text = str(annotation)
    if text.startswith("float"):
        return float(raw)
    if text.startswith("int"):
        return int(raw)
    if text.startswith("bool"):
        return _parse_bool(raw)
    if text.startswith("tuple"):
        return _parse_list(raw)
    return raw


ENVIRONMENT: dict[str, str] = {
    field.name: "GATEWAY_" + field.name.upper() for field in dataclasses.fields(Settings)
}

DESCRIPTIONS: dict[str, str] = {
    "upstream_url": "REST API base URL; unset = serve the embedded emulator",
    "upstream_api_key": "server key used when a caller sends no Authorization header",
    "upstream_version": "REST API version: auto (the newest served), 2025-01-01 or 2026-02-01",
    "upstream_timeout": "seconds to wait for an upstream response",
    "upstream_connect_timeout": "seconds to wait for an upstream connection",
    "upstream_retries": "extra attempts for a failed GET (connect error, 429, 502-504)",
    "upstream_concurrency_per_credential": "upstream requests one credential may have in flight; "
    "the rest wait their turn (0: no limit)",
    "upstream_retry_deadline": "seconds a GET may take in total, retries included",
    "cache_ttl": "seconds an upstream GET response is reused; 0 disables the cache",
    "cache_maxsize": "bytes of upstream answers cached (and of whole results); 0 disables",
    "max_depth": "deepest selection nesting allowed in a query",
    "max_aliases": "aliases allowed in one document",
    "max_tokens": "tokens allowed in one document",
    "max_body_bytes": "largest request body accepted (HTTP 413 past it)",
    "max_batch": "operations allowed in one batched request",
    "max_upstream_requests": "upstream requests one operation may need, at most (estimated)",
    "max_page_size": "largest first/last accepted",
    "max_result_items": "objects one HTTP request's answers may hold, at most (estimated)",
    "max_response_bytes": "largest GraphQL answer sent; past it the answer is an error",
    "max_execution_seconds": "seconds one operation may run; past it, it is stopped",
    "upstream_max_bytes": "largest upstream answer read (decompressed); past it UPSTREAM_ERROR",
    "max_header_bytes": "bytes of request line and headers accepted (HTTP 431 past it)",
    "max_headers": "request headers accepted (HTTP 431 past it)",
    "header_timeout": "seconds a client has to send the request line and headers",
    "body_timeout": "seconds a client has to send the request body",
    "keepalive_timeout": "seconds an idle keep-alive connection is kept open",
    "max_connections": "client connections open at once; more are closed at once",
    "introspection": "allow introspection queries",
    "apq_maxsize": "persisted query documents kept",
    "persisted_queries_file": "persisted queries manifest (Apollo JSON or {sha256: query})",
    "safelist_only": "run only the manifest's documents (safelist mode)",
    "cors_origins": "comma-separated origins allowed by CORS; empty = none",
    "poll_interval": "seconds between upstream polls of a watched destination (subscriptions)",
    "log_level": "logging level",
    "redis_url": "Redis shared by every process (caches, APQ, writes); unset = in-process",
    "cache_key_secret": "secret keying credential fingerprints and sealing (required with Redis)",
    "redis_prefix": "prefix of every Redis key this gateway writes",
    "redis_timeout": "seconds one Redis command may take; past it, served without Redis",
    "redis_max_connections": "Redis connections per process, at most",
    "redis_max_entry_bytes": "largest entry stored in Redis (sealed bytes)",
    "apq_ttl": "seconds a registered persisted query is kept in Redis",
    "otel_exporter": "traces: none, console or otlp; unset = as the OTEL_* variables say (off)",
}
