"""SQLite persistence: one connection, guarded by a lock, safe to call from worker threads.

The schema is created idempotently (and older files gain the new columns); a file database
survives restarts (``:memory:`` does not). Every method is one short transaction, so id order
is insertion order.

One store, two views (2025-01-01 and 2026-02-01 read and write the same rows):

- ``destinations``: ``status`` is ``active`` or ``archived`` (a 2025 soft delete and a 2026
  archive are the same thing), ``metadata`` (JSON or NULL; 2025 never shows it), ``updated_ms``,
  ``callbacks_type``: ``all`` only for destinations created with ``{"type": "all"}`` under
  2025 (they receive every callback's events), ``selected`` otherwise (2026-created ones
  included). Every destination has a signing secret.
- ``destination_callbacks``: one row per link between a destination and a callback, whichever
  version made it; ``position`` keeps each destination's link order (2025's ``callback_ids``).
  A 2026 callback's ``destination_ids`` replace its links to *active* destinations only, so an
  archived destination keeps its 2025 selection.
- ``callbacks``: the 2025 fields plus ``status`` (``active``/``archived``), ``metadata`` and
  ``provider_deployment_id``. The 2026 ``poll_interval_seconds_override`` is stored as the
  2025 schedule: a polling callback's ``interval_seconds``, null for other types. Setting it
  makes the callback ``polling``; clearing it makes a polling callback ``webhook_managed``.
  Callbacks created under 2026 have ``url`` NULL and type ``webhook_managed`` or ``polling``.
  Archived callbacks are hidden from both views' reads and from 2025 selections.
- ``provider_deployments``: one seeded per instance (``provider_deployment_id``), with the
  fixed trigger specification ``TRIGGERS``; ``callback_triggers``: a callback's triggers.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from gateway.emulator.deliveries import ADDED_COLUMNS as DELIVERY_COLUMNS
from gateway.emulator.deliveries import AFTER_MIGRATION as DELIVERY_INDEXES
from gateway.emulator.deliveries import SCHEMA as DELIVERY_SCHEMA
from gateway.emulator.deliveries import DeliveryLog
from gateway.emulator.ids import (
    IdGenerator,
    callback_ids,
    callback_trigger_ids,
    destination_ids,
    new_hook_key,
    new_signing_secret,
)
from gateway.emulator.pagination import Page, PageRequest

__all__ = [
    "TRIGGERS",
    "UNSET",
    "Callback",
    "CallbackDetail",
    "CallbackFilter",
    "CallbackTrigger",
    "DateFilter",
    "Deployment",
    "Destination",
    "DestinationInactive",
    "DestinationNotFound",
    "ProviderTrigger",
    "Store",
    "UnknownCallbackIds",
    "UnknownDestinationIds",
    "provider_deployment_id",
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
CREATE TABLE IF NOT EXISTS provider_deployments (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL UNIQUE,
    provider_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS callback_triggers (
    id TEXT PRIMARY KEY,
    callback_id TEXT NOT NULL,
    trigger_key TEXT NOT NULL,
    event_types TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS callback_triggers_by_callback
    ON callback_triggers (callback_id, position);
"""

#: Columns added after the first release: (table, column, declaration).
_ADDED_COLUMNS = (
    ("destinations", "metadata", "TEXT"),
    ("callbacks", "status", "TEXT NOT NULL DEFAULT 'active'"),
    ("callbacks", "metadata", "TEXT"),
    ("callbacks", "provider_deployment_id", "TEXT"),
    *DELIVERY_COLUMNS,
)


class DestinationNotFound(LookupError):
    pass


class DestinationInactive(Exception):
    pass


class UnknownCallbackIds(Exception):
    pass


class UnknownDestinationIds(Exception):
    pass


def provider_deployment_id(instance_id: str) -> str:
    """The id of an instance's seeded provider deployment: ``prd_`` + 20 hex chars."""
    return "prd_" + hashlib.sha256(f"deployment:{instance_id}".encode()).hexdigest()[:20]


