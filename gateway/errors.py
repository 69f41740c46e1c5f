"""Top-level GraphQL errors and the `extensions.code` each one carries."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError

from gateway.logs import redact


class ErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class GatewayError(Exception):
    """An expected failure whose message is safe to show to the client."""

    def __init__(self, code: ErrorCode, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions = {"code": code.value, **extensions}


def bad_input(message: str, **extensions: Any) -> GatewayError:
    return GatewayError(ErrorCode.BAD_USER_INPUT, message, **extensions)


def too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value})


MASKED_MESSAGE = "Internal server error."
# graphql-core's syntax error when a document passes the parser's max_tokens.
LEXER_LIMIT_MESSAGE = "Syntax Error: Document contains more than"
MAX_MESSAGE_LENGTH = 1000  # characters; a message may quote the client's (huge) literal


def format_error(error: GraphQLError, secrets: Sequence[str] = ()) -> dict[str, Any]:
    """Serialize an error for the client: coded errors as they are, the rest masked.

    Syntax and validation errors (no original exception) become BAD_USER_INPUT;
    any unexpected exception becomes a bare INTERNAL_SERVER_ERROR with no details.
    Every message is redacted (anything shaped like a key or secret, and each of
    `secrets`, e.g. the caller's own token) and cut to MAX_MESSAGE_LENGTH.
    """
    body = _format(error)
    body["message"] = safe_message(body["message"], secrets)
    return body


def safe_message(message: str, secrets: Sequence[str] = ()) -> str:
    """A message fit to leave the gateway: no secret, bounded length."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "[REDACTED]")
    message = redact(message)  # before cutting: a cut secret no longer looks like one
    if len(message) > MAX_MESSAGE_LENGTH:
        message = message[:MAX_MESSAGE_LENGTH] + "..."
    return message


def _format(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, GatewayError):
        extensions: dict[str, Any] = original.extensions
        message = original.message
    elif original is None or isinstance(original, GraphQLError) or _is_coercion(error):
        extensions = dict(error.extensions or {})
        too_many_tokens = error.message.startswith(LEXER_LIMIT_MESSAGE)
        code = ErrorCode.QUERY_TOO_COMPLEX if too_many_tokens else ErrorCode.BAD_USER_INPUT
        extensions.setdefault("code", code.value)
        message = error.message
    else:
        return _with_location(
            error, {"message": MASKED_MESSAGE, "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        )
    return _with_location(error, {"message": message, "extensions": extensions})


def _is_coercion(error: GraphQLError) -> bool:
    # Variable coercion reports a scalar's ValueError/TypeError before execution (no path).
    return error.path is None and isinstance(error.original_error, ValueError | TypeError)


def _with_location(error: GraphQLError, body: dict[str, Any]) -> dict[str, Any]:
    if error.locations:
        body["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        body["path"] = list(error.path)
    return body


def upstream_malformed(what: str) -> GatewayError:
    """The upstream answered 200 with a body we cannot read."""
    return GatewayError(ErrorCode.UPSTREAM_ERROR, f"The upstream API sent an unexpected {what}.")
