"""The GraphQL-over-HTTP endpoint: request parsing, refusals, execution, responses.

Refusals before GraphQL runs get their own status (400 malformed, 405 mutation
over GET, 406 no acceptable media type, 413 too large, 415 media type) and a JSON
body. What GraphQL answers is HTTP 200 with `data`/`errors` for `application/json`
clients; `application/graphql-response+json` clients get the spec's statuses
(negotiate.py): an answer without `data` is 4xx/5xx.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import orjson
from graphql import GraphQLError, get_operation_ast, parse
from opentelemetry.trace import Span, Status, StatusCode
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from strawberry import Schema
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from gateway.errors import ErrorCode, GatewayError, format_error, safe_message
from gateway.metrics import Metrics
from gateway.schema.context import Context
from gateway.schema.cost import RequestBudget
from gateway.settings import Settings
from gateway.tracing import Tracing
from gateway.upstream.client import Credential, Upstream
from gateway.upstream.sealing import PROCESS_KEYRING, Keyring
from gateway.upstream.versions import VersionSelector
from gateway.web.encode import AnswerTooLarge, encode
from gateway.web.graphiql import GraphiQL
from gateway.web.negotiate import DEFAULT, Media, negotiate
from gateway.web.persisted import HashMismatch, PersistedQueries, PersistedQueryError
from gateway.web.result_cache import ResultStore, is_query

logger = logging.getLogger("gateway.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BEARER = re.compile(r"Bearer [\x21-\x7e]+")  # the only spelling the upstream accepts
_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
# Answers carry per-credential data (signing secrets among it): no shared caches, no sniffing.
_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_QUERY_ONLY = frozenset({OperationType.QUERY})
_ALL_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
SMALL_ANSWER_ITEMS = 2000  # estimated objects under which an answer is one orjson call

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

    def response(self, headers: dict[str, str], media: Media = DEFAULT) -> Response:
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code.value}}]}
        extra = {"Allow": "POST"} if self.status == 405 else {}
        return Response(
            orjson.dumps(body), self.status, {**headers, **extra}, media_type=media.content_type
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
        results: ResultStore,
        keyring: Keyring = PROCESS_KEYRING,
        *,
        tracing: Tracing | None = None,
    ) -> None:
        self.keyring = keyring
        self.tracing = tracing or Tracing()
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
        budget = RequestBudget.of(
            self.settings.max_upstream_requests, self.settings.max_result_items
        )
        media = negotiate(request.headers.get("accept"))
        if media is None:
            self._log(request_id, operation, started, "refused:406")
            return Refusal(406, _NOT_ACCEPTABLE).response(headers)
        try:
            data = await read(request)
            if isinstance(data, list):
                if not data or len(data) > self.settings.max_batch:
                    raise Refusal(400, f"A batch holds 1 to {self.settings.max_batch} operations.")
                parts = [
                    await self._traced(
                        request, item, request_id, budget, media, get=False, batch=True
                    )
                    for item in data
                ]
                body = b"[" + b",".join(part.body for part in parts) + b"]"
                ok = all(part.ok for part in parts)
                ran = any(part.ran for part in parts)
                operation = "batch"
                status = 200  # one answer per operation, each with its own errors
            else:
                answer = await self._traced(request, data, request_id, budget, media, get=get)
                body, ok, ran = answer.body, answer.ok, answer.ran
                status = media.status(has_data=answer.has_data, code=answer.code)
                operation = _operation_name(data)
        except Refusal as refusal:
            self._log(request_id, operation, started, f"refused:{refusal.status}")
            return refusal.response(headers, media)
        except ClientDisconnect:  # an aborted upload: a normal outcome, nobody to answer
            self._log(request_id, operation, started, "disconnected")
            return Response(status_code=400, headers=headers)
        self._log(request_id, operation, started, "ok" if ok else "error", ran=ran)
        return Response(body, status, headers, media_type=media.content_type)

    async def _traced(
        self,
        request: Request,
        data: Any,
        request_id: str,
        budget: RequestBudget,
        media: Media,
        *,
        get: bool,
        batch: bool = False,
    ) -> Answer:
        """One operation under its span: name, type, outcome and error code (never the
        document, variables or credential). In a batch, a malformed operation gets its own
        error in its slot: the operations before it may have written already, so the batch
        is never refused whole."""
        with self.tracing.tracer.start_as_current_span(
            "graphql.operation", record_exception=False
        ) as span:
            try:
                answer = await self._execute(request, data, request_id, budget, media, get=get)
            except Refusal as refusal:
                if span.is_recording():
                    self._annotate(span, data, request_id, "refused", refusal.code.value)
                if not batch:
                    raise
                return _failed(refusal.message, {"code": refusal.code.value})
            if span.is_recording():
                outcome = "ok" if answer.ok else "error"
                self._annotate(span, data, request_id, outcome, answer.code)
            return answer

    def _annotate(
        self, span: Span, data: Any, request_id: str, outcome: str, code: str | None
    ) -> None:
        kind, name = self._describe(data)
        span.set_attribute("graphql.operation.name", name)
        if kind is not None:
            span.set_attribute("graphql.operation.type", kind)
            span.update_name(f"{kind} {name}")
        span.set_attribute("gateway.outcome", outcome)
        span.set_attribute("gateway.request_id", request_id)
        if outcome != "ok":
            span.set_status(Status(StatusCode.ERROR))
            if code is not None:
                span.set_attribute("graphql.error.code", code)

    def _describe(self, data: Any) -> tuple[str | None, str]:
        """The operation's type (`query`, `mutation`) and name, parsed again (only for a
        recorded span); the name is `anonymous` when there is none."""
        name = _operation_name(data)
        query = data.get("query") if isinstance(data, dict) else None
        if not isinstance(query, str):
            return None, name
        asked = data.get("operationName")
        try:
            document = parse(query, max_tokens=self.settings.max_tokens)
            operation = get_operation_ast(document, asked if isinstance(asked, str) else None)
        except GraphQLError:
            return None, name
        if operation is None:
            return None, name
        if name == "anonymous" and operation.name is not None:
            name = operation.name.value[:100]
        return operation.operation.value, name

    async def _execute(
        self,
        request: Request,
        data: Any,
        request_id: str,
        budget: RequestBudget,
        media: Media,
        *,
        get: bool,
    ) -> Answer:
        """One operation's response body, whether it is free of errors, and whether it ran."""
        if not isinstance(data, dict):
            raise Refusal(400, "The body must be a JSON object (or a batch: an array of them).")
        try:
            credential = _credential(request, self.settings, self.keyring)
        except GatewayError as exc:
            return _failed(exc.message, exc.extensions)
        try:
            query = await self.persisted.resolve(
                data.get("query"), data.get("extensions"), credential
            )
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
        read_cache = not _no_cache(request)
        upstream = self.upstream()
        key = generation = None
        if credential is not None:
            key = self.results.key(credential.fingerprint, query, variables, operation_name)
        if key is not None and credential is not None:
            cached, generation = await self.results.lookup(key, credential, read=read_cache)
            if cached is not None:
                return Answer(cached, True, True)
        context = Context(
            upstream,
            self.versions,
            credential,
            read_cache=read_cache,
            request_id=request_id,
            budget=budget,
        )
        budget.items_estimated = 0
        seconds = self.settings.max_execution_seconds
        try:
            async with asyncio.timeout(seconds):
                result = await self.schema.execute(
                    query,
                    variable_values=variables,
                    context_value=context,
                    operation_name=operation_name,
                    allowed_operation_types=_QUERY_ONLY if get else _ALL_OPERATIONS,
                )
        except TimeoutError:
            return _too_slow(seconds, may_have_written=not is_query(query, operation_name))
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                return _failed(
                    "Subscriptions are not served over this endpoint: send a query or a mutation.",
                    {"code": ErrorCode.BAD_USER_INPUT.value},
                )
            raise Refusal(405, "Mutations are not allowed over GET: use POST.") from None
        except MissingQueryError:
            raise Refusal(400, "No GraphQL query found in the request.") from None
        except CannotGetOperationTypeError:
            # A GraphQL request error: HTTP 200, no data (GraphQL over HTTP, application/json).
            message = f"Unknown operation named {operation_name!r}." if operation_name else ""
            code = {"code": ErrorCode.BAD_USER_INPUT.value}
            return _failed(message or "No operation to run in the document.", code)
        errors = result.errors or []
        ran = credential is not None and (result.data is not None or any(e.path for e in errors))
        secrets = (credential.authorization.split(" ", 1)[-1],) if credential else ()
        answer: dict[str, Any] = {"data": result.data}
        if errors:
            answer["errors"] = [format_error(e, secrets) for e in errors]
            # A request error (parse, validation, variable coercion): nothing ran, and the
            # spec's media type says so with no `data` entry (and a 4xx).
            if media.spec_statuses and result.data is None and not any(e.path for e in errors):
                del answer["data"]
                code = answer["errors"][0].get("extensions", {}).get("code")
                return Answer(orjson.dumps(answer), False, ran, has_data=False, code=code)
        small = budget.items_estimated < SMALL_ANSWER_ITEMS
        try:
            body = await encode(answer, self.settings.max_response_bytes, small=small)
        except AnswerTooLarge as exc:
            code = {"code": ErrorCode.QUERY_TOO_COMPLEX.value}
            return _failed(exc.message, code, ran=ran, executed=True)
        if errors:
            code = answer["errors"][0].get("extensions", {}).get("code")
            return Answer(body, False, ran, code=code if isinstance(code, str) else None)
        if (
            key is not None
            and credential is not None
            and generation is not None
            and is_query(query, operation_name)
        ):
            await self.results.put(key, generation, body, context.oldest_data, credential)
        return Answer(body, True, ran)

    def _log(
        self, request_id: str, operation: str, started: float, outcome: str, *, ran: bool = False
    ) -> None:
        elapsed = time.perf_counter() - started
        label = self.metrics.operation_label(operation, ran=ran)
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


