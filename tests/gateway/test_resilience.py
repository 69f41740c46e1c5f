"""Failing upstreams: each fault maps to its code; GETs retry, writes never do."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from tests.conftest import GatewayFactory, RunningServer, start_emulator
from tests.faults import FaultTransport, garbage, read_timeout, refused, status

LIST = "{ callbackDestinations(first: 5) { nodes { id } } }"
CREATE = """mutation { createCallbackDestination(input: {name: "n", url: "https://e.com",
  callbacks: {type: ALL}}) { callbackDestination { id } userErrors { message } } }"""


@pytest.fixture
def faults() -> FaultTransport:
    return FaultTransport()


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (status(500, b'{"code": "internal_server_error"}'), "UPSTREAM_ERROR"),
        (garbage, "UPSTREAM_ERROR"),
        (status(404, b"<html>not json</html>"), "UPSTREAM_ERROR"),
        (read_timeout, "UPSTREAM_TIMEOUT"),
    ],
)
async def test_non_retryable_get_failures_map_to_codes(
    make_gateway: GatewayFactory,
    emulator: RunningServer,
    faults: FaultTransport,
    fault: object,
    code: str,
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults, cache_ttl=0)
    faults.script(fault)  # type: ignore[arg-type]
    result = await gateway.query(LIST)
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == code
    assert "Traceback" not in error["message"]
    assert faults.count("GET") == 1
    # The failure was not cached: the next identical query reaches the upstream and succeeds.
    assert await gateway.data(LIST) == {"callbackDestinations": {"nodes": []}}
    assert faults.count("GET") == 2


@pytest.mark.parametrize(
    "fault",
    [status(503), status(502), status(504), status(429, b"{}", **{"Retry-After": "0"}), refused],
)
async def test_transient_get_failure_is_retried_once_then_succeeds(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport, fault: object
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults, cache_ttl=0)
    faults.script(fault)  # type: ignore[arg-type]
    assert await gateway.data(LIST) == {"callbackDestinations": {"nodes": []}}
    assert faults.count("GET") == 2
    metrics = (await gateway.client.get("/metrics")).text
    assert "gateway_upstream_retries_total{" in metrics


async def test_retries_stop_at_the_configured_count(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults, cache_ttl=0, upstream_retries=2)
    faults.script(status(503), status(503), status(503), status(503))
    result = await gateway.query(LIST)
    assert result["errors"][0]["extensions"] == {"code": "UPSTREAM_ERROR", "upstreamStatus": 503}
    assert faults.count("GET") == 3


async def test_persistent_rate_limit_is_rate_limited_with_retry_after(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults, cache_ttl=0)
    body = b'{"code": "rate_limit_exceeded", "message": "Too many requests"}'
    faults.script(status(429, body, **{"Retry-After": "120"}))
    result = await gateway.query(LIST)
    [error] = result["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 120.0}
    assert faults.count("GET") == 1  # waiting 120 s would pass the deadline


async def test_real_emulator_rate_limit_is_rate_limited(make_gateway: GatewayFactory) -> None:
    emulator = await start_emulator(rate_limit=2)
    try:
        gateway = await make_gateway(emulator.url, cache_ttl=0)
        await gateway.data(LIST)
        await gateway.data(LIST)
        result = await gateway.query(LIST)
        [error] = result["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        # RateLimit-Reset is an epoch second: what is left of the 10-minute window
        assert 0 < error["extensions"]["retryAfter"] <= 600
    finally:
        await emulator.stop()


async def test_rate_limit_reset_as_an_epoch_second_is_read_as_the_time_left(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    faults = FaultTransport()
    gateway = await make_gateway(emulator.url, transport=faults, upstream_retries=0)
    reset = str(int(time.time()) + 300)
    faults.script(status(429, b'{"code":"rate_limit_exceeded"}', **{"RateLimit-Reset": reset}))
    [error] = (await gateway.query(LIST))["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 290 <= error["extensions"]["retryAfter"] <= 300


async def test_slow_upstream_is_upstream_timeout(make_gateway: GatewayFactory) -> None:
    emulator = await start_emulator(latency_ms=400)
    try:
        gateway = await make_gateway(emulator.url, upstream_timeout=0.1)
        result = await gateway.query(LIST)
        assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_TIMEOUT"
    finally:
        await emulator.stop()


async def test_closed_port_is_upstream_unavailable(make_gateway: GatewayFactory) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = await make_gateway(f"http://127.0.0.1:{port}", upstream_retries=1)
    result = await gateway.query(LIST)
    [error] = result["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert str(port) not in error["message"]
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 503


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (status(503), "UPSTREAM_ERROR"),
        (refused, "UPSTREAM_UNAVAILABLE"),
        (read_timeout, "UPSTREAM_TIMEOUT"),
        (status(502), "UPSTREAM_ERROR"),
    ],
)
async def test_a_mutation_is_never_sent_twice(
    make_gateway: GatewayFactory,
    emulator: RunningServer,
    faults: FaultTransport,
    fault: object,
    code: str,
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults)
    faults.script(fault)  # type: ignore[arg-type]
    result = await gateway.query(CREATE)
    assert result["errors"][0]["extensions"]["code"] == code
    assert faults.count("POST") == 1


async def test_readyz_flips_to_503_when_the_upstream_goes_down(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gateway.web.readiness.READINESS_INTERVAL", 0.0)
    emulator = await start_emulator()
    gateway = await make_gateway(emulator.url, upstream_retries=0)
    response = await gateway.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "upstreamVersion": "2025-01-01"}
    await emulator.stop()
    down = await gateway.client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["status"] == "unavailable"
    assert down.json()["reason"] == "The upstream is unreachable."
    assert (await gateway.client.get("/healthz")).json() == {"status": "ok"}


async def test_an_object_the_gateway_cannot_read_is_upstream_error(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults, cache_ttl=0)
    odd = {
        "items": [{"object": "callback.destination", "id": "cld_x", "type": "carrier_pigeon"}],
        "pagination": {"has_more_before": False, "has_more_after": False},
    }
    faults.script(status(200, json.dumps(odd).encode()))
    result = await gateway.query(LIST)
    [error] = result["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_ERROR"
    assert error["message"] == "The upstream API sent an unexpected callback destination."
    faults.script(status(200, b'{"items": "nope"}'))
    result = await gateway.query(LIST)
    assert result["errors"][0]["message"] == "The upstream API sent an unexpected list envelope."


async def test_unknown_upstream_route_on_a_write_is_a_top_level_not_found(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults)
    body = b'{"code": "not_found", "message": "No such endpoint", "entity": "endpoint"}'
    faults.script(status(404, body))
    result = await gateway.query(
        'mutation { deleteCallbackDestination(input: {id: "cld_000000000AAAAAAAAAAAAA"}) '
        "{ userErrors { code } } }"
    )
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_upstream_cookies_are_never_kept_or_sent_for_another_caller(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults, cache_ttl=0)
    envelope = b'{"items": [], "pagination": {"has_more_before": false, "has_more_after": false}}'
    faults.script(status(200, envelope, **{"Set-Cookie": "session=alpha; Path=/"}))
    await gateway.data(LIST)
    await gateway.data(LIST, key="metorial_sk_test_beta")
    assert [h.get("cookie") for h in faults.headers] == [None, None]


async def test_a_5xx_is_retried_even_though_every_answer_carries_ratelimit_reset(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults, cache_ttl=0)
    # RateLimit-Reset is when the window resets (up to 600 s): not a wait for a 5xx.
    faults.script(status(503, b"{}", **{"RateLimit-Reset": "420"}))
    assert await gateway.data(LIST) == {"callbackDestinations": {"nodes": []}}
    assert faults.count("GET") == 2


async def test_a_write_refused_for_a_bad_key_leaves_no_state_behind(
    make_gateway: GatewayFactory, emulator: RunningServer
) -> None:
    gateway = await make_gateway(emulator.url)
    for n in range(5):
        result = await gateway.query(CREATE, key=f"metorial_sk_bogus_{n}")
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    cache = gateway.app.state.cache
    assert cache.stats.invalidations == 0


async def test_readyz_probes_the_upstream_at_most_once_a_second(
    make_gateway: GatewayFactory, emulator: RunningServer
) -> None:
    gateway = await make_gateway(emulator.url)
    for _ in range(5):
        assert (await gateway.client.get("/readyz")).status_code == 200
    assert len(emulator.app.state.request_log) == 1


async def test_a_404_for_another_reason_than_the_object_is_not_read_as_null(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults)
    faults.script(status(404, b'{"code": "not_found", "entity": "endpoint"}'))
    result = await gateway.query(
        'query { callbackDestination(id: "cld_000000000AAAAAAAAAAAAA") { id } }'
    )
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_write_that_never_reached_the_upstream_keeps_the_cache(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults)
    faults.script(refused)
    result = await gateway.query(CREATE)
    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert gateway.app.state.cache.stats.invalidations == 0
    faults.script(read_timeout)
    await gateway.query(CREATE)
    assert gateway.app.state.cache.stats.invalidations == 1


async def test_an_answer_that_does_not_decode_is_upstream_error(
    make_gateway: GatewayFactory, emulator: RunningServer, faults: FaultTransport
) -> None:
    gateway = await make_gateway(emulator.url, transport=faults, cache_ttl=0)
    faults.script(status(200, b"not gzip at all", **{"Content-Encoding": "gzip"}))
    result = await gateway.query(LIST)
    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_ERROR"


async def test_concurrent_readiness_checks_share_one_probe(
    make_gateway: GatewayFactory,
) -> None:
    emulator = await start_emulator(latency_ms=100)
    try:
        gateway = await make_gateway(emulator.url)
        answers = await asyncio.gather(*(gateway.client.get("/readyz") for _ in range(20)))
        assert {a.status_code for a in answers} == {200}
        assert len(emulator.app.state.request_log) == 1
    finally:
        await emulator.stop()


@pytest.mark.parametrize(
    "body",
    [
        b'{"items":[5],"pagination":{"has_more_before":false,"has_more_after":false}}',
        b'{"items":[{"id":7,"name":"x"}],"pagination":{}}',
        b'{"items":[' + b",".join([b"{}"] * 21) + b'],"pagination":{}}',  # more than asked
        b'{"items":[{"id":"cld_ok/../../evil"}],"pagination":{}}',
    ],
)
async def test_malformed_upstream_records_are_upstream_errors(
    emulator: RunningServer, make_gateway: GatewayFactory, body: bytes
) -> None:
    faults = FaultTransport()
    gateway = await make_gateway(emulator.url, transport=faults)
    faults.script(status(200, body))
    [error] = (await gateway.query("{ callbackDestinations(first: 20) { nodes { id } } }"))[
        "errors"
    ]
    assert error["extensions"]["code"] == "UPSTREAM_ERROR"
    assert faults.count() == 1  # nothing was asked on behalf of what the answer said
