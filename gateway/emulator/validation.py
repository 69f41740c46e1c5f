"""Zod-like validation of request bodies and list queries.

Errors use Metorial's ``invalid_data`` envelope. Only the first failing field is reported,
in the order the fields are checked (for bodies: name, description, url, callbacks).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from gateway.emulator.errors import ApiError, bad_request, invalid_data

__all__ = [
    "MAX_STRING_LENGTH",
    "CallbackSelection",
    "CreateInput",
    "ListQuery",
    "UpdateInput",
    "parse_json_body",
    "validate_create_body",
    "validate_list_query",
    "validate_update_body",
]

MAX_STRING_LENGTH = 100_000
MIN_LIMIT = 1
MAX_LIMIT = 100
ORDERS = ("asc", "desc")
CALLBACK_TYPES = ("all", "selected")

Path = list[str | int]
Issue = dict[str, object]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


@dataclass(frozen=True, kw_only=True)
class CallbackSelection:
    type: Literal["all", "selected"]
    callback_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CreateInput:
    name: str
    description: str | None
    url: str
    callbacks: CallbackSelection


@dataclass(frozen=True, kw_only=True)
class UpdateInput:
    """``None`` means "leave unchanged"; an explicit ``description: null`` arrives as ``""``."""

    name: str | None = None
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    limit: int = 20
    order: Literal["asc", "desc"] = "asc"
    after: str | None = None
    before: str | None = None
    cursor: str | None = None
    callback_ids: tuple[str, ...] = ()


# --- JSON ---------------------------------------------------------------------------------


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def parse_json_body(raw: bytes) -> object:
    """Parse a request body as strict JSON (an empty body reads as ``{}``)."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise bad_request(
            "Invalid JSON body", reason="invalid_json_body", envelope="__typename"
        ) from None


# --- issue builders -----------------------------------------------------------------------


def type_name(value: object) -> str:
    """The name zod gives a JSON value's type (``undefined`` when missing)."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _js_string(value: object) -> str:
    """``String(value)`` as JavaScript would write it, for messages."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, list):
        return ",".join("" if item is None else _js_string(item) for item in value)
    return "[object Object]"


def _invalid_type(
    expected: str, value: object, path: Path, *, received: str | None = None
) -> Issue:
    received = received or type_name(value)
    return {
        "code": "invalid_type",
        "message": f"Invalid input, expected {expected}, received {received}",
        "expected": expected,
        "received": received,
        "path": path,
    }


def _with_received(issue: Issue, value: object) -> Issue:
    # JSON.stringify drops an undefined `received`; so do we.
    if value is not MISSING:
        issue["received"] = value
    return issue


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _string_issue(value: object, path: Path, *, optional: bool, nullable: bool) -> Issue | None:
    if value is MISSING and optional:
        return None
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        return _invalid_type("string", value, path)
    length = _utf16_length(value)
    if length > MAX_STRING_LENGTH:
        return {
            "code": "max_length",
            "message": f"Invalid max length, expected {MAX_STRING_LENGTH}",
            "expected": MAX_STRING_LENGTH,
            "received": length,
            "max": MAX_STRING_LENGTH,
            "path": path,
        }
    return None


def _object_or_fail(body: object, *, entity: str) -> dict[str, object]:
    if not isinstance(body, dict):
        raise invalid_data([_invalid_type("object", body, [])], entity=entity)
    return body


# --- bodies -------------------------------------------------------------------------------


def _callbacks_issue(value: object) -> Issue | None:
    if not isinstance(value, dict):
        return _invalid_type("object", value, ["callbacks"])
    kind = value.get("type", MISSING)
    if kind not in CALLBACK_TYPES or not isinstance(kind, str):
        return _with_received(
            {
                "code": "invalid_literal",
                "message": f"Invalid input, expected all or selected, received {_js_string(kind)}",
                "expected": list(CALLBACK_TYPES),
                "path": ["callbacks", "type"],
            },
            kind,
        )
    if kind == "all":
        return None
    ids = value.get("callback_id", MISSING)
    if not isinstance(ids, list):
        return _invalid_type("array", ids, ["callbacks", "callback_id"])
    for index, item in enumerate(ids):
        issue = _string_issue(
            item, ["callbacks", "callback_id", index], optional=False, nullable=False
        )
        if issue is not None:
            return issue
    return None


