"""The GraphQL-over-HTTP endpoint: request parsing, refusals, execution, responses.

Refusals before GraphQL runs get their own status (400 malformed, 405 mutation
over GET, 413 too large, 415 media type) and a JSON body; everything GraphQL
answers is HTTP 200 with `data`/`errors`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from strawberry import Schema
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from gateway.errors import ErrorCode, GatewayError, format_error
from gateway.metrics import Metrics
from gateway.schema.context import Context
from gateway.schema.cost import RequestBudget
from gateway.settings import Settings
from gateway.upstream.client import Credential, Upstream
from gateway.upstream.versions import VersionSelector
from gateway.web.graphiql import GraphiQL
from gateway.web.persisted import HashMismatch, PersistedQueries, PersistedQueryError
from gateway.web.result_cache import ResultCache, is_query

logger = logging.getLogger("gateway.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_HEADER_VALUE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
# Answers carry per-credential data (signing secrets among it): no shared caches, no sniffing.
_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_QUERY_ONLY = frozenset({OperationType.QUERY})
_ALL_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})

EXAMPLE_QUERY = """# Destinations, ten at a time. Ctrl-Enter runs it.
query Destinations($after: String) {
  callbackDestinations(first: 10, after: $after) {
    edges {
      cursor
      node { id destinationId name description createdAt
             webhookDestination { url }
             callbacks { type callbacks { callbackId name type } } }
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


class Refusal(Exception):
    """A request refused before GraphQL runs."""

    def __init__(self, status: int, message: str, code: ErrorCode = ErrorCode.BAD_USER_INPUT):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def response(self, headers: dict[str, str]) -> Response:
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code.value}}]}
        extra = {"Allow": "POST"} if self.status == 405 else {}
        return Response(
            orjson.dumps(body), self.status, {**headers, **extra}, media_type="application/json"
        )