class Answer(NamedTuple):
    body: bytes
    ok: bool  # free of errors
    ran: bool  # authenticated and executed against the schema (may take a metric label)
    has_data: bool = True  # the body has a `data` entry (null or not)
    code: str | None = None  # the first error's code, when it has none


_NOT_ACCEPTABLE = (
    "Not acceptable: this endpoint answers in application/graphql-response+json or "
    "application/json; send an Accept header that allows one of them."
)


def _failed(
    message: str, extensions: dict[str, Any], *, ran: bool = False, executed: bool = False
) -> Answer:
    """A GraphQL answer with one error and no data (`data: null` once execution started)."""
    body: dict[str, Any] = {
        "errors": [{"message": safe_message(message), "extensions": extensions}]
    }
    if executed:
        body = {"data": None, **body}
    code = extensions.get("code")
    return Answer(orjson.dumps(body), False, ran, executed, code if isinstance(code, str) else None)


def _too_slow(seconds: float, *, may_have_written: bool) -> Answer:
    extensions: dict[str, Any] = {"code": ErrorCode.UPSTREAM_TIMEOUT.value}
    if may_have_written:
        extensions["writeMayHaveApplied"] = True
    return _failed(
        f"The operation did not finish within {seconds:g} seconds and was stopped. Ask for "
        "less, or try again later.",
        extensions,
        executed=True,
    )


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


def _credential(request: Request, settings: Settings, keyring: Keyring) -> Credential | None:
    return caller_credential(request.headers.get("authorization", ""), settings, keyring)


def caller_credential(
    header: str, settings: Settings, keyring: Keyring = PROCESS_KEYRING
) -> Credential | None:
    """The caller's credential from its Authorization value, else the server key's. Only
    `Bearer <token>` is valid (as upstream): another spelling (`bearer`, two spaces, ...)
    would be another cache identity for the same key."""
    if header:
        if not _BEARER.fullmatch(header):
            raise GatewayError(
                ErrorCode.UNAUTHENTICATED,
                "Malformed Authorization header: send exactly `Bearer <key>` in printable ASCII.",
            )
        return Credential.from_header(header, keyring)
    if settings.upstream_api_key:
        return Credential.from_header(f"Bearer {settings.upstream_api_key}", keyring)
    return None


def _no_cache(request: Request) -> bool:
    directives = request.headers.get("cache-control", "").lower()
    return "no-cache" in directives or "no-store" in directives


def _operation_name(data: Any) -> str:
    name = data.get("operationName") if isinstance(data, dict) else None
    return name if isinstance(name, str) and _GRAPHQL_NAME.fullmatch(name) else "anonymous"
