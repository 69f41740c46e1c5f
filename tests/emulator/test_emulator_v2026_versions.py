"""Version selection per request: only internal version keys count (contract-2026 §1)."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import MAGNETAR, PULSAR


@pytest.mark.parametrize(
    ("headers", "params", "served"),
    [
        ({}, {}, "2026-02-01"),
        (PULSAR, {}, "2025-01-01"),
        (MAGNETAR, {}, "2026-02-01"),
        ({}, {"api-version": "mt_2025_01_01_pulsar"}, "2025-01-01"),
        ({}, {"api-version": "mt_2026_01_01_magnetar"}, "2026-02-01"),
        ({"metorial-version": "2025-01-01"}, {}, "2026-02-01"),
        ({"metorial-version": "2026-02-01"}, {}, "2026-02-01"),
        ({"metorial-version": "pulsar"}, {}, "2026-02-01"),
        ({"metorial-version": "MT_2025_01_01_PULSAR"}, {}, "2026-02-01"),
        ({"metorial-version": "mt_2025_01_01_dashboard"}, {}, "2026-02-01"),
        ({}, {"api-version": "2025-01-01"}, "2026-02-01"),
        # The header, when present, is the value read; the query is then not consulted.
        ({"metorial-version": "2025-01-01"}, {"api-version": "mt_2025_01_01_pulsar"}, "2026-02-01"),
        (MAGNETAR, {"api-version": "mt_2025_01_01_pulsar"}, "2026-02-01"),
        (PULSAR, {"api-version": "mt_2026_01_01_magnetar"}, "2025-01-01"),
    ],
)
async def test_version_key_in_header_or_query_selects_the_version(emu26, headers, params, served):
    response = await emu26.client.get("/callbacks", headers=headers, params=params)
    assert response.status_code == 200
    assert response.headers["metorial-version"] == served
    item = response.json()["items"][0]
    # A 2025 callback has a schedule; a 2026 one a provider deployment.
    assert ("schedule" in item) == (served == "2025-01-01")
    assert ("provider_deployment" in item) == (served == "2026-02-01")


async def test_the_default_version_is_the_configured_one(open_emulator):
    async with open_emulator(api_version="2025-01-01") as emu:
        response = await emu.client.get("/callbacks-destinations")
        assert response.headers["metorial-version"] == "2025-01-01"
        response = await emu.client.get("/callback-destinations", headers=MAGNETAR)
        assert response.status_code == 200
        assert response.headers["metorial-version"] == "2026-02-01"


async def test_an_old_server_ignores_the_key_of_a_version_it_does_not_serve(open_emulator):
    async with open_emulator(api_version="2025-01-01", served_versions=("2025-01-01",)) as emu:
        response = await emu.client.get("/callbacks-destinations", headers=MAGNETAR)
        assert response.status_code == 200
        assert response.headers["metorial-version"] == "2025-01-01"
        response = await emu.client.get("/callback-destinations", headers=MAGNETAR)
        assert response.status_code == 404
        assert response.json()["entity"] == "endpoint"


async def test_the_newest_server_serves_only_2026_and_ignores_the_pulsar_key(open_emulator):
    async with open_emulator(api_version="2026-02-01", served_versions=("2026-02-01",)) as emu:
        response = await emu.client.get("/callbacks-destinations", headers=PULSAR)
        assert response.status_code == 404
        assert response.headers["metorial-version"] == "2026-02-01"
        assert response.json()["__typename"] == "error"
        response = await emu.client.get("/callback-destinations", headers=PULSAR)
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "path"),
    [
        ({}, "/callbacks-destinations"),
        ({}, "/instances/demo/callbacks-destinations"),
        (PULSAR, "/callback-destinations"),
        (PULSAR, "/instances/demo/callback-destinations"),
    ],
)
async def test_routes_of_one_version_do_not_exist_in_the_other(emu26, headers, path):
    response = await emu26.client.get(path, headers=headers)
    assert response.status_code == 404
    body = response.json()
    assert body["__typename"] == "error"
    assert "object" not in body
    assert (body["code"], body["entity"]) == ("not_found", "endpoint")


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
async def test_2025_callbacks_are_read_only(emu26, method):
    path = "/callbacks" if method == "POST" else "/callbacks/clb_x"
    response = await emu26.v2025(method, path, json={})
    assert response.status_code == 404
    assert response.json()["entity"] == "endpoint"


async def test_response_headers_carry_the_served_version_on_errors_too(emu26):
    # rest/src/server.ts: a 401 comes before the version is picked and carries no version.
    unauthorized = await emu26.client.get("/callbacks", headers={"Authorization": "Bearer x"})
    assert unauthorized.status_code == 401
    assert "metorial-version" not in unauthorized.headers
    missing = await emu26.client.get("/callback-destinations/cld_nope")
    assert missing.status_code == 404
    assert missing.headers["metorial-version"] == "2026-02-01"
    old = await emu26.client.get("/callbacks-destinations/cld_nope", headers=PULSAR)
    assert old.headers["metorial-version"] == "2025-01-01"
    assert old.json()["__typename"] == "error"


async def test_request_log_is_shared_by_both_versions(emu26):
    emu26.app.state.clear_request_log()
    await emu26.client.get("/callback-destinations")
    await emu26.v2025("GET", "/callbacks-destinations")
    assert [(r.path, r.status) for r in emu26.app.state.request_log] == [
        ("/callback-destinations", 200),
        ("/callbacks-destinations", 200),
    ]
