"""Whole GraphQL results kept in Redis, shared by every gateway process.

The rules of `ResultCache` (gateway.web.result_cache) across processes: per credential,
under its generation (a write anywhere makes its results unreachable at once), never
kept past the expiry of the oldest upstream answer they were built from (the TTL is set
in Redis), sealed with the credential's key under a key name that is a keyed hash of the
document, variables and operation name. Without Redis, nothing is served or kept.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from gateway.upstream.cache import CacheStats
from gateway.upstream.client import Credential
from gateway.upstream.redis_entries import RedisEntries
from gateway.web.result_cache import Generation, ResultKey, result_key

_KIND = "r"


class RedisResultCache:
    def __init__(self, entries: RedisEntries, *, ttl: float, max_entry_bytes: int) -> None:
        self.entries = entries
        self.ttl = ttl
        self.max_entry_bytes = max_entry_bytes
        self.stats = CacheStats()

    def key(
        self, fingerprint: str, query: str, variables: dict[str, Any] | None, operation: str | None
    ) -> ResultKey | None:
        return result_key(self.ttl, fingerprint, query, variables, operation)

    async def lookup(
        self, key: ResultKey, credential: Credential, *, read: bool = True
    ) -> tuple[bytes | None, Generation]:
        digest = _digest(key, credential)
        found = await self.entries.read(key[0], _KIND, digest)
        if found is None:
            self.stats.misses += 1
            return None, None
        if read and found.value is not None:
            name = self.entries.name(key[0], found.generation, _KIND, digest)
            plain = credential.sealer.open(found.value, name.encode())
            if plain is not None:
                self.stats.hits += 1
                return plain, found.generation
        self.stats.misses += 1
        return None, found.generation

    async def put(
        self,
        key: ResultKey,
        generation: Generation,
        body: bytes,
        oldest_data: float,
        credential: Credential,
    ) -> None:
        if not isinstance(generation, str):
            return
        ttl_ms = int((oldest_data + self.ttl - time.monotonic()) * 1000)
        name = self.entries.name(key[0], generation, _KIND, _digest(key, credential))
        blob = credential.sealer.seal(body, name.encode())
        if ttl_ms > 0 and len(blob) <= self.max_entry_bytes:
            await self.entries.write(name, blob, ttl_ms)


def _digest(key: ResultKey, credential: Credential) -> str:
    _, query, variables, operation = key
    return credential.keyring.name(orjson.dumps([query, variables.decode(), operation]).decode())
