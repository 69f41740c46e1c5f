"""Metorial's error envelopes, and one constructor per error the emulator answers with.

Two envelopes exist (contract-2026 §3): ``@metorial/error`` writes ``"__typename": "error"``
(every 2025-01-01 error; in 2026-02-01 the platform's own errors: auth, scopes, rate limit,
instance, unknown endpoint, invalid JSON, 500) and ``@lowerdeck/error`` writes
``"object": "error"`` (errors of the 2026-02-01 controllers and services). An error built
without an envelope takes the one of the operation that raised it (see ``app.py``).

Messages and hints are those of ``src/packages/shared/error/src/defaultErrors.ts`` and of
the module that raises each error (cited at each constructor).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

__all__ = [
    "ApiError",
    "Envelope",
    "bad_request",
    "endpoint_not_found",
    "forbidden",
    "internal_server_error",
    "invalid_data",
    "kebab_case",
    "not_found",
    "rate_limit_exceeded",
    "service_error",
    "unauthorized",
]


Envelope = Literal["__typename", "object"]


class ApiError(Exception):
    """An error response: ``{"__typename"|"object": "error", "ok": false, "status", "code", ...}``.

    ``envelope`` fixes the key; ``None`` leaves it to the operation that raised the error.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        hint: str | None = None,
        extras: Mapping[str, object] | None = None,
        envelope: Envelope | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.extras: dict[str, object] = dict(extras or {})
        self.envelope: Envelope | None = envelope

    def __repr__(self) -> str:
        return f"ApiError(status={self.status}, code={self.code!r}, message={self.message!r})"

    def to_body(self, default: Envelope = "__typename") -> dict[str, object]:
        body: dict[str, object] = {
            self.envelope or default: "error",
            "ok": False,
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.hint is not None:
            body["hint"] = self.hint
        body.update(self.extras)
        return body


def invalid_data(errors: Sequence[Mapping[str, object]], *, entity: str) -> ApiError:
    return ApiError(
        400,
        "invalid_data",
        "The provided data is invalid.",
        hint=(
            "Make sure the data you are sending follows the specification outlined in the "
            "documentation."
        ),
        extras={"errors": [dict(error) for error in errors], "entity": entity},
    )


def bad_request(
    message: str,
    *,
    reason: str | None = None,
    hint: str | None = None,
    envelope: Envelope | None = None,
) -> ApiError:
    """``badRequestError`` (defaultErrors.ts) with the caller's message, reason and hint."""
    return ApiError(
        400,
        "bad_request",
        message,
        hint=hint,
        extras={"reason": reason} if reason else None,
        envelope=envelope,
    )


def service_error(code: str, message: str) -> ApiError:
    """A 400 with a service-specific code (``invalid_poll_interval``, ...)."""
    return ApiError(400, code, message)


#: ``unauthorizedError``'s default hint (defaultErrors.ts), kept when a caller sets none.
UNAUTHORIZED_HINT = (
    "Make sure you are logged in and have the correct permissions to access this resource."
)


def unauthorized(
    message: str, *, description: str | None = None, hint: str = UNAUTHORIZED_HINT
) -> ApiError:
    """401 as the bearer and auth modules raise it (see auth.py)."""
    return ApiError(
        401,
        "unauthorized",
        message,
        hint=hint,
        extras={"description": description} if description is not None else None,
    )


def forbidden() -> ApiError:
    """The access module's 403 (``modules/access/src/services/access.ts``): no hint."""
    return ApiError(
        403, "forbidden", "You don't have the required permissions to perform this action"
    )


def kebab_case(text: str) -> str:
    """``Cases.toKebabCase`` (``shared/case``): only ``_``, ``-``, case and digit changes split.

    A dot is no separator, so ``callback.destination`` stays as written.
    """
    text = re.sub(r"[_-]", " ", text)
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([0-9])([a-zA-Z])", r"\1 \2", text)
    text = re.sub(r"([a-zA-Z])([0-9])", r"\1 \2", text)
    return "-".join(word.lower() for word in text.split() if word)


def not_found(entity: str, id_: str | None = None) -> ApiError:
    extras: dict[str, object] = {"entity": entity}
    if id_ is not None:
        extras["id"] = id_
    return ApiError(
        404,
        "not_found",
        f"The requested {kebab_case(entity)} could not be found.",
        hint=(
            "Make sure the resource you are trying to access exists, that you have access to it "
            "and that it has not been deleted."
        ),
        extras=extras,
    )


def endpoint_not_found() -> ApiError:
    return not_found("endpoint")


def rate_limit_exceeded() -> ApiError:
    """``src/packages/server/rest/src/ratelimit.ts``'s own error (not ``tooManyRequestsError``)."""
    return ApiError(
        429,
        "rate_limit_exceeded",
        "You have exceeded the rate limit for this instance",
        hint="Please wait a few minutes before trying again",
    )


def internal_server_error() -> ApiError:
    return ApiError(500, "internal_server_error", "An internal server error occurred.")
