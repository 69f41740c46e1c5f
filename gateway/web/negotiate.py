"""Which media type a GraphQL answer is sent in, and its HTTP status (GraphQL over HTTP).

Two media types are served. `application/graphql-response+json` gets the spec's status
codes: a response without `data` (parse, validation and variable-coercion failures, an
unknown operation, a refused credential) is 4xx/5xx and carries no `data` entry.
`application/json` keeps the legacy behaviour: every GraphQL answer is HTTP 200.

The `Accept` header is read with q-values (RFC 9110 §12.5.1): each media type gets the q of
the most specific range that matches it; the higher q wins; on a tie the type whose range
comes first in the header wins, and `*/*`, `application/*` or no `Accept` at all mean
`application/json` (curl, requests and httpx send `*/*`; they keep getting 200s). A range
with a `charset` other than UTF-8 does not match. Nothing acceptable: 406.

Usage::

    media = negotiate(request.headers.get("accept"))  # None: answer 406
    status = media.status(answer_has_data, first_error_code)
"""

from __future__ import annotations

import dataclasses

__all__ = ["GRAPHQL_RESPONSE_JSON", "JSON", "Media", "negotiate"]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_SERVED = (JSON, GRAPHQL_RESPONSE_JSON)  # on a full tie (only wildcards matched): the first

# The status of an answer without `data` (graphql-response+json), by its first error's code.
_STATUS_BY_CODE = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "RATE_LIMITED": 429,
    "INTERNAL_SERVER_ERROR": 500,
    "UPSTREAM_ERROR": 502,
    "UPSTREAM_UNAVAILABLE": 503,
    "UPSTREAM_TIMEOUT": 504,
}


@dataclasses.dataclass(frozen=True)
class Media:
    """The negotiated answer format."""

    media_type: str

    @property
    def spec_statuses(self) -> bool:
        """Whether answers without `data` get 4xx/5xx (and request errors carry no `data`)."""
        return self.media_type == GRAPHQL_RESPONSE_JSON

    @property
    def content_type(self) -> str:
        return self.media_type + "; charset=utf-8" if self.spec_statuses else self.media_type

    def status(self, *, has_data: bool, code: str | None) -> int:
        """The HTTP status of one GraphQL answer."""
        if has_data or not self.spec_statuses:
            return 200
        return _STATUS_BY_CODE.get(code or "", 400)


DEFAULT = Media(JSON)


def negotiate(accept: str | None) -> Media | None:
    """The media type to answer in, or None when the client accepts neither (406)."""
    if accept is None or not accept.strip():
        return DEFAULT
    best: tuple[float, int, int, int] | None = None  # (q, specificity, -position, -preference)
    chosen = None
    for preference, served in enumerate(_SERVED):
        match = _match(accept, served)
        if match is None:
            continue
        q, specificity, position = match
        rank = (q, specificity, -position, -preference)
        if q > 0 and (best is None or rank > best):
            best, chosen = rank, served
    return None if chosen is None else Media(chosen)


def _match(accept: str, served: str) -> tuple[float, int, int] | None:
    """(q, specificity, position) of the most specific range in `accept` matching `served`."""
    kind, subtype = served.split("/")
    found: tuple[float, int, int] | None = None
    for position, item in enumerate(accept.split(",")):
        media_range, *params = (part.strip() for part in item.split(";"))
        if "/" not in media_range:
            continue
        want_kind, want_sub = (part.lower() for part in media_range.split("/", 1))
        if want_kind == "*" and want_sub == "*":
            specificity = 0
        elif want_kind == kind and want_sub == "*":
            specificity = 1
        elif want_kind == kind and want_sub == subtype:
            specificity = 2
        else:
            continue
        q = 1.0
        acceptable = True
        for param in params:
            name, _, value = param.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"').lower()
            if name == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    acceptable = False
            elif name == "charset" and value not in {"utf-8", "utf8"}:
                acceptable = False
        if acceptable and (found is None or specificity > found[1]):
            found = (q, specificity, position)
    return found
