"""SQLite persistence: one connection, guarded by a lock, safe to call from worker threads.

The schema is created idempotently; a file database survives restarts (``:memory:`` does
not). Every method is one short transaction, so id order is insertion order.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from gateway.emulator.ids import IdGenerator, callback_ids, destination_ids, new_signing_secret
from gateway.emulator.pagination import Page, PageRequest

__all__ = [
    "Callback",
    "Destination",
    "DestinationInactive",
    "DestinationNotFound",
    "Store",
    "UnknownCallbackIds",
]

CallbacksType = Literal["all", "selected"]
CallbackType = Literal["webhook_managed", "polling", "webhook_manual"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS callbacks (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT,
    description TEXT,
    url TEXT,
    interval_seconds INTEGER NOT NULL,
    next_run_ms INTEGER,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS callbacks_by_instance ON callbacks (instance_id, id);
CREATE TABLE IF NOT EXISTS destinations (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    url TEXT NOT NULL,
    signing_secret TEXT NOT NULL,
    callbacks_type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS destinations_by_instance ON destinations (instance_id, status, id);
CREATE TABLE IF NOT EXISTS destination_callbacks (
    destination_id TEXT NOT NULL,
    callback_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (destination_id, callback_id)
);
CREATE INDEX IF NOT EXISTS destination_callbacks_by_callback
    ON destination_callbacks (callback_id, destination_id);
"""


class DestinationNotFound(LookupError):
    pass


class DestinationInactive(Exception):
    pass


class UnknownCallbackIds(Exception):
    pass


@dataclass(frozen=True, kw_only=True)
class Destination:
    id: str
    instance_id: str
    name: str
    description: str | None
    url: str
    signing_secret: str
    callbacks_type: CallbacksType
    callback_ids: tuple[str, ...]
    active: bool
    created_ms: int
    updated_ms: int


@dataclass(frozen=True, kw_only=True)
class Callback:
    id: str
    instance_id: str
    type: CallbackType
    name: str | None
    description: str | None
    url: str | None
    interval_seconds: int
    next_run_ms: int | None
    created_ms: int
    updated_ms: int


_SEED_TYPES: tuple[CallbackType, ...] = ("webhook_managed", "polling", "webhook_manual")
_POLL_INTERVAL_SECONDS = 300


