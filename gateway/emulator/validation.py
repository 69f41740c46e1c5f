"""Request bodies and list queries, read and validated as Metorial's server does.

Parsing follows ``src/packages/server/rest/src/parseBody.ts`` (see :func:`parse_body`) and
``server.ts`` (queries through ``qs``, see ``qs.py``). Validation is a small port of the
validators of ``src/packages/shared/validation/src/validators/`` (never their code, their
behaviour), applied as ``controller.ts`` does: the body (``body ?? {}``) first, then the query;
the first failure is the answer (``invalid_data``, ``entity`` ``body`` or ``query``).

What the validators do, and this module with them:

- ``received`` is JavaScript's ``typeof``: ``null``, arrays and objects all read ``"object"``;
  a missing value reads ``"undefined"``. The one exception is ``object``: it reports
  ``received: "array"`` for an array while its message still says ``received object``.
- An object stops at its first failing property, in the order of its shape; a union reports
  the errors of every branch; an intersection stops at its first failing part. Paths are
  built on the way out, so a root error has no ``path`` and array indices are strings.
- ``string`` allows up to 100,000 UTF-16 code units; longer is ``{code: "max_length",
  message: "Input is too long", path}`` only.
- ``number`` reads a string with ``parseFloat`` (``"10abc"`` is 10, ``""`` is invalid), and
  its ``minValue``/``maxValue`` modifiers compare the *raw* value the JavaScript way, so
  ``limit=0`` fails with ``received: "0"`` (a string) and ``limit=0x10`` passes both checks
  (``Number("0x10")`` is 16) while its value is ``parseFloat("0x10")`` = 0.
- ``literal`` compares with ``!=`` (loose), so ``{"type": ["all"]}`` matches ``"all"``;
  ``enumOf`` uses ``includes`` (strict).
- Unknown properties are dropped.

Readings where the source leaves a choice:

- The paginator clamps the validated limit into 1..100 (``paginator.ts``) and hands
  ``limit + 2`` to Prisma's ``take``, which only takes integers: a fractional limit such as
  ``1.5`` therefore ends in a 500 ``internal_server_error`` (see ``pagination.py``).
- Bodies are decoded as UTF-8 with replacement, a leading byte-order mark dropped (what
  ``Request.text()`` does); ``NaN``/``Infinity`` are not JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import urlencode

from gateway.emulator import qs
from gateway.emulator.errors import bad_request, invalid_data

__all__ = [
    "MAX_STRING_LENGTH",
    "MISSING",
    "CallbackSelection",
    "CreateInput",
    "ListQuery",
    "UpdateInput",
    "js_number",
    "js_parse_float",
    "js_typeof",
    "parse_body",
    "parse_query",
    "validate_create_body",
    "validate_list_query",
    "validate_update_body",
]

MAX_STRING_LENGTH = 100_000
MIN_LIMIT = 1
MAX_LIMIT = 100
DEFAULT_LIMIT = 20

Issue = dict[str, object]


class _Missing:
    """JavaScript's ``undefined``."""

    def __repr__(self) -> str:
        return "undefined"


MISSING: Final = _Missing()


# --- JavaScript semantics -----------------------------------------------------------------

_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501
_DECIMAL = r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
_FLOAT_PREFIX = re.compile(_DECIMAL)
_RADIX = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def _decimal(text: str) -> float:
    unsigned = text.lstrip("+-")
    number = math.inf if unsigned == "Infinity" else float(unsigned)
    return -number if text.startswith("-") else number


def js_parse_float(text: str) -> float:
    """``parseFloat(text)``: the longest decimal prefix after leading white space, else NaN."""
    match = _FLOAT_PREFIX.match(text.lstrip(_JS_SPACE))
    return _decimal(match.group(0)) if match else math.nan


def js_number(value: object) -> float:
    """``Number(value)`` for the values a query or JSON body can hold."""
    if value is MISSING:
        return math.nan
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip(_JS_SPACE)
        if not text:
            return 0.0
        if _RADIX.fullmatch(text):
            return float(int(text, 0))
        return _decimal(text) if re.fullmatch(_DECIMAL, text) else math.nan
    if isinstance(value, list):
        return js_number(js_string(value))
    return math.nan


