"""Headers on every response, rate limiting, latency, the request log, and 500s."""

from __future__ import annotations

import re
import time

import pytest

from gateway.emulator import RequestRecord

REQUESTS = [
    ("GET", "/callbacks-destinations", {}),  # 200
    ("POST", "/callbacks-destinations", {}),  # 400
    ("GET", "/callbacks-destinations/cld_missing", {}),  # 404
    ("GET", "/nope", {}),  # 404 endpoint
    ("GET", "/callbacks", {"Authorization": "Bearer metorial_pk_x"}),  # 403
]


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
async def test_routed_responses_carry_version_request_id_and_rate_limit_headers(
    emu, method, path, headers
):
    """rest/src/server.ts sets these on every answer of the version app; ratelimit.ts."""
    before = int(time.time())
    response = await emu.client.request(method, path, headers=headers)
    assert response.headers["metorial-version"] == "2025-01-01"
    assert re.fullmatch(r"req_[0-9a-z]{9}[0-9A-Za-z]{11}", response.headers["metorial-req-id"])
    assert response.headers["x-powered-by"] == "Metorial"
    assert response.headers["RateLimit-Limit"] == "5000"
    assert int(response.headers["RateLimit-Remaining"]) <= 4999
    # An absolute epoch second: when the oldest counted request leaves the 10-minute window.
    assert before + 599 <= int(response.headers["RateLimit-Reset"]) <= int(time.time()) + 600
    assert response.headers["content-type"] == "application/json"
    assert "retry-after" not in response.headers


async def test_401_carries_cors_headers_but_no_version_request_id_or_rate_limit(emu):
    """rest/src/server.ts: the outer catch answers with the CORS headers only."""
    response = await emu.client.get(
        "/callbacks", headers={"Authorization": "Bearer metorial_sk_unknown", "Origin": "https://a"}
    )
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == "https://a"
    assert response.headers["x-powered-by"] == "Metorial"
    for name in ("metorial-version", "metorial-req-id", "RateLimit-Limit", "RateLimit-Reset"):
        assert name not in response.headers


async def test_request_ids_differ_per_response(emu):
    ids = {(await emu.client.get("/callbacks")).headers["metorial-req-id"] for _ in range(20)}
    assert len(ids) == 20


async def test_successes_are_200_for_every_method(emu):
    created = await emu.create()
    for method, path in [
        ("GET", "/callbacks-destinations"),
        ("GET", f"/callbacks-destinations/{created['id']}"),
        ("PATCH", f"/callbacks-destinations/{created['id']}"),
        ("DELETE", f"/callbacks-destinations/{created['id']}"),
    ]:
        response = await emu.client.request(method, path)
        assert response.status_code == 200, (method, path)


async def test_rate_limit_counts_down_and_then_answers_429(open_emulator):
    """rest/src/ratelimit.ts over async-ratelimiter 1.6.1 (the version bun.lock pins)."""
    async with open_emulator(rate_limit=3) as emu:
        remaining = []
        resets = set()
        for _ in range(3):
            response = await emu.client.get("/callbacks")
            assert response.status_code == 200
            assert response.headers["RateLimit-Limit"] == "3"
            remaining.append(response.headers["RateLimit-Remaining"])
            resets.add(response.headers["RateLimit-Reset"])
        assert remaining == ["2", "1", "0"]
        assert len(resets) == 1  # the oldest request's expiry, as an epoch second
        response = await emu.client.post("/callbacks-destinations", json={})
        assert response.status_code == 429
        assert response.json() == {
            "__typename": "error",
            "ok": False,
            "status": 429,
            "code": "rate_limit_exceeded",
            "message": "You have exceeded the rate limit for this instance",
            "hint": "Please wait a few minutes before trying again",
        }
        assert response.headers["RateLimit-Remaining"] == "0"
        assert {response.headers["RateLimit-Reset"]} == resets
        assert sorted(response.headers.keys()) == [
            "content-length",
            "content-type",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
        ]


