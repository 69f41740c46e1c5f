"""Per-credential entries in Redis, named under the credential's current generation.

Each credential has a generation in Redis (`<prefix>{<fingerprint>}:g`, a random token).
Every entry's key name holds the generation it was written under, so a write, which sets
a new token, makes all of that credential's entries unreachable at once, in every process
(O(1); they expire by their own TTL). A missing generation (never set, expired, evicted,
Redis restarted empty) gets a new token on the next read: nothing written before is
reachable again, so losing a generation costs a refill, never a stale read.

One read is one round trip (a Lua script): the generation (made if missing), the entry,
and, on a miss, optionally a short lock (single flight across processes). A bump that
cannot reach Redis (tried even while Redis is thought down) is kept and sent before this
process reads Redis again.
"""

from __future__ import annotations

import secrets
from typing import Any, NamedTuple

from gateway.redis_store import Redis, RedisStore

GENERATION_TTL = 86_400  # seconds; a forgotten generation is only a refill (see above)

# KEYS[1] generation; ARGV: new token, generation TTL, name head, name tail, lock token,
# lock milliseconds (0: no lock). Returns {generation, entry or false, 1 if locked}.
_READ = """
local g = redis.call('GET', KEYS[1])
if not g then
  g = ARGV[1]
  redis.call('SET', KEYS[1], g, 'EX', ARGV[2])
end
local name = ARGV[3] .. g .. ARGV[4]
local v = redis.call('GET', name)
if v or ARGV[6] == '0' then
  return {g, v, 0}
end
local locked = redis.call('SET', name .. ':lock', ARGV[5], 'NX', 'PX', ARGV[6])
return {g, false, locked and 1 or 0}
"""


class Read(NamedTuple):
    generation: str
    value: bytes | None
    locked: bool  # this reader holds the entry's lock: it fetches, the others wait


class RedisEntries:
    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self._read = store.client.register_script(_READ)
        self.pending: set[str] = set()  # fingerprints whose bump has not reached Redis
        store.on_up(self._flush)

    def name(self, fingerprint: str, generation: str, kind: str, digest: str) -> str:
        """The key of an entry: `kind` says whose (u: upstream answer, r: whole result)."""
        return f"{self._head(fingerprint, kind)}{generation}:{digest}"

    async def read(
        self, fingerprint: str, kind: str, digest: str, *, lock_ms: int = 0, lock_token: str = ""
    ) -> Read | None:
        """The credential's generation and the entry under it; None without Redis."""
        if self.pending and not await self._flush():
            return None
        keys = [self._generation_key(fingerprint)]
        args: list[Any] = [
            secrets.token_hex(8),
            GENERATION_TTL,
            self._head(fingerprint, kind),
            f":{digest}",
            lock_token,
            lock_ms,
        ]

        async def command(client: Redis) -> Any:
            return await self._read(keys=keys, args=args, client=client)

        answer = await self.store.run("read", command, None)
        if answer is None:
            return None
        generation, value, locked = answer
        return Read(generation.decode(), value, bool(locked))

    async def write(self, name: str, value: bytes, ttl_ms: int) -> None:
        """Keep `value` for `ttl_ms`, and free its lock (taken or not)."""

        async def command(client: Redis) -> Any:
            async with client.pipeline(transaction=False) as pipe:
                pipe.set(name, value, px=max(1, ttl_ms))
                pipe.delete(name + ":lock")
                return await pipe.execute()

        await self.store.run("write", command, None)

    async def release(self, name: str) -> None:
        await self.store.run("release", lambda client: client.delete(name + ":lock"), None)

    async def bump(self, fingerprint: str) -> None:
        """A new generation: every entry of this credential is unreachable, everywhere."""
        self.pending.add(fingerprint)
        await self._flush(always=True)

    async def _flush(self, *, always: bool = False) -> bool:
        """Send the bumps not yet in Redis; whether none is left."""
        pending = list(self.pending)
        if not pending:
            return True

        async def command(client: Redis) -> Any:
            async with client.pipeline(transaction=False) as pipe:
                for fingerprint in pending:
                    key = self._generation_key(fingerprint)
                    pipe.set(key, secrets.token_hex(8), ex=GENERATION_TTL)
                return await pipe.execute()

        if await self.store.run("bump", command, None, always=always) is None:
            return False
        self.pending.difference_update(pending)
        return not self.pending

    def _generation_key(self, fingerprint: str) -> str:
        return f"{self.store.prefix}{{{fingerprint}}}:g"

    def _head(self, fingerprint: str, kind: str) -> str:
        return f"{self.store.prefix}{{{fingerprint}}}:{kind}:"
