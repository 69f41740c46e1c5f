"""Automatic Persisted Queries (Apollo's APQ protocol) and an optional safelist.

A client first sends only `extensions.persistedQuery.sha256Hash`; on
`PersistedQueryNotFound` it resends the hash with the query, which is checked
against the hash and kept (bounded LRU). Registrations are kept per credential
(its fingerprint): sending a hash finds only the documents the same credential
registered, and callers without a credential register nothing (their documents
run, unkept). The manifest is the operator's, shared by all. In safelist mode
only documents from the manifest file run, and nothing new is registered. Registrations
live in a `Documents` store: in-process (`LocalDocuments`), or Redis
(gateway.web.redis_persisted), shared by every process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from cachetools import LRUCache

from gateway.errors import ErrorCode
from gateway.upstream.client import Credential

_MAX_STORED_QUERY = 64 * 1024  # characters; bounds the store's memory with its entry count


class PersistedQueryError(Exception):
    """Answered as a GraphQL error (HTTP 200), as APQ clients expect."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class HashMismatch(Exception):
    """The query sent does not hash to the sha256Hash sent with it (HTTP 400)."""


class Documents(Protocol):
    """Where registered documents are kept, per credential."""

    async def get(self, credential: Credential, digest: str) -> str | None: ...

    async def put(self, credential: Credential, digest: str, query: str) -> None: ...


class LocalDocuments:
    """This process's registrations (bounded LRU)."""

    def __init__(self, maxsize: int) -> None:
        self.registered: LRUCache[tuple[str, str], str] = LRUCache(maxsize=max(1, maxsize))

    async def get(self, credential: Credential, digest: str) -> str | None:
        return self.registered.get((credential.fingerprint, digest))

    async def put(self, credential: Credential, digest: str, query: str) -> None:
        self.registered[(credential.fingerprint, digest)] = query


class PersistedQueries:
    def __init__(
        self,
        *,
        maxsize: int,
        manifest: Mapping[str, str] | None = None,
        safelist_only: bool = False,
        documents: Documents | None = None,
    ) -> None:
        self.documents = documents or LocalDocuments(maxsize)
        self.manifest = dict(manifest or {})
        self.safelist_only = safelist_only

    async def resolve(
        self, query: Any, extensions: Any, credential: Credential | None = None
    ) -> Any:
        """The query text to run for this request (or `query` itself when not persisted).
        `credential`: the caller's (None: no credential)."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            if (
                self.safelist_only
                and isinstance(query, str)
                and _sha256(query) not in self.manifest
            ):
                raise _not_allowed()
            return query
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise PersistedQueryError(
                "Unsupported persisted query version: send version 1.",
                ErrorCode.BAD_USER_INPUT.value,
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise PersistedQueryError(
                "persistedQuery.sha256Hash must be a 64-character hex digest.",
                ErrorCode.BAD_USER_INPUT.value,
            )
        digest = digest.lower()
        if query is None:
            known = self.manifest.get(digest)
            if known is None and credential is not None:
                known = await self.documents.get(credential, digest)
            if known is None:
                raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return known
        if not isinstance(query, str) or _sha256(query) != digest:
            raise HashMismatch
        if digest not in self.manifest:
            if self.safelist_only:
                raise _not_allowed()
            if credential is not None and len(query) <= _MAX_STORED_QUERY:
                await self.documents.put(credential, digest, query)
        return query


def load_manifest(path: str | Path) -> dict[str, str]:
    """Read an Apollo persisted-query manifest, or a plain {sha256: query} object."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        entries = {op["id"]: op["body"] for op in data["operations"]}
    elif isinstance(data, dict):
        entries = dict(data)
    else:
        raise ValueError(f"{path}: expected a JSON object")
    for digest, body in entries.items():
        if not isinstance(body, str) or _sha256(body) != str(digest).lower():
            raise ValueError(f"{path}: the entry {digest!r} does not hash to its id")
    return {str(k).lower(): v for k, v in entries.items()}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _not_allowed() -> PersistedQueryError:
    return PersistedQueryError(
        "This gateway runs only persisted (safelisted) operations.", ErrorCode.FORBIDDEN.value
    )