def _provider_id(instance_id: str) -> str:
    return "pro_" + hashlib.sha256(f"provider:{instance_id}".encode()).hexdigest()[:20]


@dataclass(frozen=True, kw_only=True)
class ProviderTrigger:
    """A trigger of a deployment's specification (``provider.trigger#preview``)."""

    id: str
    key: str
    name: str


#: The specification's triggers: (key, name).
TRIGGERS: tuple[tuple[str, str], ...] = (
    ("record.created", "Record created"),
    ("record.updated", "Record updated"),
    ("record.deleted", "Record deleted"),
)


@dataclass(frozen=True, kw_only=True)
class Deployment:
    id: str
    instance_id: str
    provider_id: str
    created_ms: int

    @property
    def triggers(self) -> tuple[ProviderTrigger, ...]:
        return tuple(
            ProviderTrigger(
                id="prt_" + hashlib.sha256(f"{self.id}:{key}".encode()).hexdigest()[:20],
                key=key,
                name=name,
            )
            for key, name in TRIGGERS
        )

    def find_trigger(self, trigger_id: str) -> ProviderTrigger | None:
        """A trigger by key or id."""
        for trigger in self.triggers:
            if trigger_id in (trigger.key, trigger.id):
                return trigger
        return None


@dataclass(frozen=True, kw_only=True)
class DateFilter:
    """Strict bounds in epoch-ms; ``None`` is no bound."""

    gt: int | None = None
    lt: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallbackFilter:
    ids: tuple[str, ...] = ()
    deployment_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("active",)
    created: DateFilter = DateFilter()
    updated: DateFilter = DateFilter()


@dataclass(frozen=True, kw_only=True)
class CallbackTrigger:
    id: str
    trigger: ProviderTrigger
    event_types: tuple[str, ...]
    created_ms: int


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
    status: str
    metadata: dict[str, object] | None
    created_ms: int
    updated_ms: int

    @property
    def active(self) -> bool:
        return self.status == "active"


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
    status: str = "active"
    metadata: dict[str, object] | None = None
    provider_deployment_id: str = ""

    @property
    def poll_interval_override(self) -> int | None:
        return self.interval_seconds if self.type == "polling" else None


@dataclass(frozen=True, kw_only=True)
class CallbackDetail:
    """A callback as 2026-02-01 shows it: with its deployment, destinations and triggers."""

    callback: Callback
    deployment: Deployment
    destinations: tuple[Destination, ...]
    triggers: tuple[CallbackTrigger, ...]


