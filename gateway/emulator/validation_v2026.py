"""Validation of 2026-02-01 (generation MA) bodies and list queries.

Same wording and codes as 2025-01-01 (``validation.py``): 400 ``invalid_data``, first failing
field only, fields checked in the order the contract lists them. ``v.optional`` rejects
``null``; only ``poll_interval_seconds_override`` is nullable. Query strings are read the way
``qs`` nests them: ``created_at[gt]=...``, ``id=a&id=b``, ``id[]=a``, ``id[0]=a``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import NoReturn

from gateway.emulator.errors import invalid_data
from gateway.emulator.store import UNSET, CallbackFilter, DateFilter, _Unset
from gateway.emulator.validation import (
    MISSING,
    Issue,
    ListQuery,
    _invalid_type,
    _object_or_fail,
    _string_issue,
    js_string,
    validate_list_query,
)

__all__ = [
    "CallbackInput",
    "DestinationInput",
    "TriggerInput",
    "parse_date",
    "validate_callback_body",
    "validate_callback_query",
    "validate_destination_body",
    "validate_destination_query",
    "validate_event_query",
    "validate_notification_query",
]

STATUSES = ("active", "archived", "deleted")
#: MA notification statuses (``status`` filter of ``/callbacks/{id}/notifications``).
NOTIFICATION_STATUSES = ("pending", "failed", "delivered", "retrying")

Metadata = dict[str, object]


@dataclass(frozen=True, kw_only=True)
class DestinationInput:
    """A create or update body; ``None``/``UNSET`` = not given (update only)."""

    name: str | None = None
    description: str | None = None
    metadata: Metadata | _Unset = UNSET
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class TriggerInput:
    trigger_id: str
    event_types: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CallbackInput:
    """A create or update body; ``None``/``UNSET`` = not given."""

    provider_deployment_id: str | None = None
    name: str | None = None
    description: str | None = None
    metadata: Metadata | _Unset = UNSET
    poll_interval: float | _Unset | None = UNSET
    destination_ids: tuple[str, ...] | None = None
    triggers: tuple[TriggerInput, ...] | None = None


# --- bodies -------------------------------------------------------------------------------


def _check(issue: Issue | None) -> None:
    if issue is not None:
        raise invalid_data([issue], entity="body")


def _metadata_issue(value: object, path: list[str | int], *, optional: bool) -> Issue | None:
    if value is MISSING and optional:
        return None
    if not isinstance(value, dict):
        return _invalid_type("object", value, path)
    return None


def _number_issue(value: object, path: list[str | int]) -> Issue | None:
    if value is MISSING or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _invalid_type("number", value, path)
    return None


def _strings_issue(value: object, path: list[str | int]) -> Issue | None:
    if value is MISSING:
        return None
    if not isinstance(value, list):
        return _invalid_type("array", value, path)
    for index, item in enumerate(value):
        issue = _string_issue(item, [*path, index], optional=False, nullable=False)
        if issue is not None:
            return issue
    return None


def _triggers_issue(value: object) -> Issue | None:
    if value is MISSING:
        return None
    if not isinstance(value, list):
        return _invalid_type("array", value, ["triggers"])
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            return _invalid_type("object", item, ["triggers", index])
        issue = _string_issue(
            item.get("trigger_id", MISSING),
            ["triggers", index, "trigger_id"],
            optional=False,
            nullable=False,
        ) or _strings_issue(item.get("event_types", MISSING), ["triggers", index, "event_types"])
        if issue is not None:
            return issue
    return None


def validate_destination_body(body: object, *, create: bool) -> DestinationInput:
    """``{name, description?, metadata?, url}``; on update every field is optional."""
    fields = _object_or_fail(body, entity="body")
    name = fields.get("name", MISSING)
    description = fields.get("description", MISSING)
    metadata = fields.get("metadata", MISSING)
    url = fields.get("url", MISSING)
    _check(
        _string_issue(name, ["name"], optional=not create, nullable=False)
        or _string_issue(description, ["description"], optional=True, nullable=False)
        or _metadata_issue(metadata, ["metadata"], optional=True)
        or _string_issue(url, ["url"], optional=not create, nullable=False)
    )
    return DestinationInput(
        name=name if isinstance(name, str) else None,
        description=description if isinstance(description, str) else None,
        metadata=metadata if isinstance(metadata, dict) else UNSET,
        url=url if isinstance(url, str) else None,
    )


def validate_callback_body(body: object, *, create: bool) -> CallbackInput:
    fields = _object_or_fail(body, entity="body")
    deployment = fields.get("provider_deployment_id", MISSING)
    name = fields.get("name", MISSING)
    description = fields.get("description", MISSING)
    metadata = fields.get("metadata", MISSING)
    interval = fields.get("poll_interval_seconds_override", MISSING)
    destination_ids = fields.get("destination_ids", MISSING)
    triggers = fields.get("triggers", MISSING)
    _check(
        (
            _string_issue(deployment, ["provider_deployment_id"], optional=False, nullable=False)
            if create
            else None
        )
        or _string_issue(name, ["name"], optional=not create, nullable=False)
        or _string_issue(description, ["description"], optional=True, nullable=False)
        or _metadata_issue(metadata, ["metadata"], optional=True)
        or _number_issue(interval, ["poll_interval_seconds_override"])
        or _strings_issue(destination_ids, ["destination_ids"])
        or _triggers_issue(triggers)
    )
    parsed_triggers: tuple[TriggerInput, ...] | None = None
    if isinstance(triggers, list):
        parsed_triggers = tuple(
            TriggerInput(
                trigger_id=str(item["trigger_id"]),
                event_types=tuple(dict.fromkeys(item.get("event_types") or ())),
            )
            for item in triggers
        )
    elif create:
        parsed_triggers = ()
    ids: tuple[str, ...] | None = None
    if isinstance(destination_ids, list):
        ids = tuple(dict.fromkeys(str(id_) for id_ in destination_ids))
    elif create:
        ids = ()
    poll: float | _Unset | None = UNSET
    if interval is None or isinstance(interval, int | float):
        poll = interval
    elif create:
        poll = None
    return CallbackInput(
        provider_deployment_id=deployment if isinstance(deployment, str) else None,
        name=name if isinstance(name, str) else None,
        description=description if isinstance(description, str) else None,
        metadata=metadata if isinstance(metadata, dict) else UNSET,
        poll_interval=poll,
        destination_ids=ids,
        triggers=parsed_triggers,
    )


# --- queries ------------------------------------------------------------------------------

_ISO = re.compile(
    r"([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2}))?)?"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?",
    re.IGNORECASE,
)


def parse_date(text: str) -> int | None:
    """Epoch-ms of a date string as ``new Date(text)`` reads it (subset, see ``versions.py``)."""
    text = text.strip()
    match = _ISO.fullmatch(text)
    if match is not None:
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        try:
            moment = datetime(
                int(year),
                int(month or 1),
                int(day or 1),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0")[:3].ljust(3, "0")) * 1000,
                tzinfo=UTC,
            )
        except ValueError:
            return None
        ms = int(moment.timestamp() * 1000)
        if zone and zone.upper() != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            ms -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60_000
        return ms
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _query_fail(issue: Issue) -> NoReturn:
    raise invalid_data([issue], entity="query")


_NESTED = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")


@dataclass
class _Query:
    """Query items grouped by top-level name; nested keys kept as their bracket path."""

    items: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> _Query:
        query = cls()
        for key, value in items:
            match = _NESTED.fullmatch(key)
            if match is None:
                continue
            path = tuple(re.findall(r"\[([^\[\]]*)\]", match.group(2)))
            query.items.setdefault(match.group(1), []).append((path, value))
        return query

    def strings(self, name: str) -> tuple[str, ...]:
        """An id-list filter: one or many strings, empty ones dropped."""
        return tuple(
            dict.fromkeys(
                value
                for path, value in self.items.get(name, [])
                if value and (not path or ((len(path) == 1 and path[0].isdigit()) or path == ("",)))
            )
        )

    def dates(self, name: str) -> DateFilter:
        entries = self.items.get(name, [])
        if any(not path for path, _ in entries):
            plain = [value for path, value in entries if not path]
            _query_fail(_invalid_type("object", plain[0] if len(plain) == 1 else plain, [name]))
        bounds: dict[str, int] = {}
        for bound in ("gt", "lt"):
            values = [value for path, value in entries if path == (bound,)]
            if not values:
                continue
            ms = parse_date(values[0]) if len(values) == 1 else None
            if ms is None:
                received = "string" if len(values) == 1 else "array"
                _query_fail(
                    {
                        "code": "invalid_type",
                        "message": f"Invalid input, expected a date, received {received}",
                        "expected": "date",
                        "received": received,
                        "path": [name, bound],
                    }
                )
            else:
                bounds[bound] = ms
        return DateFilter(gt=bounds.get("gt"), lt=bounds.get("lt"))

    def enum(self, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        """An id-list filter whose values must be one of ``allowed`` (400 ``invalid_enum``)."""
        values = self.strings(name)
        for index, value in enumerate(values):
            if value not in allowed:
                path: list[str | int] = [name] if len(values) == 1 else [name, index]
                _query_fail(
                    {
                        "code": "invalid_enum",
                        "message": "Invalid input, expected one of "
                        f"{', '.join(allowed)}, received {js_string(value)}",
                        "expected": list(allowed),
                        "received": value,
                        "path": path,
                    }
                )
        return values

    def statuses(self) -> tuple[str, ...]:
        """The list-utils rule: none given -> active; else given minus deleted, or no filter."""
        values = self.enum("status", STATUSES)
        if not values:
            return ("active",)
        kept = tuple(value for value in values if value != "deleted")
        return kept or STATUSES


def validate_destination_query(
    items: Iterable[tuple[str, str]],
) -> tuple[ListQuery, DateFilter, DateFilter]:
    """Pagination plus ``created_at``/``updated_at`` date filters."""
    pairs = list(items)
    page = validate_list_query(pairs)
    query = _Query.parse(pairs)
    return page, query.dates("created_at"), query.dates("updated_at")


def validate_callback_query(items: Iterable[tuple[str, str]]) -> tuple[ListQuery, CallbackFilter]:
    """Pagination plus ``id``, ``provider_deployment_id``, ``status`` and date filters."""
    pairs = list(items)
    page = validate_list_query(pairs)
    query = _Query.parse(pairs)
    return page, CallbackFilter(
        ids=query.strings("id"),
        deployment_ids=query.strings("provider_deployment_id"),
        statuses=query.statuses(),
        created=query.dates("created_at"),
        updated=query.dates("updated_at"),
    )


def validate_event_query(items: Iterable[tuple[str, str]]) -> tuple[ListQuery, tuple[str, ...]]:
    """Pagination plus ``type`` (one or many; ``id`` and ``source_id`` are accepted and
    ignored, as ``callbackEvent.ts`` passes only ``type`` on)."""
    pairs = list(items)
    page = validate_list_query(pairs)
    return page, _Query.parse(pairs).strings("type")


def validate_notification_query(
    items: Iterable[tuple[str, str]],
) -> tuple[ListQuery, tuple[str, ...], tuple[str, ...]]:
    """Pagination plus ``destination_id`` and ``status`` (pending, failed, delivered,
    retrying; one or many)."""
    pairs = list(items)
    page = validate_list_query(pairs)
    query = _Query.parse(pairs)
    return (
        page,
        query.strings("destination_id"),
        query.enum("status", NOTIFICATION_STATUSES),
    )
