"""Whole GraphQL results, kept as response bytes and served before parsing or execution.

Keyed like the upstream cache, per credential: (credential fingerprint, query,
variables, operation name). An entry is valid only while that credential has not
written since it was computed (the upstream cache's generation), and expires when
the oldest upstream data it was built from would have: it is never staler than
the upstream cache itself.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Hashable
from typing import Any, Protocol

import orjson
from cachetools import TTLCache
from graphql import GraphQLError, OperationType, get_operation_ast, parse

from gateway.upstream.cache import CacheStats
from gateway.upstream.client import Credential

ResultKey = tuple[str, str, bytes, str | None]
MAX_QUERY_LENGTH = 16 * 1024  # longer documents are not worth a key this size
Generation = Hashable | None  # opaque: what `lookup` saw, handed back to `put`


class ResultStore(Protocol):
    """Whole results: this in-process cache, or the Redis one (gateway.web.redis_results)."""

    stats: CacheStats

    def key(
        self, fingerprint: str, query: str, variables: dict[str, Any] | None, operation: str | None
    ) -> ResultKey | None: ...

    async def lookup(
        self, key: ResultKey, credential: Credential, *, read: bool = True
    ) -> tuple[bytes | None, Generation]:
        """The stored body (None: a miss, or `read` false) and the credential's generation
        now, for `put` (None: do not store)."""

    async def put(
        self,
        key: ResultKey,
        generation: Generation,
        body: bytes,
        oldest_data: float,
        credential: Credential,
    ) -> None:
        """Keep `body`, built from upstream data fetched at `oldest_data` (monotonic) or
        later, unless the credential wrote since `generation`."""


def result_key(
    ttl: float,
    fingerprint: str,
    query: str,
    variables: dict[str, Any] | None,
    operation: str | None,
) -> ResultKey | None:
    if ttl <= 0 or len(query) > MAX_QUERY_LENGTH:
        return None
    try:
        canonical = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return (fingerprint, query, canonical, operation)


@dataclasses.dataclass(frozen=True)
class _Entry:
    body: bytes
    generation: int
    expires_at: float
    size: int


class ResultCache:
    def __init__(
        self, *, ttl: float, max_bytes: int, generation: Callable[[str], int] = lambda _: 0
    ) -> None:
        """`generation(fingerprint)`: the upstream cache's, changed by each write."""
        self.ttl = ttl
        self.generation = generation
        self.stats = CacheStats()
        self._entries: TTLCache[ResultKey, _Entry] | None = (
            TTLCache(maxsize=max_bytes, ttl=ttl, getsizeof=_size)
            if ttl > 0 and max_bytes > 0
            else None
        )

    def key(
        self, fingerprint: str, query: str, variables: dict[str, Any] | None, operation: str | None
    ) -> ResultKey | None:
        if self._entries is None:
            return None
        return result_key(self.ttl, fingerprint, query, variables, operation)

    async def lookup(
        self, key: ResultKey, credential: Credential, *, read: bool = True
    ) -> tuple[bytes | None, Generation]:
        generation = self.generation(key[0])
        return (self.get(key, generation) if read else None), generation

    async def put(
        self,
        key: ResultKey,
        generation: Generation,
        body: bytes,
        oldest_data: float,
        credential: Credential,
    ) -> None:
        if isinstance(generation, int):
            self.store(key, generation, body, oldest_data)

    def get(self, key: ResultKey, generation: int) -> bytes | None:
        entry = self._entries.get(key) if self._entries is not None else None
        if entry is None or entry.generation != generation or entry.expires_at <= time.monotonic():
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return entry.body

    def store(self, key: ResultKey, generation: int, body: bytes, oldest_data: float) -> None:
        """Keep `body`, built from upstream data fetched at `oldest_data` (monotonic) or later."""
        size = _size_of(key, body)
        if self._entries is not None and size <= self._entries.maxsize:
            self._entries[key] = _Entry(body, generation, oldest_data + self.ttl, size)


def _size(entry: _Entry) -> int:
    return entry.size


def _size_of(key: ResultKey, body: bytes) -> int:
    return len(body) + len(key[1]) + len(key[2]) + 256


@functools.lru_cache(maxsize=512)
def is_query(query: str, operation_name: str | None) -> bool:
    """Whether the operation that runs is a query (only queries are cached)."""
    try:
        operation = get_operation_ast(parse(query, max_tokens=10_000), operation_name)
    except GraphQLError:
        return False
    return operation is not None and operation.operation == OperationType.QUERY