def validate_create_body(body: object) -> CreateInput:
    fields = _object_or_fail(body, entity="body")
    name = fields.get("name", MISSING)
    description = fields.get("description", MISSING)
    url = fields.get("url", MISSING)
    callbacks = fields.get("callbacks", MISSING)
    issue = (
        _string_issue(name, ["name"], optional=False, nullable=False)
        or _string_issue(description, ["description"], optional=True, nullable=False)
        or _string_issue(url, ["url"], optional=False, nullable=False)
        or _callbacks_issue(callbacks)
    )
    if issue is not None:
        raise invalid_data([issue], entity="body")
    assert isinstance(name, str)
    assert isinstance(url, str)
    assert isinstance(callbacks, dict)
    if callbacks["type"] == "all":
        selection = CallbackSelection(type="all")
    else:
        ids = callbacks["callback_id"]
        assert isinstance(ids, list)
        selection = CallbackSelection(
            type="selected", callback_ids=tuple(dict.fromkeys(str(id_) for id_ in ids))
        )
    return CreateInput(
        name=name,
        description=description if isinstance(description, str) else None,
        url=url,
        callbacks=selection,
    )


def validate_update_body(body: object) -> UpdateInput:
    fields = _object_or_fail(body, entity="body")
    name = fields.get("name", MISSING)
    description = fields.get("description", MISSING)
    issue = _string_issue(name, ["name"], optional=True, nullable=False) or _string_issue(
        description, ["description"], optional=True, nullable=True
    )
    if issue is not None:
        raise invalid_data([issue], entity="body")
    return UpdateInput(
        name=name if isinstance(name, str) else None,
        description=(
            "" if description is None else description if isinstance(description, str) else None
        ),
    )


# --- queries ------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_CALLBACK_ID_KEY = re.compile(r"callback_id(\[\d*\])?")


def _query_error(issue: Issue) -> ApiError:
    return invalid_data([issue], entity="query")


def _single(values: Sequence[str], name: str, expected: str) -> str | None:
    if len(values) > 1:
        raise _query_error(_invalid_type(expected, list(values), [name]))
    return values[0] if values else None


def _parse_limit(values: Sequence[str]) -> int:
    raw = _single(values, "limit", "number")
    if raw is None:
        return 20
    if not _NUMBER.fullmatch(raw):
        raise _query_error(_invalid_type("number", raw, ["limit"]))
    number = float(raw)
    if not math.isfinite(number) or not number.is_integer():
        raise _query_error(_invalid_type("integer", raw, ["limit"], received="float"))
    limit = int(number)
    if limit < MIN_LIMIT:
        raise _query_error(
            {
                "code": "invalid_min",
                "message": f"Invalid min, expected {MIN_LIMIT}",
                "expected": MIN_LIMIT,
                "received": limit,
                "min": MIN_LIMIT,
                "path": ["limit"],
            }
        )
    if limit > MAX_LIMIT:
        raise _query_error(
            {
                "code": "invalid_max",
                "message": f"Invalid max, expected {MAX_LIMIT}",
                "expected": MAX_LIMIT,
                "received": limit,
                "max": MAX_LIMIT,
                "path": ["limit"],
            }
        )
    return limit


def _parse_order(values: Sequence[str]) -> Literal["asc", "desc"]:
    if not values:
        return "asc"
    value: object = values[0] if len(values) == 1 else list(values)
    if value == "asc":
        return "asc"
    if value == "desc":
        return "desc"
    raise _query_error(
        {
            "code": "invalid_enum",
            "message": f"Invalid input, expected one of asc, desc, received {_js_string(value)}",
            "expected": list(ORDERS),
            "received": value,
            "path": ["order"],
        }
    )


def validate_list_query(
    items: Iterable[tuple[str, str]], *, callback_filter: bool = False
) -> ListQuery:
    """Validate list query parameters (unknown ones are ignored; empty strings mean absent)."""
    grouped: dict[str, list[str]] = {}
    callback_ids: list[str] = []
    for key, value in items:
        if callback_filter and _CALLBACK_ID_KEY.fullmatch(key):
            callback_ids.append(value)
        else:
            grouped.setdefault(key, []).append(value)
    limit = _parse_limit(grouped.get("limit", []))
    after = _single(grouped.get("after", []), "after", "string")
    before = _single(grouped.get("before", []), "before", "string")
    cursor = _single(grouped.get("cursor", []), "cursor", "string")
    order = _parse_order(grouped.get("order", []))
    return ListQuery(
        limit=limit,
        order=order,
        after=after or None,
        before=before or None,
        cursor=cursor or None,
        callback_ids=tuple(dict.fromkeys(id_ for id_ in callback_ids if id_)),
    )
