"""The delivery log: callback events and the notifications that deliver them to destinations.

Read-only in the 2025-01-01 API (``controllers/instance/callbackEvent.ts`` and
``callbackNotification.ts``; services in ``modules/callbacks/src/services/``; shapes in
``presenters/implementation/callbackEvent.ts`` and ``callbackNotification.ts``):

- ``GET /callbacks-events`` (``callback_id``: one or many; ids not of this instance match
  nothing, so an unknown id gives an empty list) and ``/callbacks-events/{id}``.
- ``GET /callbacks-notifications`` (``callback_id``, ``event_id``, ``destination_id``, ANDed;
  each given filter keeps only notifications of the ids it names, so unknown ids give an
  empty list) and ``/callbacks-notifications/{id}``.

And in 2026-02-01 (MA, contract-2026 §5.1, §5.6), per callback: ``GET /callbacks/{id}/events``
(``type`` filter) and ``/callbacks/{id}/notifications`` (``destination_id``, ``status``).

Two ways in. :meth:`DeliveryLog.create_event` is the real one (the ``/_emulator`` endpoint and
``--events-every``): one event, and for every active destination with a URL that receives the
callback (2025 ``all``, or linked to it by either version) a ``pending`` notification due now,
which the delivery worker (``sender.py``) sends, retries and finishes with
:meth:`record_delivery_attempt`. :meth:`record_event` writes a finished story with the given
attempts and nothing due (tests, seeds). ``seed_events`` gives every callback one event at
start-up.

One store, both versions. Notification status: 2025 ``pending|succeeded|retrying|failed``;
MA shows ``succeeded`` as ``delivered`` (the rest unchanged, see ``MA_STATUS``). Every attempt
keeps the request headers sent (2025 ``request_headers``; MA ``event.request.headers`` of the
last attempt). ``next_attempt_ms`` is set only while the worker still owes an attempt.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal

from gateway.emulator.cursors import base62_encode
from gateway.emulator.ids import IdGenerator
from gateway.emulator.pagination import Page, PageRequest

__all__ = [
    "ADDED_COLUMNS",
    "AFTER_MIGRATION",
    "MA_STATUS",
    "SCHEMA",
    "Attempt",
    "CallbackEvent",
    "DeliveryJob",
    "DeliveryLog",
    "DestinationRow",
    "EventStats",
    "Notification",
    "NotificationAttempt",
    "NotificationDetail",
    "delivery_body",
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
CREATE INDEX IF NOT EXISTS callback_events_by_callback ON callback_events (callback_id, id);
CREATE INDEX IF NOT EXISTS callback_notifications_by_event
    ON callback_notifications (event_id, id);
CREATE INDEX IF NOT EXISTS callback_notification_attempts_by_notification
    ON callback_notification_attempts (notification_id, attempt_index);
"""

#: Columns added after the first release: (table, column, declaration). ``store._migrate``
#: adds them to older files, then runs :data:`AFTER_MIGRATION`.
ADDED_COLUMNS = (
    ("callback_notifications", "updated_ms", "INTEGER"),
    ("callback_notifications", "next_attempt_ms", "INTEGER"),
    ("callback_notification_attempts", "request_headers", "TEXT"),
)
AFTER_MIGRATION = """
CREATE INDEX IF NOT EXISTS callback_notifications_due
    ON callback_notifications (next_attempt_ms) WHERE next_attempt_ms IS NOT NULL;
"""

#: A 2025 notification status as MA shows it (contract-2026 §5.6).
MA_STATUS: Mapping[str, str] = {
    "pending": "pending",
    "succeeded": "delivered",
    "retrying": "retrying",
    "failed": "failed",
}

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
    #: The headers sent, in order (empty for attempts written by :meth:`record_event`).
    request_headers: tuple[tuple[str, str], ...] = ()


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
    updated_ms: int = 0
    #: When the worker sends the next attempt; ``None`` when it owes none.
    next_attempt_ms: int | None = None


