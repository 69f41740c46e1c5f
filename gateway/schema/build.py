"""The Strawberry schema, and its SDL as checked in at `schema.graphql`."""

from __future__ import annotations

import datetime
import functools
import logging
from typing import Any

import graphql
import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.errors import GatewayError
from gateway.schema.document_cache import SmallParserCache, SmallValidationCache
from gateway.schema.limits import QueryLimits, limit_rules
from gateway.schema.mutations import Mutation
from gateway.schema.query import Query
from gateway.schema.subscription import Subscription
from gateway.schema.types import (
    DATETIME_SCALAR,
    Callback,
    CallbackDelivery,
    CallbackDestination,
    CallbackEvent,
)
from gateway.settings import Settings

logger = logging.getLogger("gateway.errors")
PARSE_CACHE_SIZE = 512  # distinct documents whose parse and validation results are kept


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected failures are the client's business; only unexpected ones are logged.
        for error in errors:
            original = error.original_error
            if error.path is None and isinstance(original, ValueError | TypeError):
                continue  # the client's literal or variable did not coerce (e.g. a huge Int)
            if original is not None and not isinstance(original, GatewayError | GraphQLError):
                logger.error("unexpected error in %s", error.path, exc_info=original)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with its limits; validation rules are built here, once."""
    settings = settings or Settings()
    rules = limit_rules(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        introspection=settings.introspection,
    )
    # The cost check walks the schema's types: a plain graphql-core copy, built from the SDL.
    cost_schema = graphql.build_schema(print_sdl())
    return GatewaySchema(
        **_TYPES,
        extensions=[
            lambda: QueryLimits(
                rules,
                max_tokens=settings.max_tokens,
                cost_schema=cost_schema,
                max_upstream_requests=settings.max_upstream_requests,
                max_page_size=settings.max_page_size,
                max_result_items=settings.max_result_items,
            ),
            lambda: SmallParserCache(maxsize=PARSE_CACHE_SIZE),
            lambda: SmallValidationCache(maxsize=PARSE_CACHE_SIZE),
        ],
    )


@functools.cache
def print_sdl() -> str:
    return GatewaySchema(**_TYPES).as_str() + "\n"


_TYPES: dict[str, Any] = {
    "query": Query,
    "mutation": Mutation,
    "subscription": Subscription,
    "types": [CallbackDestination, Callback, CallbackEvent, CallbackDelivery],
    "config": StrawberryConfig(scalar_map={datetime.datetime: DATETIME_SCALAR}),
}
