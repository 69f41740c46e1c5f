"""Cases from Metorial's source (metorial/metorial-platform at ff3c61cc) the older tests miss.

Each test names the source file it follows.
"""

from __future__ import annotations

import pytest

from gateway.emulator import DEMO_API_KEY

JSON = {"content-type": "application/json"}
PK = {"Authorization": "Bearer metorial_pk_web"}
BODY = {"name": "n", "url": "https://example.com", "callbacks": {"type": "all"}}


# --- item 1: order of checks ---------------------------------------------------------------


async def test_publishable_key_meets_validation_and_lookup_before_the_scope_check(emu):
    """rest/src/controller.ts validates before middleware; checkAccess.ts runs last."""
    response = await emu.client.post("/callbacks-destinations", json={}, headers=PK)
    assert response.json()["code"] == "invalid_data"
    response = await emu.client.get("/callbacks-destinations?limit=0", headers=PK)
    assert response.json()["code"] == "invalid_data"
    response = await emu.client.get("/callbacks-destinations/cld_nope", headers=PK)
    assert response.status_code == 404
    response = await emu.client.post("/callbacks-destinations", json=BODY, headers=PK)
    assert response.status_code == 403


async def test_body_is_validated_before_the_query(emu):
    """rest/src/controller.ts Handler.run: body, then query."""
    created = await emu.create()
    response = await emu.client.patch(
        f"/callbacks-destinations/{created['id']}?limit=0", json={"name": 1}
    )
    assert response.json()["entity"] == "body"


async def test_bad_json_on_a_get_is_400_before_the_lookup(emu):
    """rest/src/server.ts parses the body for every route, before the handler."""
    response = await emu.client.get("/callbacks-destinations/cld_nope", headers=JSON)
    assert response.json()["reason"] == "invalid_json_body"


# --- item 2: bodies ------------------------------------------------------------------------


async def test_body_without_content_type_is_ignored(emu):
    """rest/src/parseBody.ts: no Content-Type, no body (validated as {})."""
    response = await emu.client.post("/callbacks-destinations", content=b'{"name": "x"}')
    assert response.json()["errors"][0]["path"] == ["name"]


@pytest.mark.parametrize("content_type", ["text/plain", "Application/JSON", "multipart/form-data"])
async def test_other_content_types_are_400_unsupported(emu, content_type):
    """rest/src/parseBody.ts: a case-sensitive substring test, then 400."""
    response = await emu.client.post(
        "/callbacks-destinations", content=b"{}", headers={"content-type": content_type}
    )
    assert response.status_code == 400
    assert response.json() == {
        "__typename": "error",
        "ok": False,
        "status": 400,
        "code": "bad_request",
        "message": f"Unsupported content type {content_type}",
        "reason": "unsupported_content_type",
    }


@pytest.mark.parametrize("content", [b"", b"  \n"])
async def test_empty_json_body_is_invalid_json(emu, content):
    """rest/src/parseBody.ts: JSON.parse("") throws."""
    for method, path in (("POST", ""), ("DELETE", "/cld_x"), ("GET", "")):
        response = await emu.client.request(
            method, "/callbacks-destinations" + path, content=content, headers=JSON
        )
        assert response.json()["reason"] == "invalid_json_body"


async def test_null_json_body_reads_as_empty_object(emu):
    """rest/src/controller.ts validates `body ?? {}`."""
    created = await emu.create()
    response = await emu.client.patch(
        f"/callbacks-destinations/{created['id']}", content=b"null", headers=JSON
    )
    assert response.status_code == 200