@dataclass(frozen=True, kw_only=True)
class EventStats:
    """How an event's notifications stand: counts by (2025) status."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0

    @property
    def open(self) -> int:
        return self.total - self.succeeded - self.failed


@dataclass(frozen=True, kw_only=True)
class NotificationDetail:
    """A notification with what MA nests in it: its event (and the event's stats) and its
    destination (``None`` if the row is gone)."""

    notification: Notification
    event: CallbackEvent
    stats: EventStats
    destination: DestinationRow | None


@dataclass(frozen=True, kw_only=True)
class DestinationRow:
    id: str
    name: str
    description: str | None
    url: str
    created_ms: int
    updated_ms: int


@dataclass(frozen=True, kw_only=True)
class DeliveryJob:
    """What the worker needs for the next attempt of one notification."""

    notification_id: str
    event_id: str
    callback_id: str
    url: str
    body: str
    signing_secret: str
    attempts_made: int


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
        created: list[str] = []
        with self._write() as conn:
            event_id = _insert_event(conn, instance_id, callback_id, event_type, payload, now_ms)
            for destination_id, url in _receivers(conn, instance_id, callback_id):
                notification_id, _ = notification_ids.new()
                created.append(notification_id)
                body = delivery_body(event_id, notification_id, callback_id, event_type, payload)
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
                _insert_notification(
                    conn,
                    notification_id,
                    instance_id=instance_id,
                    event_id=event_id,
                    destination_id=destination_id,
                    callback_id=callback_id,
                    status=status,
                    url=url,
                    body=body,
                    now_ms=now_ms,
                    next_attempt_ms=None,
                )
                for index, attempt in enumerate(planned):
                    _insert_attempt(conn, notification_id, index, attempt, now_ms=now_ms)
        event = self.get_event(instance_id, event_id)
        assert event is not None
        notifications = [self.get_notification(instance_id, id_) for id_ in created]
        return event, [item for item in notifications if item is not None]

    def create_event(
        self,
        instance_id: str,
        callback_id: str,
        *,
        event_type: str,
        payload: object,
        now_ms: int,
    ) -> tuple[CallbackEvent, list[str]]:
        """An event and a ``pending`` notification, due now, for every active destination
        with a non-empty URL that receives the callback. Returns the event and the
        notification ids."""
        created: list[str] = []
        with self._write() as conn:
            event_id = _insert_event(conn, instance_id, callback_id, event_type, payload, now_ms)
            for destination_id, url in _receivers(conn, instance_id, callback_id):
                if not url:
                    continue
                notification_id, _ = notification_ids.new()
                created.append(notification_id)
                _insert_notification(
                    conn,
                    notification_id,
                    instance_id=instance_id,
                    event_id=event_id,
                    destination_id=destination_id,
                    callback_id=callback_id,
                    status="pending",
                    url=url,
                    body=delivery_body(event_id, notification_id, callback_id, event_type, payload),
                    now_ms=now_ms,
                    next_attempt_ms=now_ms,
                )
        event = self.get_event(instance_id, event_id)
        assert event is not None
        return event, created

    def active_callbacks(self) -> list[tuple[str, str]]:
        """``(instance_id, callback_id)`` of every active callback, in id order."""
        with self._lock:
            return [
                (row[0], row[1])
                for row in self._conn.execute(
                    "SELECT instance_id, id FROM callbacks WHERE status = 'active' ORDER BY id"
                )
            ]

    # --- the delivery worker's side ---------------------------------------------------------

    def due_deliveries(self, now_ms: int, *, limit: int, exclude: Sequence[str]) -> list[str]:
        """Notifications whose next attempt is due, earliest first, minus ``exclude``."""
        with self._lock:
            return [
                row[0]
                for row in self._conn.execute(
                    "SELECT id FROM callback_notifications WHERE next_attempt_ms IS NOT NULL"
                    " AND next_attempt_ms <= ? AND id NOT IN (SELECT value FROM json_each(?))"
                    " ORDER BY next_attempt_ms, id LIMIT ?",
                    (now_ms, json.dumps(list(exclude)), limit),
                )
            ]

    def next_delivery_ms(self, *, exclude: Sequence[str]) -> int | None:
        """When the earliest owed attempt (not in ``exclude``) is due."""
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(next_attempt_ms) FROM callback_notifications"
                " WHERE next_attempt_ms IS NOT NULL"
                " AND id NOT IN (SELECT value FROM json_each(?))",
                (json.dumps(list(exclude)),),
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def delivery_job(self, notification_id: str) -> DeliveryJob | None:
        """The next attempt's inputs, or ``None`` when nothing is owed any more."""
        with self._lock:
            row = self._conn.execute(
                "SELECT n.id, n.event_id, n.callback_id, n.url, n.request_body,"
                " d.signing_secret, (SELECT COUNT(*) FROM callback_notification_attempts a"
                " WHERE a.notification_id = n.id) FROM callback_notifications n"
                " JOIN destinations d ON d.id = n.destination_id"
                " WHERE n.id = ? AND n.next_attempt_ms IS NOT NULL",
                (notification_id,),
            ).fetchone()
        if row is None or not row[3]:  # nothing to send to: owe nothing (no busy loop)
            with self._write() as conn:
                conn.execute(
                    "UPDATE callback_notifications SET next_attempt_ms = NULL WHERE id = ?",
                    (notification_id,),
                )
            return None
        return DeliveryJob(
            notification_id=row[0],
            event_id=row[1],
            callback_id=row[2],
            url=row[3],
            body=row[4] or "",
            signing_secret=row[5],
            attempts_made=row[6],
        )

    def record_delivery_attempt(
        self,
        notification_id: str,
        attempt: NotificationAttempt,
        *,
        next_attempt_ms: int | None,
        now_ms: int,
    ) -> str:
        """Store one attempt and move the notification on: ``succeeded`` after a succeeded
        attempt; after a failed one ``retrying`` when ``next_attempt_ms`` is given, else
        ``failed``. Returns the new (2025) status."""
        succeeded = attempt.status == "succeeded"
        status = "succeeded" if succeeded else "retrying" if next_attempt_ms else "failed"
        with self._write() as conn:
            (index,) = conn.execute(
                "SELECT COUNT(*) FROM callback_notification_attempts WHERE notification_id = ?",
                (notification_id,),
            ).fetchone()
            _insert_attempt(conn, notification_id, index, attempt, now_ms=now_ms)
            conn.execute(
                "UPDATE callback_notifications SET status = ?, next_attempt_ms = ?,"
                " updated_ms = ? WHERE id = ?",
                (
                    status,
                    None if status != "retrying" else next_attempt_ms,
                    now_ms,
                    notification_id,
                ),
            )
        return status

    def resume_deliveries(self, delay_ms: Callable[[int], int]) -> int:
        """At start-up: reschedule every ``retrying`` notification to its last attempt's time
        plus ``delay_ms(attempts made)`` (the current ``--retry-scale``); ``pending`` ones stay
        due. Returns how many notifications are owed an attempt."""
        with self._write() as conn:
            rows = conn.execute(
                "SELECT n.id, COUNT(a.id), MAX(a.created_ms) FROM callback_notifications n"
                " JOIN callback_notification_attempts a ON a.notification_id = n.id"
                " WHERE n.next_attempt_ms IS NOT NULL AND n.status = 'retrying' GROUP BY n.id"
            ).fetchall()
            for notification_id, count, last_ms in rows:
                conn.execute(
                    "UPDATE callback_notifications SET next_attempt_ms = ? WHERE id = ?",
                    (last_ms + delay_ms(count), notification_id),
                )
            (owed,) = conn.execute(
                "SELECT COUNT(*) FROM callback_notifications WHERE next_attempt_ms IS NOT NULL"
            ).fetchone()
        return int(owed)

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
        types: Sequence[str] | None = None,
    ) -> Page[CallbackEvent]:
        where, params = "instance_id = ?", [instance_id]
        for column, values in (("callback_id", callback_ids), ("type", types)):
            if values is not None:
                where += _in(column)
                params.append(json.dumps(list(values)))
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
        statuses: Sequence[str] | None = None,
    ) -> Page[Notification]:
        where, params = "instance_id = ?", [instance_id]
        for column, ids in (
            ("event_id", event_ids),
            ("destination_id", destination_ids),
            ("callback_id", callback_ids),
            ("status", statuses),
        ):
            if ids is not None:
                where += _in(column)
                params.append(json.dumps(list(ids)))
        with self._lock:
            rows, before, after = self._paginate("callback_notifications", where, params, "", page)
            items = [_notification(self._conn, row) for row in rows]
        return Page(items=items, has_more_before=before, has_more_after=after)

    def event_stats(self, event_ids: Sequence[str]) -> dict[str, EventStats]:
        """Each event's notification counts (events without any are left out)."""
        with self._lock:
            return _event_stats(self._conn, event_ids)

    def get_notification_detail(
        self, instance_id: str, notification_id: str
    ) -> NotificationDetail | None:
        notification = self.get_notification(instance_id, notification_id)
        if notification is None:
            return None
        return self._details([notification])[0]

    def list_notification_details(
        self,
        instance_id: str,
        page: PageRequest,
        *,
        callback_ids: Sequence[str] | None = None,
        destination_ids: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> Page[NotificationDetail]:
        """:meth:`list_notifications` with each notification's event and destination."""
        found = self.list_notifications(
            instance_id,
            page,
            callback_ids=callback_ids,
            destination_ids=destination_ids,
            statuses=statuses,
        )
        return Page(
            items=self._details(found.items),
            has_more_before=found.has_more_before,
            has_more_after=found.has_more_after,
        )

    def _details(self, notifications: Sequence[Notification]) -> list[NotificationDetail]:
        with self._lock:
            event_rows = {
                row["id"]: _event(self._conn, row)
                for row in self._conn.execute(
                    "SELECT * FROM callback_events WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps([item.event_id for item in notifications]),),
                )
            }
            stats = _event_stats(self._conn, list(event_rows))
            destinations = {
                row["id"]: DestinationRow(
                    id=row["id"],
                    name=row["name"],
                    description=row["description"],
                    url=row["url"],
                    created_ms=row["created_ms"],
                    updated_ms=row["updated_ms"],
                )
                for row in self._conn.execute(
                    "SELECT * FROM destinations WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps([item.destination_id for item in notifications]),),
                )
            }
        return [
            NotificationDetail(
                notification=item,
                event=event_rows[item.event_id],
                stats=stats.get(item.event_id, EventStats()),
                destination=destinations.get(item.destination_id),
            )
            for item in notifications
        ]


def delivery_body(
    event_id: str, notification_id: str, callback_id: str, event_type: str, payload: object
) -> str:
    """The JSON body of a delivery (contract "Related objects": Delivery)."""
    return json.dumps(
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


def _insert_event(
    conn: sqlite3.Connection,
    instance_id: str,
    callback_id: str,
    event_type: str,
    payload: object,
    now_ms: int,
) -> str:
    """An event with its one succeeded processing attempt."""
    event_id, _ = event_ids.new()
    text = json.dumps(payload, separators=(",", ":"))
    conn.execute(
        "INSERT INTO callback_events (id, instance_id, callback_id, status, type,"
        " payload_incoming, payload_outgoing, created_ms)"
        " VALUES (?, ?, ?, 'succeeded', ?, ?, ?, ?)",
        (event_id, instance_id, callback_id, event_type, text, text, now_ms),
    )
    conn.execute(
        "INSERT INTO callback_event_attempts (id, event_id, attempt_index, status,"
        " error_code, error_message, created_ms) VALUES (?, ?, 0, 'succeeded', NULL, NULL, ?)",
        (event_attempt_ids.new()[0], event_id, now_ms),
    )
    return event_id


def _receivers(
    conn: sqlite3.Connection, instance_id: str, callback_id: str
) -> list[tuple[str, str]]:
    """``(id, url)`` of the active destinations that receive a callback's events: 2025
    ``all`` ones and those linked to it (by a 2025 selection or a 2026 ``destination_ids``)."""
    return [
        (row[0], row[1])
        for row in conn.execute(
            "SELECT id, url FROM destinations WHERE instance_id = ? AND status = 'active'"
            " AND (callbacks_type = 'all' OR EXISTS (SELECT 1 FROM destination_callbacks dc"
            " WHERE dc.destination_id = destinations.id AND dc.callback_id = ?)) ORDER BY id",
            (instance_id, callback_id),
        )
    ]


def _insert_notification(
    conn: sqlite3.Connection,
    notification_id: str,
    *,
    instance_id: str,
    event_id: str,
    destination_id: str,
    callback_id: str,
    status: str,
    url: str | None,
    body: str,
    now_ms: int,
    next_attempt_ms: int | None,
) -> None:
    conn.execute(
        "INSERT INTO callback_notifications (id, instance_id, event_id, destination_id,"
        " callback_id, type, status, url, request_body, created_ms, updated_ms, next_attempt_ms)"
        " VALUES (?, ?, ?, ?, ?, 'webhook_http', ?, ?, ?, ?, ?, ?)",
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
            now_ms,
            next_attempt_ms,
        ),
    )


def _insert_attempt(
    conn: sqlite3.Connection,
    notification_id: str,
    index: int,
    attempt: NotificationAttempt,
    *,
    now_ms: int,
) -> None:
    conn.execute(
        "INSERT INTO callback_notification_attempts (id, notification_id, attempt_index,"
        " status, response_status, response_body, response_headers, request_error,"
        " duration_ms, created_ms, request_headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            json.dumps([list(pair) for pair in attempt.request_headers]),
        ),
    )


def _event_stats(conn: sqlite3.Connection, event_ids: Sequence[str]) -> dict[str, EventStats]:
    return {
        row[0]: EventStats(total=row[1], succeeded=row[2], failed=row[3])
        for row in conn.execute(
            "SELECT event_id, COUNT(*), SUM(status = 'succeeded'), SUM(status = 'failed')"
            " FROM callback_notifications WHERE event_id IN (SELECT value FROM json_each(?))"
            " GROUP BY event_id",
            (json.dumps(list(event_ids)),),
        )
    }


def _pairs(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(value)) for name, value in json.loads(text or "[]"))


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
            response_headers=_pairs(item["response_headers"]),
            request_error=item["request_error"],
            duration_ms=item["duration_ms"],
            created_ms=item["created_ms"],
            request_headers=_pairs(item["request_headers"]),
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
        updated_ms=row["updated_ms"] or row["created_ms"],
        next_attempt_ms=row["next_attempt_ms"],
    )
