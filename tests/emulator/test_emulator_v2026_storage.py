"""A database file written before 2026-02-01 support opens and serves both versions."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from gateway.emulator import provider_deployment_id
from gateway.emulator.store import Store

OLD_SCHEMA = """
CREATE TABLE callbacks (id TEXT PRIMARY KEY, instance_id TEXT NOT NULL, type TEXT NOT NULL,
    name TEXT, description TEXT, url TEXT, interval_seconds INTEGER NOT NULL,
    next_run_ms INTEGER, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE destinations (id TEXT PRIMARY KEY, instance_id TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT, url TEXT NOT NULL, signing_secret TEXT NOT NULL,
    callbacks_type TEXT NOT NULL, status TEXT NOT NULL, created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL);
CREATE TABLE destination_callbacks (destination_id TEXT NOT NULL, callback_id TEXT NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (destination_id, callback_id));
INSERT INTO callbacks VALUES ('clb_0000000010000000000000', 'demo', 'polling', 'P', NULL, NULL,
    300, 1000, 1000, 1000);
INSERT INTO destinations VALUES ('cld_0000000010000000000000', 'demo', 'gone', NULL, 'https://e/',
    'clb_sec_x', 'selected', 'inactive', 1000, 2000);
INSERT INTO destination_callbacks VALUES ('cld_0000000010000000000000',
    'clb_0000000010000000000000', 0);
"""


async def test_an_older_database_file_is_migrated(open_emulator, tmp_path):
    path = str(tmp_path / "old.sqlite3")
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(OLD_SCHEMA)
    async with open_emulator(db_path=path, api_version="2026-02-01") as emu:
        callback = (await emu.client.get("/callbacks/clb_0000000010000000000000")).json()
        assert callback["provider_deployment"]["id"] == provider_deployment_id("demo")
        assert callback["poll_interval_seconds_override"] == 300
        assert callback["destinations"] == []  # the destination was soft-deleted
        gone = await emu.client.get("/callback-destinations/cld_0000000010000000000000")
        assert gone.status_code == 404
        old = await emu.client.get(
            "/callbacks-destinations/cld_0000000010000000000000",
            headers={"metorial-version": "mt_2025_01_01_pulsar"},
        )
        assert old.json()["callbacks"] == {
            "type": "selected",
            "callback_ids": ["clb_0000000010000000000000"],
        }
    Store(path).close()  # idempotent on the migrated file


async def test_the_seeded_deployment_survives_a_restart(open_emulator, tmp_path):
    path = str(tmp_path / "db.sqlite3")
    async with open_emulator(db_path=path, api_version="2026-02-01") as emu:
        first = (await emu.client.get("/callbacks")).json()["items"][0]["provider_deployment"]
    async with open_emulator(db_path=path, api_version="2026-02-01") as emu:
        again = (await emu.client.get("/callbacks")).json()["items"][0]["provider_deployment"]
    assert again == first