class _Unset:
    """The type of :data:`UNSET`: "leave this field unchanged" where ``None`` is a value."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()

#: ``CALLBACKS_URL`` of the emulated deployment (reading: any stable https origin will do).
CALLBACKS_URL = "https://callbacks.emulator.metorial.local"

_SEED_TYPES: tuple[CallbackType, ...] = ("webhook_managed", "polling", "webhook_manual")
_POLL_INTERVAL_SECONDS = 300


class Store(DeliveryLog):
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
            self._conn.executescript(_SCHEMA + DELIVERY_SCHEMA)
        with self._write() as conn:
            _migrate(conn)
        with self._lock:
            self._conn.executescript(DELIVERY_INDEXES)

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

    # --- provider deployments ---------------------------------------------------------------

    def seed_deployment(self, instance_id: str, *, now_ms: int) -> Deployment:
        """Create the instance's provider deployment unless it exists."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO provider_deployments (id, instance_id, provider_id,"
                " created_ms) VALUES (?, ?, ?, ?)",
                (
                    provider_deployment_id(instance_id),
                    instance_id,
                    _provider_id(instance_id),
                    now_ms,
                ),
            )
            deployment = self._get_deployment(instance_id, provider_deployment_id(instance_id))
        assert deployment is not None
        return deployment

    def get_deployment(self, instance_id: str, deployment_id: str) -> Deployment | None:
        with self._lock:
            return self._get_deployment(instance_id, deployment_id)

    # --- callbacks (2025-01-01 view) ----------------------------------------------------------

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
        # callback.ts presenter: a url only for manual webhooks (CALLBACKS_URL/callbacks/hook/key)
        if kind == "webhook_managed":
            name: str | None = f"Managed webhook {number}"
            description: str | None = "Events pushed to a webhook that Metorial manages"
            url: str | None = None
        elif kind == "polling":
            name, description, url = f"Polling {number}", "Checks the provider periodically", None
        else:
            name, description = f"Manual webhook {number}", None
            url = f"{CALLBACKS_URL}/callbacks/hook/{new_hook_key()}"
        interval = _POLL_INTERVAL_SECONDS if kind == "polling" else 0
        next_run = ms + interval * 1000 if kind == "polling" else None
        deployment = provider_deployment_id(instance_id)
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
            provider_deployment_id=deployment,
        )
        conn.execute(
            "INSERT INTO callbacks (id, instance_id, type, name, description, url,"
            " interval_seconds, next_run_ms, created_ms, updated_ms, status,"
            " provider_deployment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)",
            (
                id_,
                instance_id,
                kind,
                name,
                description,
                url,
                interval,
                next_run,
                ms,
                ms,
                deployment,
            ),
        )
        return callback

    def get_callback(self, instance_id: str, callback_id: str) -> Callback | None:
        """An active callback (archived ones are gone for both versions)."""
        with self._lock:
            return self._get_callback(instance_id, callback_id)

    def list_callbacks(
        self, instance_id: str, page: PageRequest, where: CallbackFilter = CallbackFilter()
    ) -> Page[Callback]:
        sql, params = _callback_where(instance_id, where)
        with self._lock:
            rows, before, after = self._paginate("callbacks", sql, params, instance_id, page)
        return Page(
            items=[_callback(row) for row in rows], has_more_before=before, has_more_after=after
        )

    # --- callbacks (2026-02-01 view) ----------------------------------------------------------

    def get_callback_detail(self, instance_id: str, callback_id: str) -> CallbackDetail | None:
        with self._lock:
            callback = self._get_callback(instance_id, callback_id)
            return None if callback is None else self._detail(callback)

    def list_callback_details(
        self, instance_id: str, page: PageRequest, where: CallbackFilter
    ) -> Page[CallbackDetail]:
        sql, params = _callback_where(instance_id, where)
        with self._lock:
            rows, before, after = self._paginate("callbacks", sql, params, instance_id, page)
            items = [self._detail(_callback(row)) for row in rows]
        return Page(items=items, has_more_before=before, has_more_after=after)

    def create_callback(
        self,
        instance_id: str,
        *,
        deployment: Deployment,
        name: str,
        description: str | None,
        metadata: dict[str, object] | None,
        poll_interval: int | None,
        destination_ids: Sequence[str],
        triggers: Sequence[tuple[ProviderTrigger, tuple[str, ...]]],
    ) -> CallbackDetail:
        """Create a callback (raises :class:`UnknownDestinationIds`)."""
        with self._write() as conn:
            self._check_destinations(instance_id, destination_ids)
            id_, ms = self._callback_ids.new()
            kind: CallbackType = "polling" if poll_interval is not None else "webhook_managed"
            interval = poll_interval or 0
            next_run = ms + interval * 1000 if poll_interval is not None else None
            conn.execute(
                "INSERT INTO callbacks (id, instance_id, type, name, description, url,"
                " interval_seconds, next_run_ms, created_ms, updated_ms, status, metadata,"
                " provider_deployment_id) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, 'active', ?, ?)",
                (
                    id_,
                    instance_id,
                    kind,
                    name,
                    description,
                    interval,
                    next_run,
                    ms,
                    ms,
                    _dump(metadata),
                    deployment.id,
                ),
            )
            self._link(id_, destination_ids)
            self._set_triggers(id_, triggers, now_ms=ms)
            callback = self._get_callback(instance_id, id_)
            assert callback is not None
            return self._detail(callback)

    def update_callback(
        self,
        instance_id: str,
        callback_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        metadata: dict[str, object] | _Unset | None = UNSET,
        poll_interval: int | _Unset | None = UNSET,
        destination_ids: Sequence[str] | None = None,
        triggers: Sequence[tuple[ProviderTrigger, tuple[str, ...]]] | None = None,
        now_ms: int,
    ) -> CallbackDetail:
        """Change the given fields; ``destination_ids``/``triggers`` replace the whole set."""
        with self._write() as conn:
            current = self._get_callback(instance_id, callback_id)
            if current is None:
                raise LookupError(callback_id)
            if destination_ids is not None:
                self._check_destinations(instance_id, destination_ids)
            kind, interval, next_run = current.type, current.interval_seconds, current.next_run_ms
            if isinstance(poll_interval, int):
                kind, interval, next_run = "polling", poll_interval, now_ms + poll_interval * 1000
            elif poll_interval is None and current.type == "polling":
                kind, interval, next_run = "webhook_managed", 0, None
            conn.execute(
                "UPDATE callbacks SET name = ?, description = ?, metadata = ?, type = ?,"
                " interval_seconds = ?, next_run_ms = ?, updated_ms = ? WHERE id = ?",
                (
                    current.name if name is None else name,
                    current.description if description is None else description,
                    _dump(current.metadata if isinstance(metadata, _Unset) else metadata),
                    kind,
                    interval,
                    next_run,
                    now_ms,
                    callback_id,
                ),
            )
            if destination_ids is not None:
                conn.execute(
                    "DELETE FROM destination_callbacks WHERE callback_id = ?"
                    " AND destination_id NOT IN (SELECT value FROM json_each(?))"
                    " AND destination_id IN (SELECT id FROM destinations WHERE status = 'active')",
                    (callback_id, json.dumps(list(destination_ids))),
                )
                self._link(callback_id, destination_ids)
            if triggers is not None:
                conn.execute("DELETE FROM callback_triggers WHERE callback_id = ?", (callback_id,))
                self._set_triggers(callback_id, triggers, now_ms=now_ms)
            callback = self._get_callback(instance_id, callback_id)
            assert callback is not None
            return self._detail(callback)

    def archive_callback(
        self, instance_id: str, callback_id: str, *, now_ms: int
    ) -> CallbackDetail:
        with self._write() as conn:
            current = self._get_callback(instance_id, callback_id)
            if current is None:
                raise LookupError(callback_id)
            conn.execute(
                "UPDATE callbacks SET status = 'archived', updated_ms = ? WHERE id = ?",
                (now_ms, callback_id),
            )
            row = conn.execute("SELECT * FROM callbacks WHERE id = ?", (callback_id,)).fetchone()
            return self._detail(_callback(row))

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
        metadata: dict[str, object] | None = None,
    ) -> Destination:
        requested = tuple(dict.fromkeys(callback_ids)) if callbacks_type == "selected" else ()
        with self._write() as conn:
            # The links are created in the order the callbacks are stored (callbackDestination
            # service: findMany without orderBy), whatever order the request named them in.
            ids = tuple(
                row[0]
                for row in conn.execute(
                    "SELECT id FROM callbacks WHERE instance_id = ? AND status = 'active'"
                    " AND id IN (SELECT value FROM json_each(?)) ORDER BY rowid",
                    (instance_id, json.dumps(requested)),
                )
            )
            if len(ids) != len(requested):
                raise UnknownCallbackIds
            id_, ms = self._destination_ids.new()
            secret = new_signing_secret()
            conn.execute(
                "INSERT INTO destinations (id, instance_id, name, description, url,"
                " signing_secret, callbacks_type, status, created_ms, updated_ms, metadata)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
                (
                    id_,
                    instance_id,
                    name,
                    description,
                    url,
                    secret,
                    callbacks_type,
                    ms,
                    ms,
                    _dump(metadata),
                ),
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
            status="active",
            metadata=metadata,
            created_ms=ms,
            updated_ms=ms,
        )

    def get_destination(self, instance_id: str, destination_id: str) -> Destination | None:
        """A destination, archived ones included."""
        with self._lock:
            return self._get_destination(instance_id, destination_id)

    def update_destination(
        self,
        instance_id: str,
        destination_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        url: str | None = None,
        metadata: dict[str, object] | _Unset = UNSET,
        now_ms: int,
        touch_when_unchanged: bool = False,
    ) -> Destination:
        """Change the given fields (``None``/``UNSET`` leaves one unchanged) of an active one.

        With nothing to change the row is left alone, unless ``touch_when_unchanged``
        (2026-02-01 moves ``updated_at`` on an empty PATCH).
        """
        with self._write() as conn:
            current = self._require_active(instance_id, destination_id)
            nothing = name is None and description is None and url is None
            if nothing and isinstance(metadata, _Unset) and not touch_when_unchanged:
                return current
            conn.execute(
                "UPDATE destinations SET name = ?, description = ?, url = ?, metadata = ?,"
                " updated_ms = ? WHERE id = ?",
                (
                    current.name if name is None else name,
                    current.description if description is None else description,
                    current.url if url is None else url,
                    _dump(current.metadata if isinstance(metadata, _Unset) else metadata),
                    max(now_ms, current.updated_ms),
                    destination_id,
                ),
            )
            updated = self._get_destination(instance_id, destination_id)
        assert updated is not None
        return updated

    def deactivate_destination(
        self, instance_id: str, destination_id: str, *, now_ms: int
    ) -> Destination:
        """Archive (2025: soft delete) an active destination."""
        with self._write() as conn:
            self._require_active(instance_id, destination_id)
            conn.execute(
                "UPDATE destinations SET status = 'archived', updated_ms = ? WHERE id = ?",
                (now_ms, destination_id),
            )
            deleted = self._get_destination(instance_id, destination_id)
        assert deleted is not None
        return deleted

    def list_destinations(
        self,
        instance_id: str,
        page: PageRequest,
        *,
        callback_ids: Sequence[str] = (),
        created: DateFilter = DateFilter(),
        updated: DateFilter = DateFilter(),
    ) -> Page[Destination]:
        """Active destinations; ``callback_ids`` keeps ``all`` ones and those linked to any."""
        where = "instance_id = ? AND status = 'active'"
        params: list[object] = [instance_id]
        if callback_ids:
            where += (
                " AND (callbacks_type = 'all' OR EXISTS (SELECT 1 FROM destination_callbacks dc"
                " WHERE dc.destination_id = destinations.id"
                " AND dc.callback_id IN (SELECT value FROM json_each(?))))"
            )
            params.append(json.dumps(list(callback_ids)))
        where, params = _date_where(where, params, created=created, updated=updated)
        with self._lock:
            rows, before, after = self._paginate("destinations", where, params, instance_id, page)
            selected = self._selected_callbacks([row["id"] for row in rows])
        return Page(
            items=[_destination(row, selected.get(row["id"], ())) for row in rows],
            has_more_before=before,
            has_more_after=after,
        )

    # --- helpers (call with the lock held) --------------------------------------------------

    def _get_deployment(self, instance_id: str, deployment_id: str) -> Deployment | None:
        row = self._conn.execute(
            "SELECT * FROM provider_deployments WHERE instance_id = ? AND id = ?",
            (instance_id, deployment_id),
        ).fetchone()
        if row is None:
            return None
        return Deployment(
            id=row["id"],
            instance_id=row["instance_id"],
            provider_id=row["provider_id"],
            created_ms=row["created_ms"],
        )

    def _get_callback(self, instance_id: str, callback_id: str) -> Callback | None:
        row = self._conn.execute(
            "SELECT * FROM callbacks WHERE instance_id = ? AND id = ? AND status = 'active'",
            (instance_id, callback_id),
        ).fetchone()
        return None if row is None else _callback(row)

    def _detail(self, callback: Callback) -> CallbackDetail:
        deployment = self._get_deployment(callback.instance_id, callback.provider_deployment_id)
        if deployment is None:  # a file from before deployments: seed it now
            self._conn.execute(
                "INSERT OR IGNORE INTO provider_deployments VALUES (?, ?, ?, ?)",
                (
                    callback.provider_deployment_id,
                    callback.instance_id,
                    _provider_id(callback.instance_id),
                    callback.created_ms,
                ),
            )
            deployment = self._get_deployment(callback.instance_id, callback.provider_deployment_id)
            assert deployment is not None
        rows = self._conn.execute(
            "SELECT * FROM destinations WHERE instance_id = ? AND status = 'active'"
            " AND (callbacks_type = 'all' OR id IN"
            " (SELECT destination_id FROM destination_callbacks WHERE callback_id = ?))"
            " ORDER BY id",
            (callback.instance_id, callback.id),
        ).fetchall()
        selected = self._selected_callbacks([row["id"] for row in rows])
        by_key = {trigger.key: trigger for trigger in deployment.triggers}
        triggers = tuple(
            CallbackTrigger(
                id=row["id"],
                trigger=by_key.get(row["trigger_key"])
                or ProviderTrigger(id="", key=row["trigger_key"], name=row["trigger_key"]),
                event_types=tuple(json.loads(row["event_types"])),
                created_ms=row["created_ms"],
            )
            for row in self._conn.execute(
                "SELECT * FROM callback_triggers WHERE callback_id = ? ORDER BY position",
                (callback.id,),
            )
        )
        return CallbackDetail(
            callback=callback,
            deployment=deployment,
            destinations=tuple(_destination(row, selected.get(row["id"], ())) for row in rows),
            triggers=triggers,
        )

    def _check_destinations(self, instance_id: str, destination_ids: Sequence[str]) -> None:
        if not destination_ids:
            return
        (known,) = self._conn.execute(
            "SELECT COUNT(*) FROM destinations WHERE instance_id = ? AND status = 'active'"
            " AND id IN (SELECT value FROM json_each(?))",
            (instance_id, json.dumps(list(destination_ids))),
        ).fetchone()
        if known != len(set(destination_ids)):
            raise UnknownDestinationIds

    def _link(self, callback_id: str, destination_ids: Sequence[str]) -> None:
        for destination_id in dict.fromkeys(destination_ids):
            self._conn.execute(
                "INSERT OR IGNORE INTO destination_callbacks (destination_id, callback_id,"
                " position) SELECT ?, ?, COALESCE(MAX(position) + 1, 0)"
                " FROM destination_callbacks WHERE destination_id = ?",
                (destination_id, callback_id, destination_id),
            )

    def _set_triggers(
        self,
        callback_id: str,
        triggers: Sequence[tuple[ProviderTrigger, tuple[str, ...]]],
        *,
        now_ms: int,
    ) -> None:
        for position, (trigger, event_types) in enumerate(triggers):
            id_, _ = callback_trigger_ids.new()
            self._conn.execute(
                "INSERT INTO callback_triggers (id, callback_id, trigger_key, event_types,"
                " position, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
                (id_, callback_id, trigger.key, json.dumps(list(event_types)), position, now_ms),
            )

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
        """Rows of one page, ``has_more_before`` and ``has_more_after``.

        ``paginatedProvider.ts`` asks Prisma for ``take: limit + 2`` rows from the cursor
        (``take`` negated for ``before``), ordered by id. Prisma finds the cursor row by id in
        the whole table, ignoring the list's filter (other instances, deleted rows and the
        ``callback_id`` filter included): only an id absent from the table gives an empty page.
        The answer includes the cursor row only when it passes the filter ("visible"); the
        provider drops it, keeps ``limit`` rows and sets the flags:

        - none: the first ``limit``; ``has_more_after`` when more came back.
        - ``after``: the first ``limit`` after the cursor; ``has_more_after`` when more came
          back; ``has_more_before`` exactly when the cursor row is visible.
        - ``before``: of the rows that came back (at most ``limit + 2``, the cursor row
          included when visible, nearest to the cursor last), it keeps the first ``limit``,
          or, when more than ``limit`` remain without the cursor row, items 2 to
          ``limit + 1``. With a visible cursor that is the nearest ``limit``; with a hidden one
          and at least ``limit + 2`` rows before it, the nearest row is skipped (a real
          upstream quirk, reproduced). ``has_more_before`` when rows were left over;
          ``has_more_after`` exactly when the cursor row is visible.

        ``table`` and ``where`` are fixed SQL written in this module; values are parameters.
        ``instance_id`` is part of ``where`` already.
        """
        del instance_id
        cursor = page.after if page.after is not None else page.before
        asc = page.order == "asc"
        take = page.limit + 2
        visible = False
        if cursor is not None:
            if not self._conn.execute(
                f"SELECT 1 FROM {table} WHERE id = ?",  # noqa: S608
                (cursor,),
            ).fetchone():
                return [], False, False
            visible = bool(
                self._conn.execute(
                    f"SELECT 1 FROM {table} WHERE {where} AND id = ?",  # noqa: S608
                    (*params, cursor),
                ).fetchone()
            )

        def select(condition: str, ascending: bool, count: int) -> list[sqlite3.Row]:
            return self._conn.execute(
                f"SELECT * FROM {table} WHERE {where}{condition}"  # noqa: S608
                f" ORDER BY id {'ASC' if ascending else 'DESC'} LIMIT ?",
                (*params, *([cursor] if condition else []), count),
            ).fetchall()

        if page.before is not None:
            # Nearest first, then flipped back into the chosen order; the cursor row itself
            # would have been one of the `take` rows.
            rows = select(" AND id < ?" if asc else " AND id > ?", not asc, take - visible)
            rows.reverse()
            selected = rows[1 : page.limit + 1] if len(rows) > page.limit else rows
            return selected, len(rows) > len(selected), visible
        if page.after is not None:
            rows = select(" AND id > ?" if asc else " AND id < ?", asc, take - visible)
            return rows[: page.limit], visible, len(rows) > page.limit
        rows = select("", asc, take)
        return rows[: page.limit], False, len(rows) > page.limit


