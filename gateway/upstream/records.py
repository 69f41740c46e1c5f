"""What every upstream API version is read into: neutral records, pages and write outcomes.

The schema layer sees only these; each version's adapter (v2025, v2026) alone knows the
REST shapes they come from.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

from gateway.errors import upstream_malformed

JSON = Any
T = TypeVar("T")

# Ids go into URL paths: only unreserved URL characters, whatever the version's prefixes.
SAFE_ID = re.compile(r"[0-9A-Za-z_.~-]{1,200}")


def checked_id(value: object, what: str) -> str:
    """An id taken from an upstream answer, safe to put into a path; UPSTREAM_ERROR if not."""
    if isinstance(value, str) and SAFE_ID.fullmatch(value):
        return value
    raise upstream_malformed(f"{what} id")


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which callbacks a destination receives: every one (`all`), or the ones listed."""

    type: Literal["all", "selected"]
    callback_ids: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class DestinationRecord:
    id: str
    name: str
    description: str | None
    url: str | None
    signing_secret: str | None  # 2025-01-01 only
    status: str | None  # active | archived | deleted; None where the version does not say
    metadata: JSON | None
    # 2025-01-01 keeps the link on the destination; None where the callbacks hold it.
    selection: Selection | None
    created_at: datetime.datetime
    updated_at: datetime.datetime | None


@dataclasses.dataclass(frozen=True)
class Schedule:
    interval_seconds: int | None
    next_run_at: datetime.datetime | None


CALLBACK_TYPES = ("webhook_managed", "polling", "webhook_manual")


@dataclasses.dataclass(frozen=True)
class CallbackRecord:
    id: str
    type: str  # one of CALLBACK_TYPES
    name: str | None
    description: str | None
    url: str | None
    schedule: Schedule | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    # 2026-02-01 keeps the link on the callback (its destinations, in full); else None.
    destinations: tuple[DestinationRecord, ...] | None = None

    @property
    def destination_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.destinations or ())


@dataclasses.dataclass(frozen=True)
class EventRecord:
    """An event a callback received. `key` finds it again (the version decides its form)."""

    key: str
    id: str
    callback_id: str | None  # None where the version does not say
    type: str | None
    status: str | None
    payload: JSON | None
    created_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class AttemptRecord:
    """One HTTP attempt of a delivery (API 2025-01-01 keeps them)."""

    index: int
    status: str
    url: str | None
    method: str | None
    request_headers: JSON | None
    request_body: str | None
    response_status: int | None
    response_headers: JSON | None
    response_body: str | None
    error: str | None
    duration_ms: int | None
    created_at: datetime.datetime


DELIVERY_STATUSES = ("pending", "delivered", "retrying", "failed")


@dataclasses.dataclass(frozen=True)
class DeliveryRecord:
    """One event delivered (or being delivered) to one destination."""

    key: str
    id: str
    status: str  # one of DELIVERY_STATUSES
    url: str | None
    destination_id: str | None  # None where the version does not say
    event_key: str | None
    error: str | None
    attempt_count: int
    last_attempt_at: datetime.datetime | None
    next_attempt_at: datetime.datetime | None
    created_at: datetime.datetime
    attempts: tuple[AttemptRecord, ...] | None  # None where the version keeps none


@dataclasses.dataclass(frozen=True)
class PageQuery:
    """One page of an upstream list: `after` or `before` an item id, in `order`."""

    limit: int
    order: Literal["asc", "desc"]
    after: str | None = None
    before: str | None = None


@dataclasses.dataclass(frozen=True)
class RecordPage(Generic[T]):
    items: list[T]
    has_more_before: bool
    has_more_after: bool


class FieldErrorCode(enum.Enum):
    """Why a write was refused; the schema's UserErrorCode has the same names."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    UNKNOWN_CALLBACK = "UNKNOWN_CALLBACK"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_DELETED = "ALREADY_DELETED"
    DESTINATION_DELETED = "DESTINATION_DELETED"
    NOT_SUPPORTED = "NOT_SUPPORTED"


@dataclasses.dataclass(frozen=True)
class FieldError:
    """An expected failure of a write, pointing at the input field at fault.

    `field` names input fields as the GraphQL input does (`("callbacks", "callbackIds")`)."""

    field: tuple[str, ...]
    message: str
    code: FieldErrorCode


@dataclasses.dataclass(frozen=True)
class WriteResult:
    """The destination written (None when nothing was), and what went wrong.

    Both can be set: a destination created whose callback links then failed."""

    destination: DestinationRecord | None
    errors: tuple[FieldError, ...] = ()


@dataclasses.dataclass(frozen=True)
class NewDestination:
    name: str
    url: str
    description: str | None = None
    metadata: JSON | None = None
    selection: Selection | None = None  # None: the caller did not say


# Changes of an update: only the keys given are changed; `None` values clear (description)
# or are passed on for the upstream to judge.
DestinationChanges = Mapping[str, Any]  # keys: name, description, url, metadata


def read_datetime(value: object) -> datetime.datetime:
    if not isinstance(value, str):
        raise TypeError("expected an ISO-8601 string")
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("an instant needs a time zone")
    return parsed


def optional_datetime(value: object) -> datetime.datetime | None:
    return None if value is None else read_datetime(value)


def optional_int(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError("expected an integer or null")


def read_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError("expected a string or null")