async def test_rate_limit_is_per_organization_and_runs_before_routing_and_scopes(open_emulator):
    """apis/core/src/rest.ts keys the limit by organization; server.ts limits before routing."""
    keys = {"metorial_sk_a": "a", "metorial_sk_b": "b"}
    async with open_emulator(rate_limit=2, api_keys=keys) as emu:
        for key in ("metorial_sk_a", "metorial_sk_b"):
            response = await emu.client.get(
                "/callbacks", headers={"Authorization": f"Bearer {key}"}
            )
            assert response.status_code == 200
        for path, key in [
            ("/callbacks", "metorial_sk_b"),
            ("/nope", "metorial_sk_a"),
            ("/callbacks", "metorial_pk_x"),
        ]:
            response = await emu.client.get(path, headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 429, (path, key)


async def test_unauthenticated_and_refused_requests_do_not_count(open_emulator):
    """server.ts: a 401 comes before the limiter; the limiter does not record refusals."""
    async with open_emulator(rate_limit=1) as emu:
        await emu.client.get("/callbacks", headers={"Authorization": "Bearer metorial_sk_nope"})
        assert (await emu.client.get("/callbacks")).status_code == 200
        assert (await emu.client.get("/callbacks")).status_code == 429
        assert (await emu.client.get("/callbacks")).status_code == 429


def test_sliding_window_frees_slots_as_old_requests_expire():
    """async-ratelimiter 1.6.1 src/index.js: reset = floor((oldest + duration) / 1000)."""
    from gateway.emulator.ratelimit import RateLimiter

    now = [1_000_000.0]
    limiter = RateLimiter(2, window_ms=600_000, clock_ms=lambda: now[0])
    status = limiter.check("o")
    assert (status.allowed, status.headers()["RateLimit-Remaining"], status.reset) == (
        True,
        "1",
        1600,
    )
    now[0] += 100_000
    status = limiter.check("o")
    assert (status.allowed, status.headers()["RateLimit-Remaining"], status.reset) == (
        True,
        "0",
        1600,
    )
    now[0] += 499_000
    assert not limiter.check("o").allowed
    now[0] += 1_000  # the first request is now 600 s old
    status = limiter.check("o")
    assert (status.allowed, status.reset) == (True, 1700)


async def test_latency_delays_every_response(open_emulator):
    async with open_emulator(latency_ms=60) as emu:
        for path in ("/callbacks", "/nope"):
            started = time.perf_counter()
            await emu.client.get(path)
            assert time.perf_counter() - started >= 0.06


async def test_request_log_records_method_path_query_and_status(emu):
    emu.app.state.clear_request_log()
    await emu.client.get("/callbacks-destinations", params={"limit": 5, "order": "desc"})
    await emu.client.post("/callbacks-destinations", json={})
    await emu.client.get("/nope?x=1")
    assert emu.app.state.request_log == [
        RequestRecord("GET", "/callbacks-destinations", "limit=5&order=desc", 200),
        RequestRecord("POST", "/callbacks-destinations", "", 400),
        RequestRecord("GET", "/nope", "x=1", 404),
    ]
    record = emu.app.state.request_log[0]
    assert (record.method, record.path, record.query, record.status) == (
        "GET",
        "/callbacks-destinations",
        "limit=5&order=desc",
        200,
    )
    emu.app.state.request_log.clear()
    assert emu.app.state.request_log == []


async def test_request_log_paths_are_relative_to_a_mount_point(emu):
    import httpx
    from fastapi import FastAPI

    outer = FastAPI()
    outer.mount("/emulator", emu.app)
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://outer", headers=emu.client.headers
    ) as client:
        emu.app.state.clear_request_log()
        response = await client.get("/emulator/callbacks", params={"limit": 1})
        assert response.status_code == 200
        missing = await client.get("/emulator/nope")
        assert missing.json()["entity"] == "endpoint"
    assert emu.app.state.request_log == [
        RequestRecord("GET", "/callbacks", "limit=1", 200),
        RequestRecord("GET", "/nope", "", 404),
    ]


async def test_unexpected_failure_is_a_500_envelope(emu, monkeypatch, caplog):
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(emu.app.state.store, "list_callbacks", explode)
    response = await emu.client.get("/callbacks")
    assert response.status_code == 500
    assert response.json() == {
        "__typename": "error",
        "ok": False,
        "status": 500,
        "code": "internal_server_error",
        "message": "An internal server error occurred.",
    }
    assert response.headers["metorial-version"] == "2025-01-01"
    assert "database on fire" not in response.text
    assert "database on fire" in caplog.text
