"""The Strawberry schema, and its SDL as checked in at `schema.graphql`."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.errors import GatewayError
from gateway.mutations import Mutation
from gateway.resolvers import Query
from gateway.types import DATETIME_SCALAR, Callback, CallbackDestination

logger = logging.getLogger("gateway.errors")


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected failures are the client's business; only unexpected ones are logged.
        for error in errors:
            original = error.original_error
            if original is not None and not isinstance(original, GatewayError | GraphQLError):
                logger.error("unexpected error in %s", error.path, exc_info=original)


def build_schema(extensions: list[Any] | None = None) -> strawberry.Schema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        types=[CallbackDestination, Callback],
        config=StrawberryConfig(scalar_map={datetime.datetime: DATETIME_SCALAR}),
        extensions=[
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            *(extensions or []),
        ],
    )


def print_sdl() -> str:
    return build_schema().as_str() + "\n"