def _dump(metadata: dict[str, object] | None) -> str | None:
    return None if metadata is None else json.dumps(metadata, separators=(",", ":"))


def _load(text: str | None) -> dict[str, object] | None:
    if text is None:
        return None
    value = json.loads(text)
    assert isinstance(value, dict)
    return value


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a database file written by an older emulator up to the current schema."""
    for table, column, declaration in _ADDED_COLUMNS:
        columns = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    conn.execute("UPDATE destinations SET status = 'archived' WHERE status = 'inactive'")
    for (instance_id,) in conn.execute(
        "SELECT DISTINCT instance_id FROM callbacks WHERE provider_deployment_id IS NULL"
    ).fetchall():
        conn.execute(
            "UPDATE callbacks SET provider_deployment_id = ?"
            " WHERE instance_id = ? AND provider_deployment_id IS NULL",
            (provider_deployment_id(instance_id), instance_id),
        )


def _date_where(
    where: str, params: list[object], *, created: DateFilter, updated: DateFilter
) -> tuple[str, list[object]]:
    for column, bounds in (("created_ms", created), ("updated_ms", updated)):
        if bounds.gt is not None:
            where += f" AND {column} > ?"
            params.append(bounds.gt)
        if bounds.lt is not None:
            where += f" AND {column} < ?"
            params.append(bounds.lt)
    return where, params


def _callback_where(instance_id: str, where: CallbackFilter) -> tuple[str, list[object]]:
    sql = "instance_id = ? AND status IN (SELECT value FROM json_each(?))"
    params: list[object] = [instance_id, json.dumps(list(where.statuses))]
    if where.ids:
        sql += " AND id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(list(where.ids)))
    if where.deployment_ids:
        sql += " AND provider_deployment_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(list(where.deployment_ids)))
    return _date_where(sql, params, created=where.created, updated=where.updated)


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
        status=row["status"],
        metadata=_load(row["metadata"]),
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
        status=row["status"],
        metadata=_load(row["metadata"]),
        provider_deployment_id=row["provider_deployment_id"],
    )
