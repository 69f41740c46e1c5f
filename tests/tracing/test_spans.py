"""Traces of the gateway, collected with the SDK's in-memory exporter: a server span per
HTTP request continuing the caller's trace, a span per GraphQL operation, an upstream
lookup per GET (cache hit/miss) with a client span per HTTP request sent, and `traceparent`
sent upstream. No secret in any span."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind, StatusCode

from tests.conftest import ALPHA_KEY, PUBLISHABLE_KEY, GatewayFactory, RunningServer
from tests.faults import FaultTransport, status
from tests.tracing.spans import (
    CALLER_SPAN_ID,
    CALLER_TRACE_ID,
    TRACEPARENT,
    children,
    everything_said,
    in_memory,
    named,
    one,
)

LIST = "query Hooks { callbacks(first: 2) { nodes { callbackId } } }"


async def _post(gw: Any, query: str, key: str = ALPHA_KEY, **headers: str) -> Any:
    response = await gw.client.post(
        "/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {key}", **headers},
    )
    return response


async def test_one_request_is_a_server_span_an_operation_an_upstream_lookup_and_a_client_span(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    tracing, exporter = in_memory()
    faults = FaultTransport()
    gw = await make_gateway(emulator.url, tracing=tracing, transport=faults)
    response = await _post(gw, LIST, traceparent=TRACEPARENT, **{"X-Request-ID": "req-42"})
    assert response.status_code == 200
    spans = exporter.get_finished_spans()

    server = one(spans, "POST /graphql")
    assert server.kind is SpanKind.SERVER
    assert server.context.trace_id == CALLER_TRACE_ID  # the caller's trace goes on
    assert server.parent is not None
    assert server.parent.span_id == CALLER_SPAN_ID
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["http.route"] == "/graphql"
    assert server.attributes["gateway.request_id"] == "req-42"

    [operation] = children(spans, server)
    assert operation.name == "query Hooks"
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Hooks"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert operation.attributes["gateway.outcome"] == "ok"
    assert operation.attributes["gateway.request_id"] == "req-42"

    [lookup] = children(spans, operation)
    assert lookup.name == "upstream GET /callbacks"
    assert lookup.attributes is not None
    assert lookup.attributes["gateway.cache"] == "miss"
    assert lookup.attributes["url.template"] == "/callbacks"

    [client] = children(spans, lookup)
    assert client.kind is SpanKind.CLIENT
    assert client.attributes is not None
    assert client.attributes["http.response.status_code"] == 200
    assert client.attributes["url.template"] == "/callbacks"
    assert "http.request.resend_count" not in client.attributes
    assert {span.context.trace_id for span in spans} == {CALLER_TRACE_ID}

    # The upstream was told the client span's context (W3C traceparent).
    sent = faults.headers[-1]["traceparent"]
    assert sent == f"00-{CALLER_TRACE_ID:032x}-{client.context.span_id:016x}-01"


async def test_a_cached_upstream_answer_is_a_lookup_with_cache_hit_and_no_client_span(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    tracing, exporter = in_memory()
    gw = await make_gateway(emulator.url, tracing=tracing)
    await _post(gw, LIST)
    exporter.clear()
    # Another document (no whole-result hit) over the same upstream GET.
    await _post(gw, "query Again { callbacks(first: 2) { nodes { callbackId type } } }")
    spans = exporter.get_finished_spans()
    lookup = one(spans, "upstream GET")
    assert lookup.attributes is not None
    assert lookup.attributes["gateway.cache"] == "hit"
    assert children(spans, lookup) == []
    assert named(spans, "GET /callbacks") == []


async def test_retries_are_client_spans_with_their_resend_count(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    tracing, exporter = in_memory()
    faults = FaultTransport()
    gw = await make_gateway(emulator.url, tracing=tracing, transport=faults)
    faults.script(status(503))
    assert (await _post(gw, LIST)).json()["data"]["callbacks"]["nodes"]
    spans = exporter.get_finished_spans()
    lookup = one(spans, "upstream GET")
    first, second = sorted(children(spans, lookup), key=lambda span: span.start_time or 0)
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["http.response.status_code"] == 503
    assert first.status.status_code is StatusCode.ERROR
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["http.request.resend_count"] == 1
    assert lookup.attributes is not None
    assert lookup.attributes["gateway.upstream.retries"] == 1


async def test_an_upstream_refusal_is_an_error_with_its_code_on_each_span(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    tracing, exporter = in_memory()
    gw = await make_gateway(emulator.url, tracing=tracing)
    await _post(gw, LIST, key=PUBLISHABLE_KEY)
    spans = exporter.get_finished_spans()
    operation = one(spans, "query Hooks")
    assert operation.status.status_code is StatusCode.ERROR
    assert operation.attributes is not None
    assert operation.attributes["gateway.outcome"] == "error"
    assert operation.attributes["graphql.error.code"] == "FORBIDDEN"
    lookup = one(spans, "upstream GET")
    assert lookup.attributes is not None
    assert lookup.attributes["error.type"] == "FORBIDDEN"
    client = one(spans, "GET /callbacks")
    assert client.attributes is not None
    assert client.attributes["http.response.status_code"] == 403


async def test_a_mutation_and_a_refused_request_are_traced_by_type_and_outcome(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    tracing, exporter = in_memory()
    gw = await make_gateway(emulator.url, tracing=tracing)
    await _post(
        gw,
        'mutation Make { createCallbackDestination(input: {name: "t", url: "https://e.com/t"})'
        " { userErrors { code } } }",
    )
    await gw.client.get("/graphql", params={"query": "mutation Sneaky { __typename }"})
    spans = exporter.get_finished_spans()
    made = one(spans, "mutation Make")
    assert made.attributes is not None
    assert made.attributes["gateway.outcome"] == "ok"
    client = one(spans, "POST /callbacks-destinations")
    assert client.parent is not None
    assert client.parent.span_id == made.context.span_id
    refused = one(spans, "mutation Sneaky")
    assert refused.attributes is not None
    assert refused.attributes["gateway.outcome"] == "refused"
    get = one(spans, "GET /graphql")
    assert get.attributes is not None
    assert get.attributes["http.response.status_code"] == 405


async def test_no_key_variable_or_signing_secret_in_any_span(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    tracing, exporter = in_memory()
    gw = await make_gateway(emulator.url, tracing=tracing)
    secret_url = "https://example.com/hook?token=variable-secret-value"
    created = await gw.client.post(
        "/graphql",
        json={
            "query": "mutation Make($url: String!) { createCallbackDestination("
            'input: {name: "n", url: $url}) { callbackDestination { id '
            "webhookDestination { signingSecret } } } }",
            "variables": {"url": secret_url},
        },
        headers={"Authorization": f"Bearer {ALPHA_KEY}"},
    )
    payload = created.json()["data"]["createCallbackDestination"]["callbackDestination"]
    signing_secret = payload["webhookDestination"]["signingSecret"]
    await gw.client.get(
        "/graphql",
        params={
            "query": "query Q($id: ID!) { node(id: $id) { id } }",
            "variables": '{"id": "variable-secret-id"}',
        },
        headers={"Authorization": f"Bearer {ALPHA_KEY}"},
    )
    await gw.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "bearer x-y-z"}
    )
    text = everything_said(exporter.get_finished_spans())
    assert "POST /graphql" in text
    for secret in (ALPHA_KEY, "variable-secret", signing_secret, "Bearer", "x-y-z", "whsec"):
        assert secret not in text, secret


async def test_tracing_off_sends_no_traceparent_and_adds_no_middleware(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    faults = FaultTransport()
    gw = await make_gateway(emulator.url, transport=faults)
    await _post(gw, LIST, traceparent=TRACEPARENT)
    assert "traceparent" not in faults.headers[-1]
