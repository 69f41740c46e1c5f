"""The delivery log: callback events and the notifications that deliver them to destinations.

Read-only in the 2025-01-01 API (``controllers/instance/callbackEvent.ts`` and
``callbackNotification.ts``; services in ``modules/callbacks/src/services/``; shapes in
``presenters/implementation/callbackEvent.ts`` and ``callbackNotification.ts``):

- ``GET /callbacks-events`` (``callback_id``: one or many; ids not of this instance match
  nothing, so an unknown id gives an empty list) and ``/callbacks-events/{id}``.
- ``GET /callbacks-notifications`` (``callback_id``, ``event_id``, ``destination_id``, ANDed;
  each given filter keeps only notifications of the ids it names, so unknown ids give an
  empty list) and ``/callbacks-notifications/{id}``.

Nothing delivers here yet. :meth:`DeliveryLog.record_event` writes what the platform would
(``queue/sendEvent.ts``): one event, a succeeded processing attempt, and for every active
destination the event reaches (``all``, or ``selected`` with its callback) a notification
with the JSON request body and the given attempts. ``seed_events`` gives every callback one
event at start-up (there are no destinations yet, so no notifications).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal

from gateway.emulator.cursors import base62_encode
from gateway.emulator.ids import IdGenerator
from gateway.emulator.pagination import Page, PageRequest

__all__ = [
    "SCHEMA",
    "Attempt",
    "CallbackEvent",
    "DeliveryLog",
    "Notification",
    "NotificationAttempt",
    "webhook_request_id",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS callback_events (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    callback_id TEXT NOT NULL,
    status TEXT NOT NULL,
    type TEXT,
    payload_incoming TEXT NOT NULL,
    payload_outgoing TEXT,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS callback_event_attempts (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    attempt_index INTEGER NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS callback_notifications (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    destination_id TEXT NOT NULL,
    callback_id TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    url TEXT,
    request_body TEXT,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS callback_notification_attempts (
    id TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL,
    attempt_index INTEGER NOT NULL,
    status TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT,
    response_headers TEXT NOT NULL,
    request_error TEXT,
    duration_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
"""

event_ids = IdGenerator("cbe_")
event_attempt_ids = IdGenerator("cbep_")
notification_ids = IdGenerator("cbn_")
notification_attempt_ids = IdGenerator("cbna_")

