"""The read-only callbacks: seeding, shape, lookup and listing."""

from __future__ import annotations

import re

NOT_FOUND_HINT = (
    "Make sure the resource you are trying to access exists, that you have access to it and "
    "that it has not been deleted."
)
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def test_three_callbacks_of_mixed_types_are_seeded_by_default(emu):
    response = await emu.client.get("/callbacks")
    items = response.json()["items"]
    assert [item["type"] for item in items] == ["webhook_managed", "polling", "webhook_manual"]
    assert response.json()["pagination"] == {"has_more_before": False, "has_more_after": False}


async def test_callback_has_the_contract_shape(emu):
    (item, polling, manual) = (await emu.client.get("/callbacks")).json()["items"]
    assert list(item) == [
        "object",
        "id",
        "type",
        "name",
        "description",
        "url",
        "schedule",
        "created_at",
        "updated_at",
    ]
    assert item["object"] == "callback"
    assert re.fullmatch(r"clb_[0-9a-z]{9}[0-9A-Za-z]{13}", item["id"])
    assert item["schedule"] == {
        "object": "callback.schedule",
        "interval_seconds": 0,
        "next_run_at": None,
    }
    assert ISO_MS.fullmatch(item["created_at"])
    assert ISO_MS.fullmatch(item["updated_at"])
    assert polling["schedule"]["interval_seconds"] == 300
    assert ISO_MS.fullmatch(polling["schedule"]["next_run_at"])
    assert polling["url"] is None
    assert manual["description"] is None
    assert all(isinstance(x["name"], str) for x in (item, polling, manual))


async def test_seed_count_is_configurable(open_emulator):
    async with open_emulator(seed_callbacks=7) as emu:
        ids = await emu.callback_ids()
        assert len(ids) == 7
        assert ids == sorted(ids)
        types = [x["type"] for x in (await emu.client.get("/callbacks")).json()["items"]]
        assert set(types) == {"webhook_managed", "polling", "webhook_manual"}
    async with open_emulator(seed_callbacks=0) as emu:
        assert await emu.callback_ids() == []


async def test_callback_reads_by_id(emu):
    listed = (await emu.client.get("/callbacks")).json()["items"]
    for item in listed:
        response = await emu.client.get(f"/callbacks/{item['id']}")
        assert response.status_code == 200
        assert response.json() == item


async def test_unknown_callback_is_not_found_with_entity_callback(emu):
    response = await emu.client.get("/callbacks/clb_unknown")
    assert response.status_code == 404
    assert response.json() == {
        "__typename": "error",
        "ok": False,
        "status": 404,
        "code": "not_found",
        "message": "The requested callback could not be found.",
        "hint": NOT_FOUND_HINT,
        "entity": "callback",
        "id": "clb_unknown",
    }


async def test_callbacks_paginate_like_destinations(open_emulator):
    async with open_emulator(seed_callbacks=5) as emu:
        ids = await emu.callback_ids()
        response = await emu.client.get("/callbacks", params={"limit": 2, "after": ids[1]})
        body = response.json()
        assert [x["id"] for x in body["items"]] == ids[2:4]
        assert body["pagination"] == {"has_more_before": True, "has_more_after": True}
        response = await emu.client.get(
            "/callbacks", params={"limit": 2, "before": ids[2], "order": "desc"}
        )
        body = response.json()
        assert [x["id"] for x in body["items"]] == [ids[4], ids[3]]
        assert body["pagination"] == {"has_more_before": False, "has_more_after": True}


async def test_callback_list_ignores_the_callback_id_filter(emu):
    ids = await emu.callback_ids()
    assert await emu.list_ids("/callbacks", callback_id=ids[0]) == ids
