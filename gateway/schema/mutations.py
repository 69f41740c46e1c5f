"""Mutations: Relay-style inputs and payloads; expected failures are `userErrors`."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import strawberry

from gateway.schema.ids import expect_id, to_global_id
from gateway.schema.types import CallbackDestination, CallbackSelectionType, Info
from gateway.upstream.client import DESTINATIONS_PATH, UpstreamRejection


@strawberry.enum
class UserErrorCode(enum.Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    UNKNOWN_CALLBACK = "UNKNOWN_CALLBACK"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_DELETED = "ALREADY_DELETED"
    DESTINATION_DELETED = "DESTINATION_DELETED"


@strawberry.type(description="An expected failure of a mutation, pointing into its input.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "name"].'
    )
    message: str
    code: UserErrorCode


@strawberry.input
class CallbackSelectionInput:
    type: CallbackSelectionType
    callback_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Required with SELECTED (may be empty); not allowed with ALL."
    )


@strawberry.input
class CreateCallbackDestinationInput:
    name: str
    url: str = strawberry.field(description="Webhook URL; events are POSTed here.")
    callbacks: CallbackSelectionInput
    description: str | None = None
    client_mutation_id: str | None = None


@strawberry.input
class UpdateCallbackDestinationInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="An explicit null clears it."
    )
    client_mutation_id: str | None = None


@strawberry.input
class DeleteCallbackDestinationInput:
    id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.type
class CreateCallbackDestinationPayload:
    callback_destination: CallbackDestination | None
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class UpdateCallbackDestinationPayload:
    callback_destination: CallbackDestination | None
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class DeleteCallbackDestinationPayload:
    callback_destination: CallbackDestination | None
    deleted_callback_destination_id: strawberry.ID | None
    user_errors: list[UserError]
    client_mutation_id: str | None


# Upstream body field -> GraphQL input field.
_FIELD_NAMES = {"callback_id": "callbackIds"}


def _user_errors(rejection: UpstreamRejection, fallback_field: Sequence[str]) -> list[UserError]:
    """Turn a 400/404 from the upstream into userErrors with paths into `input`."""
    body = rejection.body
    if rejection.status == 404:
        return [
            UserError(
                field=["input", "id"], message=rejection.message, code=UserErrorCode.NOT_FOUND
            )
        ]
    entries = body.get("errors") if body.get("code") == "invalid_data" else None
    if isinstance(entries, list) and entries:
        return [_validation_error(e) for e in entries if isinstance(e, dict)]
    message = rejection.message
    lowered = message.lower()
    if "callback id" in lowered:
        field, code = ["input", "callbacks", "callbackIds"], UserErrorCode.UNKNOWN_CALLBACK
    elif "already inactive" in lowered:
        field, code = ["input", "id"], UserErrorCode.ALREADY_DELETED
    elif "inactive" in lowered:
        field, code = ["input", "id"], UserErrorCode.DESTINATION_DELETED
    else:
        field, code = list(fallback_field), UserErrorCode.INVALID
    return [UserError(field=field, message=message, code=code)]


def _validation_error(entry: dict[str, Any]) -> UserError:
    path = [_FIELD_NAMES.get(str(p), str(p)) for p in entry.get("path") or []]
    if entry.get("code") == "max_length":
        code = UserErrorCode.TOO_LONG
    elif entry.get("received") == "undefined":
        code = UserErrorCode.REQUIRED
    else:
        code = UserErrorCode.INVALID
    message = entry.get("message")
    return UserError(
        field=["input", *path],
        message=message if isinstance(message, str) else "Invalid value.",
        code=code,
    )


def _is_user_error(rejection: UpstreamRejection) -> bool:
    return rejection.status == 400 or rejection.object_missing


async def _write(
    info: Info, method: str, path: str, body: dict[str, Any] | None, fallback: Sequence[str]
) -> tuple[CallbackDestination | None, list[UserError]]:
    try:
        record = await info.context.write(method, path, body)
    except UpstreamRejection as rejection:
        if not _is_user_error(rejection):
            raise
        return None, _user_errors(rejection, fallback)
    info.context.prime(DESTINATIONS_PATH, [record])
    return CallbackDestination.from_record(record), []


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a webhook destination; Metorial signs its events.")
    async def create_callback_destination(
        self, info: Info, input: CreateCallbackDestinationInput
    ) -> CreateCallbackDestinationPayload:
        selection: dict[str, Any] = {"type": input.callbacks.type.value}
        ids = input.callbacks.callback_ids
        if input.callbacks.type is CallbackSelectionType.ALL and ids is not None:
            error = UserError(
                field=["input", "callbacks", "callbackIds"],
                message="`callbackIds` is only allowed when `type` is SELECTED.",
                code=UserErrorCode.INVALID,
            )
            return CreateCallbackDestinationPayload(
                callback_destination=None,
                user_errors=[error],
                client_mutation_id=input.client_mutation_id,
            )
        if ids is not None:
            selection["callback_id"] = [expect_id(i, "Callback") for i in ids]
        body: dict[str, Any] = {"name": input.name, "url": input.url, "callbacks": selection}
        if input.description is not None:
            body["description"] = input.description
        destination, errors = await _write(info, "POST", DESTINATIONS_PATH, body, ["input"])
        return CreateCallbackDestinationPayload(
            callback_destination=destination,
            user_errors=errors,
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(description="Rename or re-describe a destination (url is fixed).")
    async def update_callback_destination(
        self, info: Info, input: UpdateCallbackDestinationInput
    ) -> UpdateCallbackDestinationPayload:
        upstream_id = expect_id(input.id, "CallbackDestination")
        body: dict[str, Any] = {}
        if input.name is not strawberry.UNSET:
            body["name"] = input.name
        if input.description is not strawberry.UNSET:
            body["description"] = input.description
        destination, errors = await _write(
            info, "PATCH", f"{DESTINATIONS_PATH}/{upstream_id}", body, ["input", "id"]
        )
        return UpdateCallbackDestinationPayload(
            callback_destination=destination,
            user_errors=errors,
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(description="Delete a destination; it stops receiving events.")
    async def delete_callback_destination(
        self, info: Info, input: DeleteCallbackDestinationInput
    ) -> DeleteCallbackDestinationPayload:
        upstream_id = expect_id(input.id, "CallbackDestination")
        destination, errors = await _write(
            info, "DELETE", f"{DESTINATIONS_PATH}/{upstream_id}", None, ["input", "id"]
        )
        deleted_id = (
            strawberry.ID(to_global_id("CallbackDestination", upstream_id)) if not errors else None
        )
        return DeleteCallbackDestinationPayload(
            callback_destination=destination,
            deleted_callback_destination_id=deleted_id,
            user_errors=errors,
            client_mutation_id=input.client_mutation_id,
        )
