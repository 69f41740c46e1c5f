"""Operating the gateway: logs without secrets, request ids, CORS, metrics, shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys

import httpx
import pytest

from gateway.logs import JsonFormatter, configure_logging, redact
from tests.conftest import ALPHA_KEY, Gateway, GatewayFactory, RunningServer, start_emulator
from tests.faults import FaultTransport, status
from tests.versions import BOTH_VERSIONS


async def test_logs_never_contain_keys_or_signing_secrets(
    emulator: RunningServer,
    make_gateway: GatewayFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    faults = FaultTransport()
    gateway: Gateway = await make_gateway(
        emulator.url, transport=faults, upstream_api_key="metorial_sk_server_side_key"
    )
    created = await gateway.data(
        'mutation { createCallbackDestination(input: {name: "n", url: "https://e.com", '
        "callbacks: {type: ALL}}) { callbackDestination { webhookDestination { signingSecret } "
        "} } }"
    )
    secret = created["createCallbackDestination"]["callbackDestination"]["webhookDestination"][
        "signingSecret"
    ]
    await gateway.query("{ callbackDestinations { nodes { id } } }", key="metorial_sk_unknown")
    await gateway.query("{ callbackDestinations { nodes { id } } }", key=None)
    faults.script(status(500, f'{{"message": "db down for {ALPHA_KEY}"}}'.encode()))
    failed = await gateway.query("{ callbackDestinations { nodes { id } } }")
    assert ALPHA_KEY not in str(failed)
    assert caplog.records, "the gateway logged nothing"
    formatter = JsonFormatter()
    for text in (caplog.text, *(formatter.format(r) for r in caplog.records)):
        for leaked in (ALPHA_KEY, "metorial_sk_unknown", "metorial_sk_server_side_key", secret):
            assert leaked not in text


def test_redaction_covers_every_secret_shape() -> None:
    line = "Authorization: Bearer abc.def metorial_sk_live_123 metorial_pk_x clb_sec_" + "a" * 50
    assert redact(line) == ("Authorization: [REDACTED] [REDACTED] [REDACTED] [REDACTED]")


async def test_access_log_has_one_structured_line_per_request(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    await gateway.client.post(
        "/graphql",
        json={"query": "query Probe { __typename }", "operationName": "Probe"},
        headers={"X-Request-ID": "req-42"},
    )
    [record] = [r for r in caplog.records if r.name == "gateway.access"]
    assert record.__dict__["operation"] == "Probe"
    assert record.__dict__["outcome"] == "ok"
    assert record.__dict__["request_id"] == "req-42"
    assert record.__dict__["duration_ms"] >= 0


async def test_request_id_is_propagated_upstream(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    faults = FaultTransport()
    gateway: Gateway = await make_gateway(emulator.url, transport=faults)
    await gateway.data(
        "{ callbackDestinations { nodes { id } } }", headers={"X-Request-ID": "trace-7"}
    )
    assert [h.get("x-request-id") for h in faults.headers] == ["trace-7"]


async def test_cors_allows_only_configured_origins(
    emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    closed: Gateway = await make_gateway(emulator.url)
    response = await closed.client.options(
        "/graphql", headers={"Origin": "https://app.example", **preflight}
    )
    assert "access-control-allow-origin" not in response.headers
    opened: Gateway = await make_gateway(emulator.url, cors_origins=("https://app.example",))
    allowed = await opened.client.options(
        "/graphql", headers={"Origin": "https://app.example", **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    denied = await opened.client.options(
        "/graphql", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "access-control-allow-origin" not in denied.headers


@BOTH_VERSIONS
async def test_metrics_count_operations_and_upstream_calls(
    gateway: Gateway, api_version: str
) -> None:
    await gateway.client.post(
        "/graphql",
        json={
            "query": "query Listing { callbackDestinations { nodes { id } } }",
            "operationName": "Listing",
        },
        headers={"Authorization": f"Bearer {ALPHA_KEY}"},
    )
    await gateway.query("{ nope }")
    text = (await gateway.client.get("/metrics")).text
    assert 'gateway_requests_total{operation="Listing",outcome="ok"} 1.0' in text
    assert 'gateway_requests_total{operation="anonymous",outcome="error"} 1.0' in text
    assert 'gateway_request_duration_seconds_count{operation="Listing"} 1.0' in text
    path = "/callbacks-destinations" if api_version == "2025-01-01" else "/callback-destinations"
    route = f'method="GET",route="{path}",status="200"'
    assert f"gateway_upstream_requests_total{{{route}}} 1.0" in text
    assert f"gateway_upstream_request_duration_seconds_count{{{route}}} 1.0" in text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_shutdown_lets_in_flight_requests_finish() -> None:
    emulator = await start_emulator(latency_ms=1500)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--port",
        str(port),
        env={**os.environ, "GATEWAY_UPSTREAM_URL": emulator.url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            for _ in range(200):
                try:
                    await client.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            in_flight = asyncio.create_task(
                client.post(
                    "/graphql",
                    json={"query": "{ callbackDestinations { nodes { id } } }"},
                    headers={"Authorization": f"Bearer {ALPHA_KEY}"},
                )
            )
            await asyncio.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            response = await in_flight
            assert response.json() == {"data": {"callbackDestinations": {"nodes": []}}}
        code = await asyncio.wait_for(process.wait(), 15)
        # uvicorn finishes in-flight work, then re-raises the signal it caught
        assert code in (0, -signal.SIGTERM)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await emulator.stop()


def test_configured_logging_writes_one_redacted_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("info")
        logging.getLogger("gateway.access").info(
            "graphql request", extra={"operation": "Q", "note": "Bearer metorial_sk_live_x"}
        )
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    [line] = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["message"] == "graphql request"
    assert entry["operation"] == "Q"
    assert entry["level"] == "INFO"
    assert entry["note"] == "[REDACTED]"
