"""API versions: which one a request gets, and every choice made where a contract is silent.

Selection (contract-2026 §1, Metorial's ``server.ts``): the value of the ``metorial-version``
header, else of the ``api-version`` query parameter, counts only when it is an internal version
key of a version this emulator serves (``EmulatorConfig.served_versions``)::

    mt_2025_01_01_pulsar    -> 2025-01-01
    mt_2026_01_01_magnetar  -> 2026-02-01  (generation MA)

Anything else (display names such as ``2026-02-01``, aliases, keys of versions not served) is
ignored and ``EmulatorConfig.api_version`` (default ``2026-02-01``, as the newest server) is
used. The ``metorial-version`` response header is the display name of the version served.
Routes of one version do not exist in the other (404 ``endpoint``).

Choices where ``upstream-contract-2026.md`` says UNCONFIRMED (this is the one place they are
written down; change them here and in the module named):

1. Keys may use every served version: no 406 "Invalid API version" is ever answered.
2. Ids keep the 2025 scheme and prefixes (``cld_`` destinations, ``clb_`` callbacks) in both
   versions, since one store serves both; a callback's provider trigger rows are ``cbpt_``.
3. Archive semantics are the newer service's (§5.2): an archived destination is 404 under
   2026-02-01 for GET, PATCH and DELETE and is never listed. Callbacks follow the same rule
   (GET/PATCH/DELETE of an archived callback: 404 ``callback``), but ``GET /callbacks`` applies
   the list-utils ``status`` rules of §4.2, so ``status=archived`` lists archived callbacks.
4. Error envelopes (§3): errors raised by a 2026-02-01 operation (validation, not found,
   ``bad_request`` and the MA service codes) are ``{"object": "error", ...}``; authentication,
   scope, rate limit, instance, unknown-endpoint, invalid-JSON and 500 errors are the platform's
   ``{"__typename": "error", ...}`` in both versions (``errors.py``).
5. Validation wording and codes are the 2025 ones (``validation.py``); MA body fields are checked
   in the order the contract lists them, first failure only.
6. Date filters (``created_at[gt]``, ``..[lt]``, ``updated_at[..]``) are strict inequalities at
   millisecond precision. Accepted dates: ISO-8601 (date only, or date-time with optional
   seconds, fraction and offset; no offset reads as UTC) and RFC 2822 dates; anything else is
   400 ``invalid_data`` / ``invalid_type`` "Invalid input, expected a date, received string"
   (``validation_v2026.py``). A filter given as a plain string (``created_at=x``) is
   ``invalid_type`` "expected object".
7. MA service checks run in this order after body validation (``v2026.py``): callback lookup
   (PATCH), provider deployment lookup (POST, 404 ``provider.deployment``), poll interval
   (``invalid_poll_interval``), destination count (``callback_destination_limit_exceeded``),
   destinations active in the instance (``bad_request``), triggers (``invalid_callback_trigger``).
   The destination URL check runs after body validation (``urls.py``).
8. The MA destination object carries no signing secret (the SDK shape); every destination still
   gets one at creation, shown by 2025-01-01's ``webhook_destination``.
9. A callback's ``destinations`` are ordered by destination id (creation order).
10. Each instance has one seeded provider deployment (``store.provider_deployment_id``) whose
    specification has the triggers ``record.created``, ``record.updated``, ``record.deleted``;
    a ``trigger_id`` may be a trigger's key or its id.
11. Cross-version mapping (``store.py``, ``presenters.py``): archived callbacks are gone from
    2025-01-01 reads and selections too; a 2025 callback's null ``name`` reads ``""`` under
    2026-02-01; replacing a callback's ``destination_ids`` leaves links of archived
    destinations alone. The request pipeline is shared (``app.py``), so both versions follow
    Metorial's ``server.ts`` order of checks: every route also exists under
    ``/instances/{instance_id}`` and ``/dashboard/instances/{instance_id}``, an instance-bound
    key acts on its own instance whatever the path says, and a 2026-02-01 operation is
    authorized (403) by the pipeline right before it runs, after routing and body parsing.
12. Delivery log (``deliveries.py``, ``presenters.py``, ``routes_v2026.py``): one store for
    both versions. Notification status 2025 ``pending|succeeded|retrying|failed`` is MA
    ``pending|delivered|retrying|failed`` (``deliveries.MA_STATUS``). The nested MA
    ``destination.id`` (and ``webhook.id``) is the ``callback.destination`` id, so
    ``?destination_id=`` takes it too; ``retry`` is ``{exponential, 21, 2}``. MA ``error`` is
    the last failed attempt's (``request_failed`` with the error text, or
    ``unexpected_status``), null once delivered. An event's MA ``delivery_status`` is
    ``skipped`` without notifications, ``pending`` while one is open, ``sent`` when all
    succeeded, else ``failed``; ``trigger_key`` is its type, ``source_id`` ``"emulator"``,
    ``input``/``output`` its payload. ``/callbacks/{id}/...`` routes look the callback up
    (404 ``callback``) before validating the query; an event or notification of another
    callback is 404.
13. Deliveries (``sender.py``): ``Metorial-Version: 2025-01-01`` in both versions (§6), the
    signature's host is the URL's host with a non-default port, 21 attempts in all.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final, Literal

__all__ = [
    "DEFAULT_VERSION",
    "V2025",
    "V2026",
    "VERSIONS",
    "VERSION_KEYS",
    "ApiVersion",
    "select_version",
]

ApiVersion = Literal["2025-01-01", "2026-02-01"]

V2025: Final = "2025-01-01"
V2026: Final = "2026-02-01"
VERSIONS: tuple[ApiVersion, ...] = (V2025, V2026)
DEFAULT_VERSION: ApiVersion = V2026

#: Internal version key -> display name. Only these select a version.
VERSION_KEYS: Mapping[str, ApiVersion] = {
    "mt_2025_01_01_pulsar": V2025,
    "mt_2026_01_01_magnetar": V2026,
}

VERSION_HEADER = "metorial-version"
VERSION_QUERY = "api-version"


def select_version(
    header: str | None,
    query: str | None,
    *,
    default: ApiVersion,
    served: Collection[ApiVersion],
) -> ApiVersion:
    """The version a request gets: the header's key, else the query's, else ``default``.

    A value counts only when it is a key of a served version; the header is read first and,
    when present but not such a key, the query parameter is still not consulted (``server.ts``
    reads the query only when the header is absent).
    """
    raw = header if header is not None else query
    version = VERSION_KEYS.get(raw.strip()) if raw is not None else None
    if version is not None and version in served:
        return version
    return default
