"""Accept header negotiation (GraphQL over HTTP, RFC 9110 q-values)."""

from __future__ import annotations

import pytest

from gateway.web.negotiate import GRAPHQL_RESPONSE_JSON, JSON, Media, negotiate

SPEC = GRAPHQL_RESPONSE_JSON


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (SPEC, SPEC),
        (f"{SPEC}, {JSON}", SPEC),
        (f"{JSON}, {SPEC}", JSON),
        (f"{SPEC}, {JSON};q=0.9", SPEC),
        (f"{JSON};q=0.5, {SPEC}", SPEC),
        (f"{SPEC};q=0.1, {JSON}", JSON),
        (f"*/*;q=0.1, {SPEC}", SPEC),
        (f"*/*, {JSON};q=0", SPEC),
        (f"{SPEC}, application/graphql+json, {JSON}, text/event-stream, multipart/mixed", SPEC),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        (f"{SPEC}; charset=utf-8", SPEC),
        (f"{SPEC.upper()}", SPEC),
        (f"{JSON};charset=iso-8859-1, {SPEC};q=0.2", SPEC),
    ],
)
def test_accept_picks_the_highest_priority_served_media_type(
    accept: str | None, chosen: str
) -> None:
    media = negotiate(accept)
    assert media is not None
    assert media.media_type == chosen


@pytest.mark.parametrize(
    "accept",
    [
        "text/plain",
        "application/xml",
        "text/*",
        f"{SPEC};q=0",
        f"{JSON};q=0, {SPEC};q=0",
        f"{JSON};charset=iso-8859-1",
        "*/*;q=0",
        f"{JSON};q=nonsense",
        "garbage",
    ],
)
def test_accept_without_a_served_media_type_is_not_acceptable(accept: str) -> None:
    assert negotiate(accept) is None


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (None, 400),
        ("BAD_USER_INPUT", 400),
        ("GRAPHQL_VALIDATION_FAILED", 400),
        ("UNAUTHENTICATED", 401),
        ("FORBIDDEN", 403),
        ("RATE_LIMITED", 429),
        ("UPSTREAM_UNAVAILABLE", 503),
    ],
)
def test_spec_media_type_answers_without_data_are_4xx_or_5xx(code: str | None, status: int) -> None:
    assert Media(SPEC).status(has_data=False, code=code) == status
    assert Media(SPEC).status(has_data=True, code=code) == 200
    assert Media(JSON).status(has_data=False, code=code) == 200
