"""APQ registrations kept in Redis: a hash registered through one process is found
through every other (by the same credential only).

Key names hold the credential's fingerprint and a keyed hash of the document's hash;
documents are sealed with the credential's key and expire `ttl` seconds after they were
last registered. Without Redis a lookup misses, and the client, as the APQ protocol has
it, sends the document again.
"""

from __future__ import annotations

from gateway.redis_store import RedisStore
from gateway.upstream.client import Credential


class RedisDocuments:
    def __init__(self, store: RedisStore, *, ttl: float) -> None:
        self.store = store
        self.ttl = max(1, int(ttl))

    async def get(self, credential: Credential, digest: str) -> str | None:
        name = self._name(credential, digest)
        blob = await self.store.run("apq_get", lambda client: client.get(name), None)
        if not isinstance(blob, bytes):
            return None
        plain = credential.sealer.open(blob, name.encode())
        return None if plain is None else plain.decode()

    async def put(self, credential: Credential, digest: str, query: str) -> None:
        name = self._name(credential, digest)
        blob = credential.sealer.seal(query.encode(), name.encode())
        await self.store.run("apq_put", lambda client: client.set(name, blob, ex=self.ttl), None)

    def _name(self, credential: Credential, digest: str) -> str:
        hashed = credential.keyring.name("apq:" + digest)
        return f"{self.store.prefix}{{{credential.fingerprint}}}:q:{hashed}"