class Store:
    """All reads and writes of the emulator's data."""

    def __init__(
        self,
        path: str,
        *,
        destination_id_generator: IdGenerator = destination_ids,
        callback_id_generator: IdGenerator = callback_ids,
    ) -> None:
        self.path = path
        if path != ":memory:" and not path.startswith("file:"):
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
        self._destination_ids = destination_id_generator
        self._callback_ids = callback_id_generator
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"Store(path={self.path!r})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # --- callbacks ------------------------------------------------------------------------

    def seed_callbacks(self, instance_id: str, count: int) -> list[Callback]:
        """Create ``count`` callbacks of mixed types, unless the instance already has some."""
        created: list[Callback] = []
        with self._write() as conn:
            if conn.execute(
                "SELECT 1 FROM callbacks WHERE instance_id = ? LIMIT 1", (instance_id,)
            ).fetchone():
                return created
            for index in range(count):
                created.append(self._insert_seed_callback(conn, instance_id, index))
        return created

    def _insert_seed_callback(
        self, conn: sqlite3.Connection, instance_id: str, index: int
    ) -> Callback:
        id_, ms = self._callback_ids.new()
        kind = _SEED_TYPES[index % len(_SEED_TYPES)]
        number = index + 1
        if kind == "webhook_managed":
            name: str | None = f"Managed webhook {number}"
            description: str | None = "Events pushed to a webhook that Metorial manages"
            url: str | None = f"https://webhooks.emulator.metorial.local/{id_}"
        elif kind == "polling":
            name, description, url = f"Polling {number}", "Checks the provider periodically", None
        else:
            name, description = f"Manual webhook {number}", None
            url = f"https://provider.example.com/hooks/{number}"
        interval = _POLL_INTERVAL_SECONDS if kind == "polling" else 0
        next_run = ms + interval * 1000 if kind == "polling" else None
        callback = Callback(
            id=id_,
            instance_id=instance_id,
            type=kind,
            name=name,
            description=description,
            url=url,
            interval_seconds=interval,
            next_run_ms=next_run,
            created_ms=ms,
            updated_ms=ms,
        )
        conn.execute(
            "INSERT INTO callbacks (id, instance_id, type, name, description, url,"
            " interval_seconds, next_run_ms, created_ms, updated_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (id_, instance_id, kind, name, description, url, interval, next_run, ms, ms),
        )
        return callback

    def get_callback(self, instance_id: str, callback_id: str) -> Callback | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM callbacks WHERE instance_id = ? AND id = ?",
                (instance_id, callback_id),
            ).fetchone()
        return None if row is None else _callback(row)

    def list_callbacks(self, instance_id: str, page: PageRequest) -> Page[Callback]:
        with self._lock:
            rows, before, after = self._paginate(
                "callbacks", "instance_id = ?", [instance_id], instance_id, page
            )
        return Page(
            items=[_callback(row) for row in rows], has_more_before=before, has_more_after=after
        )

    # --- destinations ---------------------------------------------------------------------

    def create_destination(
        self,
        instance_id: str,
        *,
        name: str,
        description: str | None,
        url: str,
        callbacks_type: CallbacksType,
        callback_ids: Sequence[str] = (),
    ) -> Destination:
        ids = tuple(dict.fromkeys(callback_ids)) if callbacks_type == "selected" else ()
        with self._write() as conn:
            if ids:
                (known,) = conn.execute(
                    "SELECT COUNT(*) FROM callbacks WHERE instance_id = ?"
                    " AND id IN (SELECT value FROM json_each(?))",
                    (instance_id, json.dumps(ids)),
                ).fetchone()
                if known != len(ids):
                    raise UnknownCallbackIds
            id_, ms = self._destination_ids.new()
            secret = new_signing_secret()
            conn.execute(
                "INSERT INTO destinations (id, instance_id, name, description, url,"
                " signing_secret, callbacks_type, status, created_ms, updated_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
                (id_, instance_id, name, description, url, secret, callbacks_type, ms, ms),
            )
            conn.executemany(
                "INSERT INTO destination_callbacks (destination_id, callback_id, position)"
                " VALUES (?, ?, ?)",
                [(id_, callback_id, position) for position, callback_id in enumerate(ids)],
            )
        return Destination(
            id=id_,
            instance_id=instance_id,
            name=name,
            description=description,
            url=url,
            signing_secret=secret,
            callbacks_type=callbacks_type,
            callback_ids=ids,
            active=True,
            created_ms=ms,
            updated_ms=ms,
        )

    def get_destination(self, instance_id: str, destination_id: str) -> Destination | None:
        with self._lock:
            return self._get_destination(instance_id, destination_id)

    def update_destination(
        self,
        instance_id: str,
        destination_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        now_ms: int,
    ) -> Destination:
        """Change the given fields (``None`` leaves one unchanged) of an active destination."""
        with self._write() as conn:
            current = self._require_active(instance_id, destination_id)
            if name is None and description is None:
                return current
            conn.execute(
                "UPDATE destinations SET name = COALESCE(?, name),"
                " description = CASE WHEN ? THEN ? ELSE description END, updated_ms = ?"
                " WHERE id = ?",
                (name, description is not None, description, now_ms, destination_id),
            )
            updated = self._get_destination(instance_id, destination_id)
        assert updated is not None
        return updated

    def deactivate_destination(
        self, instance_id: str, destination_id: str, *, now_ms: int
    ) -> Destination:
        with self._write() as conn:
            self._require_active(instance_id, destination_id)
            conn.execute(
                "UPDATE destinations SET status = 'inactive', updated_ms = ? WHERE id = ?",
                (now_ms, destination_id),
            )
            deleted = self._get_destination(instance_id, destination_id)
        assert deleted is not None
        return deleted

    def list_destinations(
        self, instance_id: str, page: PageRequest, *, callback_ids: Sequence[str] = ()
    ) -> Page[Destination]:
        where = "instance_id = ? AND status = 'active'"
        params: list[object] = [instance_id]
        if callback_ids:
            where += (
                " AND (callbacks_type = 'all' OR EXISTS (SELECT 1 FROM destination_callbacks dc"
                " WHERE dc.destination_id = destinations.id"
                " AND dc.callback_id IN (SELECT value FROM json_each(?))))"
            )
            params.append(json.dumps(list(callback_ids)))
        with self._lock:
            rows, before, after = self._paginate("destinations", where, params, instance_id, page)
            selected = self._selected_callbacks([row["id"] for row in rows])
        return Page(
            items=[_destination(row, selected.get(row["id"], ())) for row in rows],
            has_more_before=before,
            has_more_after=after,
        )

    # --- helpers (call with the lock held) --------------------------------------------------

    def _require_active(self, instance_id: str, destination_id: str) -> Destination:
        current = self._get_destination(instance_id, destination_id)
        if current is None:
            raise DestinationNotFound(destination_id)
        if not current.active:
            raise DestinationInactive(destination_id)
        return current

    def _get_destination(self, instance_id: str, destination_id: str) -> Destination | None:
        row = self._conn.execute(
            "SELECT * FROM destinations WHERE instance_id = ? AND id = ?",
            (instance_id, destination_id),
        ).fetchone()
        if row is None:
            return None
        return _destination(row, self._selected_callbacks([destination_id]).get(row["id"], ()))

    def _selected_callbacks(self, destination_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        if not destination_ids:
            return {}
        selected: dict[str, list[str]] = {}
        for destination_id, callback_id in self._conn.execute(
            "SELECT destination_id, callback_id FROM destination_callbacks"
            " WHERE destination_id IN (SELECT value FROM json_each(?))"
            " ORDER BY destination_id, position",
            (json.dumps(list(destination_ids)),),
        ):
            selected.setdefault(destination_id, []).append(callback_id)
        return {key: tuple(value) for key, value in selected.items()}

    def _paginate(
        self,
        table: str,
        where: str,
        params: Sequence[object],
        instance_id: str,
        page: PageRequest,
    ) -> tuple[list[sqlite3.Row], bool, bool]:
        """Rows of one page, ``has_more_before`` and ``has_more_after`` (see pagination.py).

        ``table`` and ``where`` are fixed SQL written in this module; values are parameters.
        """
        cursor = page.after if page.after is not None else page.before
        if (
            cursor is not None
            and not self._conn.execute(
                f"SELECT 1 FROM {table} WHERE instance_id = ? AND id = ?",  # noqa: S608
                (instance_id, cursor),
            ).fetchone()
        ):
            return [], False, False
        asc = page.order == "asc"

        def select(condition: str, direction: str, extra: Sequence[object]) -> list[sqlite3.Row]:
            return self._conn.execute(
                f"SELECT * FROM {table} WHERE {where}{condition}"  # noqa: S608
                f" ORDER BY id {direction} LIMIT ?",
                (*params, *extra, page.limit + 1),
            ).fetchall()

        def exists(condition: str) -> bool:
            return bool(
                self._conn.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where} AND {condition})",  # noqa: S608
                    (*params, cursor),
                ).fetchone()[0]
            )

        if page.after is not None:
            rows = select(
                " AND id > ?" if asc else " AND id < ?", "ASC" if asc else "DESC", [cursor]
            )
            has_after = len(rows) > page.limit
            has_before = exists("id <= ?" if asc else "id >= ?")
            return rows[: page.limit], has_before, has_after
        if page.before is not None:
            # Nearest first, then flipped back into the chosen order.
            rows = select(
                " AND id < ?" if asc else " AND id > ?", "DESC" if asc else "ASC", [cursor]
            )
            has_before = len(rows) > page.limit
            has_after = exists("id >= ?" if asc else "id <= ?")
            return rows[: page.limit][::-1], has_before, has_after
        rows = select("", "ASC" if asc else "DESC", [])
        return rows[: page.limit], False, len(rows) > page.limit


def _destination(row: sqlite3.Row, callback_ids: tuple[str, ...]) -> Destination:
    return Destination(
        id=row["id"],
        instance_id=row["instance_id"],
        name=row["name"],
        description=row["description"],
        url=row["url"],
        signing_secret=row["signing_secret"],
        callbacks_type="all" if row["callbacks_type"] == "all" else "selected",
        callback_ids=callback_ids,
        active=row["status"] == "active",
        created_ms=row["created_ms"],
        updated_ms=row["updated_ms"],
    )


def _callback(row: sqlite3.Row) -> Callback:
    kind: CallbackType = row["type"]
    return Callback(
        id=row["id"],
        instance_id=row["instance_id"],
        type=kind,
        name=row["name"],
        description=row["description"],
        url=row["url"],
        interval_seconds=row["interval_seconds"],
        next_run_ms=row["next_run_ms"],
        created_ms=row["created_ms"],
        updated_ms=row["updated_ms"],
    )