def js_typeof(value: object) -> str:
    if value is MISSING:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def _js_number_string(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    return repr(number).replace("e-0", "e-").replace("e+0", "e+")


def js_string(value: object) -> str:
    """``String(value)`` (as a template literal writes it)."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number_string(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(
            "" if item is None or item is MISSING else js_string(item) for item in value
        )
    return "[object Object]"


def _loosely_equals(value: object, literal: str) -> bool:
    """``value == literal`` for a string literal."""
    if isinstance(value, str):
        return value == literal
    if value is None or value is MISSING:
        return False
    if isinstance(value, bool | int | float):
        return js_number(value) == js_number(literal)
    return js_string(value) == literal


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- validators ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    ok: bool
    value: object = None
    errors: list[Issue] = field(default_factory=list)


Validator = Callable[[object], _Result]


def _ok(value: object) -> _Result:
    return _Result(True, value)


def _fail(*errors: Issue) -> _Result:
    return _Result(False, errors=list(errors))


def _with_path(errors: list[Issue], key: str) -> list[Issue]:
    result = []
    for error in errors:
        inner = error.get("path", [])
        assert isinstance(inner, list)
        result.append({**{k: v for k, v in error.items() if k != "path"}, "path": [key, *inner]})
    return result


def string() -> Validator:
    def validate(value: object) -> _Result:
        if not isinstance(value, str):
            kind = js_typeof(value)
            return _fail(
                {
                    "code": "invalid_type",
                    "message": f"Invalid input, expected string, received {kind}",
                    "received": kind,
                    "expected": "string",
                }
            )
        if _utf16_length(value) > MAX_STRING_LENGTH:
            return _fail({"code": "max_length", "message": "Input is too long"})
        return _ok(value)

    return validate


def number(*, minimum: float, maximum: float) -> Validator:
    def validate(value: object) -> _Result:
        parsed = js_parse_float(value) if isinstance(value, str) else value
        if isinstance(parsed, bool) or not isinstance(parsed, int | float) or math.isnan(parsed):
            kind = js_typeof(value)
            return _fail(
                {
                    "code": "invalid_type",
                    "message": f"Invalid input, expected number, received {kind}",
                    "received": kind,
                    "expected": "number",
                }
            )
        raw = js_number(value)
        if raw < minimum:
            return _fail(
                {
                    "code": "invalid_min",
                    "message": f"Invalid min, expected {minimum:g}",
                    "expected": minimum,
                    "received": value,
                    "min": minimum,
                }
            )
        if raw > maximum:
            return _fail(
                {
                    "code": "invalid_max",
                    "message": f"Invalid max, expected {maximum:g}",
                    "expected": maximum,
                    "received": value,
                    "max": maximum,
                }
            )
        return _ok(parsed)

    return validate


def literal(expected: str) -> Validator:
    def validate(value: object) -> _Result:
        if not _loosely_equals(value, expected):
            return _fail(
                {
                    "code": "invalid_literal",
                    "message": f"Invalid input, expected {expected}, received {js_string(value)}",
                    "received": value,
                    "expected": expected,
                }
            )
        return _ok(expected)

    return validate


def enum_of(values: Sequence[str]) -> Validator:
    def validate(value: object) -> _Result:
        if not (isinstance(value, str) and value in values):
            return _fail(
                {
                    "code": "invalid_enum",
                    "message": (
                        f"Invalid input, expected one of {', '.join(values)}, "
                        f"received {js_string(value)}"
                    ),
                    "received": value,
                    "expected": list(values),
                }
            )
        return _ok(value)

    return validate


def array(item: Validator) -> Validator:
    def validate(value: object) -> _Result:
        if not isinstance(value, list):
            kind = js_typeof(value)
            return _fail(
                {
                    "code": "invalid_type",
                    "message": f"Invalid input, expected array, received {kind}",
                    "received": kind,
                    "expected": "array",
                }
            )
        values = []
        for index, element in enumerate(value):
            result = item(element)
            if not result.ok:
                return _fail(*_with_path(result.errors, str(index)))
            values.append(result.value)
        return _ok(values)

    return validate


def obj(shape: Mapping[str, Validator]) -> Validator:
    def validate(value: object) -> _Result:
        if not isinstance(value, dict):
            kind = js_typeof(value)
            return _fail(
                {
                    "code": "invalid_type",
                    "message": f"Invalid input, expected object, received {kind}",
                    "received": "array" if isinstance(value, list) else kind,
                    "expected": "object",
                }
            )
        values: dict[str, object] = {}
        for key, validator in shape.items():
            result = validator(value.get(key, MISSING))
            if not result.ok:
                return _fail(*_with_path(result.errors, key))
            values[key] = result.value
        return _ok(values)

    return validate


def optional(inner: Validator) -> Validator:
    return lambda value: _ok(MISSING) if value is MISSING else inner(value)


def nullable(inner: Validator) -> Validator:
    return lambda value: _ok(None) if value is None else inner(value)


def union(*branches: Validator) -> Validator:
    def validate(value: object) -> _Result:
        errors: list[Issue] = []
        for branch in branches:
            result = branch(value)
            if result.ok:
                return result
            errors.extend(result.errors)
        return _fail(*errors)

    return validate


def intersection(*parts: Validator) -> Validator:
    def validate(value: object) -> _Result:
        merged: dict[str, object] = {}
        for part in parts:
            result = part(value)
            if not result.ok:
                return result
            assert isinstance(result.value, dict)
            merged.update(result.value)
        return _ok(merged)

    return validate


def _clean(error: Issue) -> Issue:
    # JSON.stringify drops undefined properties.
    return {key: value for key, value in error.items() if value is not MISSING}


def run(validator: Validator, value: object, *, entity: str) -> dict[str, object]:
    """Validate, or raise ``invalid_data`` for ``entity``; returns the cleaned object."""
    result = validator(value)
    if not result.ok:
        raise invalid_data([_clean(error) for error in result.errors], entity=entity)
    assert isinstance(result.value, dict)
    return result.value


# --- bodies and queries -------------------------------------------------------------------


def parse_body(content_type: str | None, raw: bytes) -> object:
    """``parseBody.ts``: the request body as the validators will see it (``None``: no body).

    No (or an empty) ``Content-Type``: the body is ignored. A type containing
    ``application/json``: strict JSON (an empty body is invalid JSON). A type containing
    ``application/x-www-form-urlencoded``: ``qs``. Anything else: 400. Runs for every method.
    """
    if not content_type:
        return None
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    if "application/json" in content_type:
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise bad_request("Invalid JSON body", reason="invalid_json_body") from None
    if "application/x-www-form-urlencoded" in content_type:
        return qs.parse(text)
    raise bad_request(f"Unsupported content type {content_type}", reason="unsupported_content_type")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def parse_query(query_string: str) -> dict[str, object]:
    """``qs.parse(url.search, {ignoreQueryPrefix: true})``."""
    return qs.parse(query_string, ignore_query_prefix=True)


def _body(body: object) -> object:
    return {} if body is None else body


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


_CREATE_BODY = obj(
    {
        "name": string(),
        "description": optional(string()),
        "url": string(),
        "callbacks": union(
            obj({"type": literal("all")}),
            obj({"type": literal("selected"), "callback_id": array(string())}),
        ),
    }
)
_UPDATE_BODY = obj({"name": optional(string()), "description": optional(nullable(string()))})


def validate_create_body(body: object) -> CreateInput:
    """``callbackDestination.ts`` create body (``controllers/instance``)."""
    data = run(_CREATE_BODY, _body(body), entity="body")
    name, description, url, callbacks = (
        data["name"],
        data["description"],
        data["url"],
        data["callbacks"],
    )
    assert isinstance(name, str)
    assert isinstance(url, str)
    assert isinstance(callbacks, dict)
    if callbacks["type"] == "all":
        selection = CallbackSelection(type="all")
    else:
        ids = callbacks["callback_id"]
        assert isinstance(ids, list)
        selection = CallbackSelection(type="selected", callback_ids=tuple(map(str, ids)))
    return CreateInput(
        name=name,
        description=description if isinstance(description, str) else None,
        url=url,
        callbacks=selection,
    )


def validate_update_body(body: object) -> UpdateInput:
    """``callbackDestination.ts`` update body (``controllers/instance``)."""
    data = run(_UPDATE_BODY, _body(body), entity="body")
    name, description = data["name"], data["description"]
    return UpdateInput(
        name=name if isinstance(name, str) else None,
        description=(
            "" if description is None else description if isinstance(description, str) else None
        ),
    )


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    limit: float = DEFAULT_LIMIT
    order: Literal["asc", "desc"] = "asc"
    after: str | None = None
    before: str | None = None
    cursor: str | None = None
    #: ``normalizeArrayParam`` of each filter parameter: ``None`` when absent or all empty.
    filters: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)

    @property
    def callback_ids(self) -> tuple[str, ...] | None:
        return self.filters.get("callback_id")


_PAGINATOR = obj(
    {
        "limit": optional(number(minimum=MIN_LIMIT, maximum=MAX_LIMIT)),
        "after": optional(string()),
        "before": optional(string()),
        "cursor": optional(string()),
        "order": optional(enum_of(("asc", "desc"))),
    }
)
_ID_FILTER = optional(union(string(), array(string())))


def _normalize_array_param(value: object) -> tuple[str, ...] | None:
    """``lib/normalizeArrayParam.ts``: a value or list, empty strings dropped, none -> absent."""
    items = value if isinstance(value, list) else [value]
    kept = tuple(str(item) for item in items if isinstance(item, str) and item)
    return kept or None


def validate_list_query(
    query: Mapping[str, object] | Iterable[tuple[str, str]], *, filters: Sequence[str] = ()
) -> ListQuery:
    """``Paginator.validate(v.object({<filter>: optional(union([string, array(string)]))}))``.

    ``query`` is the ``qs`` object, or raw ``(name, value)`` pairs (read through ``qs``; the
    2026-02-01 routes pass those, and share the paginator).
    """
    if not isinstance(query, Mapping):
        query = qs.parse(urlencode(list(query)))
    validator = intersection(_PAGINATOR, obj(dict.fromkeys(filters, _ID_FILTER)))
    data = run(validator, dict(query), entity="query")
    limit = data["limit"]
    order = data["order"]

    def text(name: str) -> str | None:
        value = data[name]
        return value if isinstance(value, str) and value else None

    return ListQuery(
        limit=DEFAULT_LIMIT if limit is MISSING else float(limit),  # type: ignore[arg-type]
        order="desc" if order == "desc" else "asc",
        after=text("after"),
        before=text("before"),
        cursor=text("cursor"),
        filters={name: _normalize_array_param(data[name]) for name in filters},
    )


# --- helpers of the 2026-02-01 body validators (validation_v2026.py) ------------------------
# Kept as they were written for 2026-02-01 bodies; 2025-01-01 uses the validators above.

Path = list[str | int]


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