Status = Literal["pending", "succeeded", "retrying", "failed"]


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One processing attempt of an event."""

    id: str
    status: str
    index: int
    error_code: str | None
    error_message: str | None
    created_ms: int


@dataclass(frozen=True, kw_only=True)
class CallbackEvent:
    id: str
    instance_id: str
    callback_id: str
    status: str
    type: str | None
    payload_incoming: str
    payload_outgoing: str | None
    attempts: tuple[Attempt, ...]
    created_ms: int


@dataclass(frozen=True, kw_only=True)
class NotificationAttempt:
    """One delivery attempt. ``response_status`` is -1 when no response came (sendEvent.ts)."""

    id: str
    status: Literal["succeeded", "failed"]
    index: int
    response_status: int = -1
    response_body: str | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    request_error: str | None = None
    duration_ms: int = 0
    created_ms: int = 0


@dataclass(frozen=True, kw_only=True)
class Notification:
    id: str
    instance_id: str
    event_id: str
    destination_id: str
    callback_id: str
    type: str
    status: str
    url: str | None
    request_body: str | None
    attempts: tuple[NotificationAttempt, ...]
    created_ms: int


def webhook_request_id(notification_id: str, attempt_id: str) -> str:
    """``shadowId('cnawh', [notification.id, attempt.id])`` (``shared/shadow-id``).

    ``cnawh`` (no underscore) + the 9 time chars of the notification id + the first 11
    base62 chars of sha256 over ``"cnawh" + notification_id + attempt_id``.
    """
    time = notification_id.split("_")[1][:9]
    digest = hashlib.sha256(f"cnawh{notification_id}{attempt_id}".encode()).digest()
    return "cnawh" + time + base62_encode(digest)[: 11 if time else 20]


def _in(column: str) -> str:
    return f" AND {column} IN (SELECT value FROM json_each(?))"  # noqa: S608 (fixed names)


class DeliveryLog:
    """Mixed into :class:`~gateway.emulator.store.Store` (same connection and lock)."""

    _conn: sqlite3.Connection
    _lock: threading.Lock

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _paginate(
        self,
        table: str,
        where: str,
        params: Sequence[object],
        instance_id: str,
        page: PageRequest,
    ) -> tuple[list[sqlite3.Row], bool, bool]:
        raise NotImplementedError

    def seed_events(self, instance_id: str, *, now_ms: int) -> None:
        """One succeeded event per callback of the instance that has none yet."""
        with self._lock:
            callbacks = [
                row[0]
                for row in self._conn.execute(
                    "SELECT id FROM callbacks WHERE instance_id = ? AND id NOT IN"
                    " (SELECT callback_id FROM callback_events) ORDER BY id",
                    (instance_id,),
                )
            ]
        for callback_id in callbacks:
            self.record_event(
                instance_id,
                callback_id,
                event_type="emulator.seed",
                payload={"seeded": True},
                now_ms=now_ms,
            )

    def record_event(
        self,
        instance_id: str,
        callback_id: str,
        *,
        event_type: str,
        payload: object,
        attempts: Sequence[NotificationAttempt] | None = None,
        now_ms: int,
    ) -> tuple[CallbackEvent, list[Notification]]:
        """Write an event and its notifications, as ``queue/sendEvent.ts`` would.

        ``attempts`` are stored on every notification (default: one succeeded attempt with a
        200); their ids and indices are replaced. A notification's status is ``succeeded``
        after a succeeded attempt, ``retrying`` after a failed one, ``pending`` without any.
        """
        event_id, _ = event_ids.new()
        text = json.dumps(payload, separators=(",", ":"))
        created: list[str] = []
        with self._write() as conn:
            conn.execute(
                "INSERT INTO callback_events (id, instance_id, callback_id, status, type,"
                " payload_incoming, payload_outgoing, created_ms)"
                " VALUES (?, ?, ?, 'succeeded', ?, ?, ?, ?)",
                (event_id, instance_id, callback_id, event_type, text, text, now_ms),
            )
            conn.execute(
                "INSERT INTO callback_event_attempts (id, event_id, attempt_index, status,"
                " error_code, error_message, created_ms) VALUES (?, ?, 0, 'succeeded', NULL,"
                " NULL, ?)",
                (event_attempt_ids.new()[0], event_id, now_ms),
            )
            destinations = conn.execute(
                "SELECT id, url FROM destinations WHERE instance_id = ? AND status = 'active'"
                " AND (callbacks_type = 'all' OR EXISTS (SELECT 1 FROM destination_callbacks dc"
                " WHERE dc.destination_id = destinations.id AND dc.callback_id = ?)) ORDER BY id",
                (instance_id, callback_id),
            ).fetchall()
            for destination_id, url in destinations:
                notification_id, _ = notification_ids.new()
                created.append(notification_id)
                body = json.dumps(
                    {
                        "eventId": event_id,
                        "notificationId": notification_id,
                        "callbackId": callback_id,
                        "object": "callback.notification",
                        "type": event_type,
                        "payload": payload,
                    },
                    separators=(",", ":"),
                )
                planned = (
                    list(attempts)
                    if attempts is not None
                    else [
                        NotificationAttempt(id="", status="succeeded", index=0, response_status=200)
                    ]
                )
                status = (
                    "pending"
                    if not planned
                    else "succeeded"
                    if planned[-1].status == "succeeded"
                    else "retrying"
                )
                conn.execute(
                    "INSERT INTO callback_notifications (id, instance_id, event_id,"
                    " destination_id, callback_id, type, status, url, request_body, created_ms)"
                    " VALUES (?, ?, ?, ?, ?, 'webhook_http', ?, ?, ?, ?)",
                    (
                        notification_id,
                        instance_id,
                        event_id,
                        destination_id,
                        callback_id,
                        status,
                        url,
                        body,
                        now_ms,
                    ),
                )
                for index, attempt in enumerate(planned):
                    conn.execute(
                        "INSERT INTO callback_notification_attempts (id, notification_id,"
                        " attempt_index, status, response_status, response_body,"
                        " response_headers, request_error, duration_ms, created_ms)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            notification_attempt_ids.new()[0],
                            notification_id,
                            index,
                            attempt.status,
                            attempt.response_status,
                            attempt.response_body,
                            json.dumps([list(pair) for pair in attempt.response_headers]),
                            attempt.request_error,
                            attempt.duration_ms,
                            attempt.created_ms or now_ms,
                        ),
                    )
        event = self.get_event(instance_id, event_id)
        assert event is not None
        notifications = [self.get_notification(instance_id, id_) for id_ in created]
        return event, [item for item in notifications if item is not None]

    # --- reads ----------------------------------------------------------------------------

    def get_event(self, instance_id: str, event_id: str) -> CallbackEvent | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM callback_events WHERE instance_id = ? AND id = ?",
                (instance_id, event_id),
            ).fetchone()
            return None if row is None else _event(self._conn, row)

    def list_events(
        self,
        instance_id: str,
        page: PageRequest,
        *,
        callback_ids: Sequence[str] | None = None,
    ) -> Page[CallbackEvent]:
        where, params = "instance_id = ?", [instance_id]
        if callback_ids is not None:
            where += _in("callback_id")
            params.append(json.dumps(list(callback_ids)))
        with self._lock:
            rows, before, after = self._paginate("callback_events", where, params, "", page)
            items = [_event(self._conn, row) for row in rows]
        return Page(items=items, has_more_before=before, has_more_after=after)

    def get_notification(self, instance_id: str, notification_id: str) -> Notification | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM callback_notifications WHERE instance_id = ? AND id = ?",
                (instance_id, notification_id),
            ).fetchone()
            return None if row is None else _notification(self._conn, row)

    def list_notifications(
        self,
        instance_id: str,
        page: PageRequest,
        *,
        callback_ids: Sequence[str] | None = None,
        event_ids: Sequence[str] | None = None,
        destination_ids: Sequence[str] | None = None,
    ) -> Page[Notification]:
        where, params = "instance_id = ?", [instance_id]
        for column, ids in (
            ("event_id", event_ids),
            ("destination_id", destination_ids),
            ("callback_id", callback_ids),
        ):
            if ids is not None:
                where += _in(column)
                params.append(json.dumps(list(ids)))
        with self._lock:
            rows, before, after = self._paginate("callback_notifications", where, params, "", page)
            items = [_notification(self._conn, row) for row in rows]
        return Page(items=items, has_more_before=before, has_more_after=after)


def _rows(conn: sqlite3.Connection, sql: str, key: str) -> Iterator[sqlite3.Row]:
    yield from conn.execute(sql, (key,))


def _event(conn: sqlite3.Connection, row: sqlite3.Row) -> CallbackEvent:
    attempts = tuple(
        Attempt(
            id=item["id"],
            status=item["status"],
            index=item["attempt_index"],
            error_code=item["error_code"],
            error_message=item["error_message"],
            created_ms=item["created_ms"],
        )
        for item in _rows(
            conn,
            "SELECT * FROM callback_event_attempts WHERE event_id = ? ORDER BY attempt_index",
            row["id"],
        )
    )
    return CallbackEvent(
        id=row["id"],
        instance_id=row["instance_id"],
        callback_id=row["callback_id"],
        status=row["status"],
        type=row["type"],
        payload_incoming=row["payload_incoming"],
        payload_outgoing=row["payload_outgoing"],
        attempts=attempts,
        created_ms=row["created_ms"],
    )


def _notification(conn: sqlite3.Connection, row: sqlite3.Row) -> Notification:
    attempts = tuple(
        NotificationAttempt(
            id=item["id"],
            status="succeeded" if item["status"] == "succeeded" else "failed",
            index=item["attempt_index"],
            response_status=item["response_status"],
            response_body=item["response_body"],
            response_headers=tuple(
                (str(name), str(value)) for name, value in json.loads(item["response_headers"])
            ),
            request_error=item["request_error"],
            duration_ms=item["duration_ms"],
            created_ms=item["created_ms"],
        )
        for item in _rows(
            conn,
            "SELECT * FROM callback_notification_attempts WHERE notification_id = ?"
            " ORDER BY attempt_index",
            row["id"],
        )
    )
    return Notification(
        id=row["id"],
        instance_id=row["instance_id"],
        event_id=row["event_id"],
        destination_id=row["destination_id"],
        callback_id=row["callback_id"],
        type=row["type"],
        status=row["status"],
        url=row["url"],
        request_body=row["request_body"],
        attempts=attempts,
        created_ms=row["created_ms"],
    )
