"""One store, two views: what each version sees of what the other wrote."""

from __future__ import annotations

import re


async def create_2025(emu26, **fields):
    body = {"name": "Old", "url": "https://example.com/old", "callbacks": {"type": "all"}}
    body.update(fields)
    response = await emu26.v2025("POST", "/callbacks-destinations", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def get_2025(emu26, destination_id):
    response = await emu26.v2025("GET", f"/callbacks-destinations/{destination_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_2025_destination_is_visible_under_2026(emu26):
    old = await create_2025(emu26, description="d")
    response = await emu26.client.get(f"/callback-destinations/{old['id']}")
    assert response.status_code == 200
    new = response.json()
    assert new == {
        "object": "callback.destination",
        "id": old["id"],
        "status": "active",
        "name": "Old",
        "description": "d",
        "metadata": None,
        "url": "https://example.com/old",
        "method": "POST",
        "created_at": old["created_at"],
        "updated_at": old["created_at"],
    }
    assert old["id"] in await emu26.list_ids("/callback-destinations")


async def test_a_2025_destination_without_description_reads_null_under_2026(emu26):
    old = await create_2025(emu26)
    assert old["description"] == ""
    new = (await emu26.client.get(f"/callback-destinations/{old['id']}")).json()
    assert new["description"] is None


async def test_a_2026_destination_is_visible_under_2025_with_a_signing_secret(emu26):
    new = await emu26.create_destination(description="d", metadata={"a": 1})
    old = await get_2025(emu26, new["id"])
    assert old["object"] == "callback.destination"
    assert (old["type"], old["name"], old["description"]) == ("webhook", "Orders", "d")
    assert old["webhook_destination"]["url"] == new["url"]
    assert re.fullmatch(r"clb_sec_[0-9A-Za-z]{50}", old["webhook_destination"]["signing_secret"])
    assert old["callbacks"] == {"type": "selected", "callback_ids": []}
    assert old["created_at"] == new["created_at"]
    assert "metadata" not in old
    assert "status" not in old
    listed = (await emu26.v2025("GET", "/callbacks-destinations")).json()["items"]
    assert [item["id"] for item in listed] == [new["id"]]


async def test_2026_links_show_under_2025_as_selected_callbacks_in_link_order(emu26):
    destination = await emu26.create_destination()
    first = await emu26.create_callback(name="first", destination_ids=[destination["id"]])
    second = await emu26.create_callback(name="second", destination_ids=[destination["id"]])
    old = await get_2025(emu26, destination["id"])
    assert old["callbacks"] == {"type": "selected", "callback_ids": [first["id"], second["id"]]}
    filtered = await emu26.v2025(
        "GET", "/callbacks-destinations", params={"callback_id": second["id"]}
    )
    assert [item["id"] for item in filtered.json()["items"]] == [destination["id"]]
    # Unlinking from the callback side shows under 2025 too.
    await emu26.client.patch(f"/callbacks/{first['id']}", json={"destination_ids": []})
    old = await get_2025(emu26, destination["id"])
    assert old["callbacks"] == {"type": "selected", "callback_ids": [second["id"]]}


async def test_2025_selections_show_as_the_callbacks_destinations_under_2026(emu26):
    seeded = [item["id"] for item in (await emu26.v2025("GET", "/callbacks")).json()["items"]]
    selected = await create_2025(emu26, callbacks={"type": "selected", "callback_id": seeded[:1]})
    everyone = await create_2025(emu26, name="All")
    first = (await emu26.client.get(f"/callbacks/{seeded[0]}")).json()
    assert [item["id"] for item in first["destinations"]] == [selected["id"], everyone["id"]]
    other = (await emu26.client.get(f"/callbacks/{seeded[1]}")).json()
    assert [item["id"] for item in other["destinations"]] == [everyone["id"]]  # ALL receives it


async def test_patching_destination_ids_replaces_only_explicit_links(emu26):
    everyone = await create_2025(emu26, name="All")
    linked = await emu26.create_destination(name="linked")
    callback = await emu26.create_callback(destination_ids=[linked["id"]])
    assert [d["id"] for d in callback["destinations"]] == [everyone["id"], linked["id"]]
    cleared = (
        await emu26.client.patch(f"/callbacks/{callback['id']}", json={"destination_ids": []})
    ).json()
    assert [d["id"] for d in cleared["destinations"]] == [everyone["id"]]
    assert (await get_2025(emu26, everyone["id"]))["callbacks"] == {"type": "all"}


async def test_archiving_a_destination_removes_it_from_callbacks_under_2026(emu26):
    destination = await emu26.create_destination()
    callback = await emu26.create_callback(destination_ids=[destination["id"]])
    await emu26.client.delete(f"/callback-destinations/{destination['id']}")
    refreshed = (await emu26.client.get(f"/callbacks/{callback['id']}")).json()
    assert refreshed["destinations"] == []
    # Under 2025 it is a soft-deleted destination that keeps its selection.
    old = await get_2025(emu26, destination["id"])
    assert old["callbacks"] == {"type": "selected", "callback_ids": [callback["id"]]}
    again = await emu26.v2025("DELETE", f"/callbacks-destinations/{destination['id']}")
    assert again.status_code == 400
    assert again.json()["message"] == "Callback destination is already inactive"
    # Replacing the callback's links does not touch the archived destination's selection.
    await emu26.client.patch(f"/callbacks/{callback['id']}", json={"destination_ids": []})
    old = await get_2025(emu26, destination["id"])
    assert old["callbacks"]["callback_ids"] == [callback["id"]]


async def test_a_2025_soft_delete_is_an_archive_under_2026(emu26):
    old = await create_2025(emu26)
    deleted = await emu26.v2025("DELETE", f"/callbacks-destinations/{old['id']}")
    assert deleted.status_code == 200
    gone = await emu26.client.get(f"/callback-destinations/{old['id']}")
    assert gone.status_code == 404
    assert gone.json()["object"] == "error"
    assert (await get_2025(emu26, old["id"]))["id"] == old["id"]  # 2025 still reads it
    patched = await emu26.v2025("PATCH", f"/callbacks-destinations/{old['id']}", json={"name": "x"})
    assert patched.json()["message"] == "Cannot update an inactive callback destination"


async def test_2026_url_and_metadata_edits_show_under_2025(emu26):
    old = await create_2025(emu26)
    response = await emu26.client.patch(
        f"/callback-destinations/{old['id']}", json={"url": "https://new.example", "name": "N"}
    )
    assert response.status_code == 200
    after = await get_2025(emu26, old["id"])
    assert after["webhook_destination"] == {
        "url": "https://new.example/",
        "signing_secret": old["webhook_destination"]["signing_secret"],
    }
    assert after["name"] == "N"
    assert after["callbacks"] == {"type": "all"}


async def test_a_2025_destination_with_empty_url_reads_empty_under_2026(emu26):
    old = await create_2025(emu26, url="")
    assert old["webhook_destination"] is None
    new = (await emu26.client.get(f"/callback-destinations/{old['id']}")).json()
    assert new["url"] == ""


async def test_2026_callbacks_are_visible_under_2025_with_the_documented_mapping(emu26):
    managed = await emu26.create_callback(name="managed", description="d")
    polling = await emu26.create_callback(name="polling", poll_interval_seconds_override=120)
    items = {
        item["id"]: item
        for item in (await emu26.v2025("GET", "/callbacks", params={"limit": 100})).json()["items"]
    }
    old_managed = items[managed["id"]]
    assert (old_managed["type"], old_managed["url"], old_managed["name"]) == (
        "webhook_managed", None, "managed",
    )  # fmt: skip
    assert old_managed["description"] == "d"
    assert old_managed["schedule"] == {
        "object": "callback.schedule", "interval_seconds": 0, "next_run_at": None,
    }  # fmt: skip
    assert old_managed["created_at"] == managed["created_at"]
    old_polling = items[polling["id"]]
    assert old_polling["type"] == "polling"
    assert old_polling["schedule"]["interval_seconds"] == 120
    assert old_polling["schedule"]["next_run_at"] is not None
    single = await emu26.v2025("GET", f"/callbacks/{polling['id']}")
    assert single.json() == old_polling


async def test_archived_callbacks_disappear_from_2025_too(emu26):
    callback = await emu26.create_callback()
    await emu26.client.delete(f"/callbacks/{callback['id']}")
    assert (await emu26.v2025("GET", f"/callbacks/{callback['id']}")).status_code == 404
    listed = (await emu26.v2025("GET", "/callbacks", params={"limit": 100})).json()["items"]
    assert callback["id"] not in [item["id"] for item in listed]
    selecting = await emu26.v2025(
        "POST",
        "/callbacks-destinations",
        json={
            "name": "n",
            "url": "",
            "callbacks": {"type": "selected", "callback_id": [callback["id"]]},
        },
    )
    assert selecting.status_code == 400
    assert selecting.json()["message"] == "One or more callback IDs are invalid"


async def test_2025_created_callbacks_selected_under_2025_can_be_linked_under_2026(emu26):
    seeded = [item["id"] for item in (await emu26.v2025("GET", "/callbacks")).json()["items"]]
    old = await create_2025(emu26, callbacks={"type": "selected", "callback_id": [seeded[2]]})
    await emu26.client.patch(f"/callbacks/{seeded[0]}", json={"destination_ids": [old["id"]]})
    after = await get_2025(emu26, old["id"])
    assert after["callbacks"]["callback_ids"] == [seeded[2], seeded[0]]