async def test_form_urlencoded_bodies_are_parsed_with_qs(emu):
    """rest/src/parseBody.ts: qs.parse of the body."""
    first = (await emu.callback_ids())[0]
    response = await emu.client.post(
        "/callbacks-destinations",
        content=f"name=Form+hook&url=&callbacks[type]=selected&callbacks[callback_id][]={first}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Form hook"
    assert response.json()["callbacks"] == {"type": "selected", "callback_ids": [first]}


# --- item 4: validation details ------------------------------------------------------------


def _query_errors(response):
    assert response.status_code == 400, response.text
    assert response.json()["entity"] == "query"
    return response.json()["errors"]


async def test_limit_follows_parse_float_and_raw_comparisons(emu):
    """validators/number.ts (parseFloat) with modifiers/size.ts comparing the raw string."""
    for _ in range(3):
        await emu.create()
    assert len(await emu.list_ids(limit="2abc")) == 2
    assert len(await emu.list_ids(limit="0x10")) == 1  # passes min (16), value 0, clamped to 1
    assert _query_errors(await emu.client.get("/callbacks-destinations?limit=0.5")) == [
        {
            "code": "invalid_min",
            "message": "Invalid min, expected 1",
            "expected": 1,
            "received": "0.5",
            "min": 1,
            "path": ["limit"],
        }
    ]


async def test_fractional_limit_is_a_500(emu):
    """paginatedProvider.ts passes take = limit + 2 to Prisma, which wants an integer."""
    response = await emu.client.get("/callbacks-destinations?limit=1.5")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_server_error"


async def test_bracketed_query_shapes_are_read_as_qs_does(emu):
    """server.ts qs.parse; paginator.ts `after: v.optional(v.string())`; union per branch."""
    errors = _query_errors(await emu.client.get("/callbacks-destinations?after[]=x"))
    assert errors == [
        {
            "code": "invalid_type",
            "message": "Invalid input, expected string, received object",
            "received": "object",
            "expected": "string",
            "path": ["after"],
        }
    ]
    errors = _query_errors(await emu.client.get("/callbacks-destinations?callback_id[a]=x"))
    assert [(e["expected"], e["path"]) for e in errors] == [
        ("string", ["callback_id"]),
        ("array", ["callback_id"]),
    ]


async def test_literal_compares_loosely(emu):
    """validators/literal.ts uses `!=`: ["all"] == "all" in JavaScript."""
    created = await emu.create(callbacks={"type": ["all"]})
    assert created["callbacks"] == {"type": "all"}


# --- item 5: pagination around hidden cursor rows -------------------------------------------


async def test_before_a_hidden_cursor_skips_the_nearest_row(emu):
    """paginatedProvider.ts: take -(limit + 2), then slice(1, limit + 1) without the cursor."""
    ids = [(await emu.create())["id"] for _ in range(5)]
    await emu.delete(ids[4])
    response = await emu.client.get(
        "/callbacks-destinations", params={"before": ids[4], "limit": 2}
    )
    page = response.json()
    assert [item["id"] for item in page["items"]] == [ids[1], ids[2]]  # ids[3] skipped
    assert page["pagination"] == {"has_more_before": True, "has_more_after": False}


async def test_a_cursor_of_another_instance_still_positions_the_page(open_emulator):
    """Prisma finds the cursor row by id in the whole table (paginatedProvider.ts)."""
    keys = {"metorial_sk_a": "a", "metorial_sk_b": "b"}
    async with open_emulator(api_keys=keys) as emu:
        a = {"Authorization": "Bearer metorial_sk_a"}
        b = {"Authorization": "Bearer metorial_sk_b"}
        first = await emu.create(headers=a)
        foreign = await emu.create(headers=b)
        second = await emu.create(headers=a)
        response = await emu.client.get(
            "/callbacks-destinations", params={"after": foreign["id"]}, headers=a
        )
        assert [item["id"] for item in response.json()["items"]] == [second["id"]]
        assert response.json()["pagination"]["has_more_before"] is False
        response = await emu.client.get(
            "/callbacks-destinations", params={"before": foreign["id"]}, headers=a
        )
        assert [item["id"] for item in response.json()["items"]] == [first["id"]]


# --- item 7: routing -----------------------------------------------------------------------


async def test_options_is_204_with_cors_before_auth(emu):
    """rest/src/server.ts answers OPTIONS before authenticating."""
    del emu.client.headers["Authorization"]
    response = await emu.client.options("/anything", headers={"Origin": "https://app"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://app"
    assert response.headers["access-control-max-age"] == "604800"
    assert response.headers["x-powered-by"] == "Metorial"


async def test_head_is_served_like_get_without_a_body(emu):
    """Hono dispatches HEAD to the GET route and drops the body."""
    response = await emu.client.head("/callbacks-destinations")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["metorial-version"] == "2025-01-01"


async def test_cors_headers_only_for_publishable_keys(emu):
    """apis/core/src/rest.ts checkCors: instance_publishable keys (and users) only."""
    response = await emu.client.get("/callbacks", headers={"Origin": "https://app"})
    assert "access-control-allow-origin" not in response.headers
    response = await emu.client.get("/callbacks", headers={**PK, "Origin": "https://app"})
    assert response.headers["access-control-allow-origin"] == "https://app"


# --- item 8: messages and small shapes ------------------------------------------------------


async def test_not_found_keeps_the_entity_dot(emu):
    """error/src/defaultErrors.ts: Cases.toKebabCase leaves "." alone."""
    response = await emu.client.get("/callbacks-destinations/cld_nope")
    assert response.json()["message"] == "The requested callback.destination could not be found."


async def test_metorial_version_echoes_the_version_served(emu):
    """rest/src/server.ts: only version keys are known; apis/core/src/apiServer.ts."""
    for header, shown in [
        ("2025-01-01", "2025-01-01"),
        ("mt_2025_01_01_pulsar", "2025-01-01"),
        ("nonsense", "2025-01-01"),
    ]:
        response = await emu.client.get("/callbacks", headers={"metorial-version": header})
        assert response.headers["metorial-version"] == shown, header


async def test_callback_url_only_for_manual_webhooks(emu):
    """presenters/implementation/callback.ts."""
    response = await emu.client.get("/callbacks")
    for item in response.json()["items"]:
        if item["type"] == "webhook_manual":
            assert item["url"].startswith("https://")
            assert "/callbacks/hook/" in item["url"]
        else:
            assert item["url"] is None


# --- item 9: delivery-log reads ------------------------------------------------------------


async def test_notifications_and_events_read_back_with_filters(emu):
    """controllers/instance/callbackNotification.ts, callbackEvent.ts; their presenters."""
    from gateway.emulator.deliveries import NotificationAttempt

    callbacks = await emu.callback_ids()
    destination = await emu.create()
    store = emu.app.state.store
    event, notifications = store.record_event(
        "demo",
        callbacks[0],
        event_type="order.created",
        payload={"n": 1},
        attempts=[NotificationAttempt(id="", status="failed", index=0, request_error="timeout")],
        now_ms=1_760_000_000_000,
    )
    (notification,) = notifications
    got = (await emu.client.get(f"/callbacks-notifications/{notification.id}")).json()
    assert got["object"] == "callback.notification"
    assert got["status"] == "retrying"
    (attempt,) = got["attempts"]
    request = attempt["webhook_request"]
    assert request["object"] == "callback.notification.attempt.webhook_request"
    assert request["id"].startswith("cnawh")
    assert len(request["id"]) == 25
    assert request["response_status"] == -1
    assert request["request_error"] == "timeout"
    listed = await emu.list_ids(
        "/callbacks-notifications", event_id=event.id, destination_id=destination["id"]
    )
    assert listed == [notification.id]
    assert await emu.list_ids("/callbacks-notifications", event_id="cbe_unknown") == []
    assert event.id in await emu.list_ids("/callbacks-events", callback_id=callbacks[0])
    assert await emu.list_ids("/callbacks-events", callback_id="clb_unknown") == []
    response = await emu.client.get("/callbacks-events/cbe_nope")
    assert response.json()["message"] == "The requested callback.event could not be found."


async def test_token_in_query_reaches_delivery_logs(emu):
    """bearer/src/extractToken.ts."""
    del emu.client.headers["Authorization"]
    response = await emu.client.get(f"/callbacks-events?key={DEMO_API_KEY}")
    assert response.status_code == 200
