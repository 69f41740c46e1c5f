"""SQLite persistence across restarts, and concurrent writes."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

from gateway.emulator.ids import timestamp_ms_of
from gateway.emulator.store import Store


async def test_data_survives_a_restart_on_the_same_file(open_emulator, tmp_path):
    db = str(tmp_path / "nested" / "dir" / "emulator.sqlite3")
    async with open_emulator(db_path=db) as emu:
        callbacks = await emu.callback_ids()
        kept = await emu.create(
            name="kept",
            description="d",
            callbacks={"type": "selected", "callback_id": callbacks[:2]},
        )
        gone = await emu.create(name="gone")
        await emu.delete(gone["id"])
        renamed = await emu.create(name="before")
        await emu.client.patch(
            f"/callbacks-destinations/{renamed['id']}", json={"name": "after", "description": None}
        )
    async with open_emulator(db_path=db) as emu:
        assert await emu.callback_ids() == callbacks  # seeding did not run again
        response = await emu.client.get(f"/callbacks-destinations/{kept['id']}")
        assert response.json() == kept
        assert (await emu.client.get(f"/callbacks-destinations/{gone['id']}")).json() == gone
        assert await emu.list_ids() == [kept["id"], renamed["id"]]
        after = (await emu.client.get(f"/callbacks-destinations/{renamed['id']}")).json()
        assert (after["name"], after["description"]) == ("after", "")
        second = await emu.client.delete(f"/callbacks-destinations/{gone['id']}")
        assert second.status_code == 400


async def test_new_instances_are_seeded_on_an_existing_file(open_emulator, tmp_path):
    db = str(tmp_path / "emulator.sqlite3")
    async with open_emulator(db_path=db) as emu:
        demo = await emu.callback_ids()
    keys = {"metorial_sk_demo_local_emulator_key": "demo", "metorial_sk_new": "fresh"}
    async with open_emulator(db_path=db, api_keys=keys, seed_callbacks=5) as emu:
        assert await emu.callback_ids() == demo
        fresh = await emu.callback_ids(headers={"Authorization": "Bearer metorial_sk_new"})
        assert len(fresh) == 5


def test_schema_creation_is_idempotent(tmp_path):
    path = str(tmp_path / "emulator.sqlite3")
    for _ in range(3):
        store = Store(path)
        store.close()
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    tables = {row[0] for row in rows}
    assert {"callbacks", "destinations", "destination_callbacks"} <= tables


async def test_memory_database_starts_empty_each_time(open_emulator):
    async with open_emulator() as emu:
        await emu.create()
    async with open_emulator() as emu:
        assert await emu.list_ids() == []


async def test_fifty_parallel_creates_all_succeed_with_distinct_ordered_ids(emu):
    async def create(number: int):
        return await emu.client.post(
            "/callbacks-destinations",
            json={"name": f"d{number}", "url": "", "callbacks": {"type": "all"}},
        )

    responses = await asyncio.gather(*(create(n) for n in range(50)))
    assert all(response.status_code == 200 for response in responses)
    created = [response.json() for response in responses]
    ids = [item["id"] for item in created]
    assert len(set(ids)) == 50
    # Sorting by id is sorting by creation time: the embedded time never goes backwards.
    by_id = sorted(created, key=lambda item: item["id"])
    stamps = [item["created_at"] for item in by_id]
    assert stamps == sorted(stamps)
    assert [timestamp_ms_of(item["id"], "cld_") for item in by_id] == sorted(
        timestamp_ms_of(id_, "cld_") for id_ in ids
    )
    listed = await emu.list_ids(limit=100)
    assert listed == sorted(ids)
    rows = emu.app.state.store._conn.execute(
        "SELECT id FROM destinations ORDER BY rowid"
    ).fetchall()
    assert [row[0] for row in rows] == sorted(ids)  # insertion order is id order


async def test_parallel_deletes_of_one_destination_succeed_exactly_once(emu):
    created = await emu.create()
    responses = await asyncio.gather(
        *(emu.client.delete(f"/callbacks-destinations/{created['id']}") for _ in range(10))
    )
    assert sorted(response.status_code for response in responses) == [200] + [400] * 9
