"""2026-02-01 (MA) delivery log: /callbacks/{id}/events and /notifications (contract-2026
§5.1, §5.6), over the same rows 2025-01-01 reads."""

from __future__ import annotations

from typing import Any

from gateway.emulator.deliveries import NotificationAttempt

from .conftest import PULSAR, Emulator2026

NOW = 1_760_000_000_000


async def setup(emu26: Emulator2026) -> tuple[str, dict[str, Any], list[Any]]:
    destination = await emu26.create_destination()
    callback = await emu26.create_callback(destination_ids=[destination["id"]])
    store = emu26.app.state.store
    stories = [
        [NotificationAttempt(id="", status="succeeded", index=0, response_status=200)],
        [NotificationAttempt(id="", status="failed", index=0, request_error="timeout")],
        [],
    ]
    events = [
        store.record_event(
            "demo", callback["id"], event_type=f"t.{n}", payload={"n": n}, attempts=story,
            now_ms=NOW + n,
        )
        for n, story in enumerate(stories)
    ]  # fmt: skip
    return callback["id"], destination, events


async def test_events_have_the_ma_shape_and_filter_by_type(emu26: Emulator2026) -> None:
    callback_id, _, events = await setup(emu26)
    response = await emu26.client.get(f"/callbacks/{callback_id}/events")
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"has_more_before": False, "has_more_after": False}
    first = body["items"][0]
    assert set(first) == {
        "object", "id", "type", "source_id", "trigger_key", "input", "output",
        "delivery_status", "callback_id", "callback_instance_id", "created_at",
    }  # fmt: skip
    assert first["object"] == "callback.event"
    assert (first["type"], first["input"], first["output"]) == ("t.0", {"n": 0}, {"n": 0})
    assert [item["delivery_status"] for item in body["items"]] == ["sent", "pending", "pending"]
    assert first["callback_id"] == callback_id
    only = await emu26.list_ids(f"/callbacks/{callback_id}/events", type="t.1", source_id="x")
    assert only == [events[1][0].id]
    page = await emu26.client.get(
        f"/callbacks/{callback_id}/events", params={"limit": 1, "after": events[0][0].id}
    )
    assert [item["id"] for item in page.json()["items"]] == [events[1][0].id]
    assert page.json()["pagination"] == {"has_more_before": True, "has_more_after": True}
    got = await emu26.client.get(f"/instances/demo/callbacks/{callback_id}/events/{first['id']}")
    assert got.json() == first


async def test_notifications_have_the_ma_shape_and_filter(emu26: Emulator2026) -> None:
    callback_id, destination, events = await setup(emu26)
    path = f"/callbacks/{callback_id}/notifications"
    body = (await emu26.client.get(path)).json()
    delivered, retrying, pending = body["items"]
    assert [delivered["status"], retrying["status"], pending["status"]] == [
        "delivered", "retrying", "pending",
    ]  # fmt: skip
    assert set(delivered) == {
        "object", "id", "status", "error", "attempt_count", "event", "destination",
        "created_at", "updated_at", "last_attempt_at", "next_attempt_at",
    }  # fmt: skip
    assert delivered["object"] == "callback.notification"
    assert (delivered["attempt_count"], delivered["error"]) == (1, None)
    assert retrying["error"] == {"code": "request_failed", "message": "timeout"}
    assert pending["last_attempt_at"] is None
    event = delivered["event"]
    assert event["object"] == "callback.notification.event"
    assert (event["id"], event["type"], event["topics"]) == (events[0][0].id, "t.0", ["t.0"])
    assert (event["destination_count"], event["success_count"], event["failure_count"]) == (
        1, 1, 0,
    )  # fmt: skip
    assert event["request"]["body"].startswith('{"eventId"')
    nested = delivered["destination"]
    assert nested["object"] == "callback.notification.destination"
    assert nested["id"] == destination["id"]
    assert nested["type"] == "http_endpoint"
    assert nested["webhook"]["url"] == destination["url"]
    assert nested["retry"]["max_attempts"] == 21

    assert await emu26.list_ids(path, status="retrying") == [retrying["id"]]
    both = await emu26.list_ids(path, **{"status[]": ["delivered", "pending"]})
    assert both == [delivered["id"], pending["id"]]
    assert len(await emu26.list_ids(path, destination_id=destination["id"])) == 3
    assert await emu26.list_ids(path, destination_id="cld_other") == []
    bad = await emu26.client.get(path, params={"status": "succeeded"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "invalid_enum"
    got = await emu26.client.get(f"/instances/demo{path}/{retrying['id']}")
    assert got.json() == retrying

    # The same rows through 2025-01-01: succeeded / retrying / pending.
    old = await emu26.client.get(
        "/callbacks-notifications", params={"callback_id": callback_id}, headers=PULSAR
    )
    assert [item["status"] for item in old.json()["items"]] == ["succeeded", "retrying", "pending"]


async def test_an_unknown_callback_is_404_first(emu26: Emulator2026) -> None:
    _, _, events = await setup(emu26)
    for path in (
        "/callbacks/clb_nope/events?limit=500",
        f"/callbacks/clb_nope/events/{events[0][0].id}",
        "/callbacks/clb_nope/notifications?status=bogus",
        f"/callbacks/clb_nope/notifications/{events[0][1][0].id}",
    ):
        response = await emu26.client.get(path)
        assert response.status_code == 404, path
        assert (response.json()["object"], response.json()["entity"]) == ("error", "callback")
    other = await emu26.create_callback(name="Other")
    wrong = await emu26.client.get(f"/callbacks/{other['id']}/events/{events[0][0].id}")
    assert (wrong.status_code, wrong.json()["entity"]) == (404, "callback.event")
    wrong = await emu26.client.get(f"/callbacks/{other['id']}/notifications/{events[0][1][0].id}")
    assert (wrong.status_code, wrong.json()["entity"]) == (404, "callback.notification")