class GraphQLEndpoint:
    def __init__(
        self,
        schema: Schema,
        settings: Settings,
        metrics: Metrics,
        upstream: Callable[[], Upstream],
        versions: VersionSelector,
        persisted: PersistedQueries,
        results: ResultCache,
    ) -> None:
        self.persisted = persisted
        self.results = results
        self.schema = schema
        self.settings = settings
        self.metrics = metrics
        self.upstream = upstream
        self.versions = versions
        self.ide = GraphiQL(example_query=EXAMPLE_QUERY)  # the page for browsers

    async def handle_get(self, request: Request) -> Response:
        if "query" not in request.query_params and _wants_html(request):
            return self.ide.page(request)
        return await self._respond(request, self._read_params, get=True)

    async def handle_post(self, request: Request) -> Response:
        return await self._respond(request, self._read_json, get=False)

    async def _read_params(self, request: Request) -> Any:
        params = request.query_params
        return {
            "query": params.get("query"),
            "operationName": params.get("operationName"),
            "variables": _json_param(params.get("variables"), "variables"),
            "extensions": _json_param(params.get("extensions"), "extensions"),
        }

    async def _read_json(self, request: Request) -> Any:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise Refusal(415, "Unsupported media type: send `Content-Type: application/json`.")
        declared = request.headers.get("content-length")
        limit = self.settings.max_body_bytes
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise Refusal(413, f"Request body too large (limit {limit} bytes).")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise Refusal(413, f"Request body too large (limit {limit} bytes).")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise Refusal(400, "Malformed JSON body.") from None

    async def _respond(
        self,
        request: Request,
        read: Callable[[Request], Awaitable[Any]],
        *,
        get: bool,
    ) -> Response:
        started = time.perf_counter()
        request_id = _request_id(request)
        headers = {"X-Request-ID": request_id, **_PRIVATE}
        operation = "-"
        limit = self.settings.max_upstream_requests
        budget = RequestBudget(limit, limit)
        try:
            data = await read(request)
            if isinstance(data, list):
                if not data or len(data) > self.settings.max_batch:
                    raise Refusal(400, f"A batch holds 1 to {self.settings.max_batch} operations.")
                parts = [await self._batch_item(request, item, request_id, budget) for item in data]
                body = b"[" + b",".join(part for part, _ in parts) + b"]"
                ok = all(part_ok for _, part_ok in parts)
                operation = "batch"
            else:
                body, ok = await self._execute(request, data, request_id, budget, get=get)
                operation = _operation_name(data)
        except Refusal as refusal:
            self._log(request_id, operation, started, f"refused:{refusal.status}")
            return refusal.response(headers)
        self._log(request_id, operation, started, "ok" if ok else "error")
        return Response(body, 200, headers, media_type="application/json")

    async def _batch_item(
        self, request: Request, item: Any, request_id: str, budget: RequestBudget
    ) -> tuple[bytes, bool]:
        """One operation of a batch. A malformed one gets its own error in its slot: the
        operations before it may have written already, so the batch is never refused whole."""
        try:
            return await self._execute(request, item, request_id, budget, get=False)
        except Refusal as refusal:
            return _failed(refusal.message, {"code": refusal.code.value})

    async def _execute(
        self, request: Request, data: Any, request_id: str, budget: RequestBudget, *, get: bool
    ) -> tuple[bytes, bool]:
        """One operation's response body, and whether it is free of errors."""
        if not isinstance(data, dict):
            raise Refusal(400, "The body must be a JSON object (or a batch: an array of them).")
        try:
            query = self.persisted.resolve(data.get("query"), data.get("extensions"))
        except PersistedQueryError as exc:
            return _failed(exc.message, {"code": exc.code})
        except HashMismatch:
            raise Refusal(400, "provided sha does not match query") from None
        variables = data.get("variables")
        operation_name = data.get("operationName")
        if not isinstance(query, str) or not query.strip():
            raise Refusal(400, "No GraphQL query found in the request.")
        if variables is not None and not isinstance(variables, dict):
            raise Refusal(400, "`variables` must be a JSON object.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise Refusal(400, "`operationName` must be a string.")
        try:
            credential = _credential(request, self.settings)
        except GatewayError as exc:
            return _failed(exc.message, exc.extensions)
        read_cache = not _no_cache(request)
        upstream = self.upstream()
        key = generation = None
        if credential is not None:
            key = self.results.key(credential.fingerprint, query, variables, operation_name)
            generation = upstream.cache.generation(credential.fingerprint)
        if key is not None and generation is not None and read_cache:
            cached = self.results.get(key, generation)
            if cached is not None:
                return cached, True
        context = Context(
            upstream,
            self.versions,
            credential,
            read_cache=read_cache,
            request_id=request_id,
            budget=budget,
        )
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=_QUERY_ONLY if get else _ALL_OPERATIONS,
            )
        except InvalidOperationTypeError:
            raise Refusal(405, "Mutations are not allowed over GET: use POST.") from None
        except MissingQueryError:
            raise Refusal(400, "No GraphQL query found in the request.") from None
        except CannotGetOperationTypeError:
            # A GraphQL request error: HTTP 200, no data (GraphQL over HTTP, application/json).
            message = f"Unknown operation named {operation_name!r}." if operation_name else ""
            code = {"code": ErrorCode.BAD_USER_INPUT.value}
            return _failed(message or "No operation to run in the document.", code)
        if result.errors:
            errors = [format_error(e) for e in result.errors]
            return orjson.dumps({"data": result.data, "errors": errors}), False
        body = orjson.dumps({"data": result.data})
        if key is not None and generation is not None and is_query(query, operation_name):
            self.results.put(key, generation, body, context.oldest_data)
        return body, True

    def _log(self, request_id: str, operation: str, started: float, outcome: str) -> None:
        elapsed = time.perf_counter() - started
        label = self.metrics.operation_label(operation)
        self.metrics.requests.labels(label, outcome).inc()
        self.metrics.request_latency.labels(label).observe(elapsed)
        logger.info(
            "graphql request",
            extra={
                "request_id": request_id,
                "operation": operation,
                "outcome": outcome,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )


def _failed(message: str, extensions: dict[str, Any]) -> tuple[bytes, bool]:
    """A GraphQL answer with one error and no data."""
    return orjson.dumps({"errors": [{"message": message, "extensions": extensions}]}), False


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Refusal(400, f"Malformed JSON in the `{name}` parameter.") from None


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _request_id(request: Request) -> str:
    incoming = request.headers.get("x-request-id", "")
    return incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _credential(request: Request, settings: Settings) -> Credential | None:
    header = request.headers.get("authorization", "").strip()
    if header:
        if not _HEADER_VALUE.fullmatch(header):  # httpx could not even send it
            raise GatewayError(
                ErrorCode.UNAUTHENTICATED,
                "Malformed Authorization header: send `Bearer <key>` in printable ASCII.",
            )
        return Credential.from_header(header)
    if settings.upstream_api_key:
        return Credential.from_header(f"Bearer {settings.upstream_api_key}")
    return None


def _no_cache(request: Request) -> bool:
    directives = request.headers.get("cache-control", "").lower()
    return "no-cache" in directives or "no-store" in directives


def _operation_name(data: Any) -> str:
    name = data.get("operationName") if isinstance(data, dict) else None
    return name if isinstance(name, str) and _GRAPHQL_NAME.fullmatch(name) else "anonymous"
