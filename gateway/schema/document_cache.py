"""Parse and validation caches that keep only small documents.

Strawberry's ParserCache and ValidationCache are LRU caches by count: 512 documents of
900 KB pinned about 1 GB. Documents longer than MAX_CACHED_DOCUMENT characters are
parsed and validated every time instead (they are rare, and the token limit keeps
their work small), so the caches hold at most PARSE_CACHE_SIZE small documents.

Usage::

    Schema(..., extensions=[lambda: SmallParserCache(512), lambda: SmallValidationCache(512)])
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import parse
from strawberry.extensions import ParserCache, ValidationCache

MAX_CACHED_DOCUMENT = 16 * 1024  # characters


def _small(query: str | None) -> bool:
    return query is not None and len(query) <= MAX_CACHED_DOCUMENT


class SmallParserCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if _small(context.query):
            yield from super().on_parse()
            return
        context.graphql_document = parse(context.query or "", **context.parse_options)
        yield


class SmallValidationCache(ValidationCache):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if _small(context.query) or document is None:
            yield from super().on_validate()
            return
        from strawberry.schema.schema import validate_document

        context.pre_execution_errors = validate_document(
            context.schema._schema, document, context.validation_rules
        )
        yield
