"""Mutations: Relay-style inputs and payloads; expected failures are `userErrors`."""

from __future__ import annotations

import enum

import strawberry
from strawberry.scalars import JSON

from gateway.schema.ids import expect_id, to_global_id
from gateway.schema.types import CallbackDestination, CallbackSelectionType, Info
from gateway.upstream.records import (
    FieldError,
    NewDestination,
    Selection,
    WriteResult,
)


@strawberry.enum
class UserErrorCode(enum.Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    UNKNOWN_CALLBACK = "UNKNOWN_CALLBACK"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_DELETED = "ALREADY_DELETED"
    DESTINATION_DELETED = "DESTINATION_DELETED"
    NOT_SUPPORTED = "NOT_SUPPORTED"  # the upstream API version cannot express this input


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
    callbacks: CallbackSelectionInput | None = strawberry.field(
        default=None,
        description="Which callbacks it receives; none when omitted. ALL is NOT_SUPPORTED "
        "over API 2026-02-01.",
    )
    description: str | None = None
    metadata: JSON | None = strawberry.field(
        default=None, description="Your own key-value data; NOT_SUPPORTED over API 2025-01-01."
    )
    client_mutation_id: str | None = None


@strawberry.input
class UpdateCallbackDestinationInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="An explicit null clears it."
    )
    url: str | None = strawberry.field(
        default=strawberry.UNSET, description="NOT_SUPPORTED over API 2025-01-01."
    )
    metadata: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="Replaces the whole object; NOT_SUPPORTED over API 2025-01-01.",
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


def _user_error(error: FieldError) -> UserError:
    return UserError(
        field=["input", *error.field], message=error.message, code=UserErrorCode[error.code.name]
    )


def _selection(given: CallbackSelectionInput | None) -> Selection | UserError | None:
    """The callbacks a new destination receives, or what is wrong with the input."""
    if given is None:
        return None
    ids = given.callback_ids
    if given.type is CallbackSelectionType.ALL and ids is not None:
        message, code = "`callbackIds` is only allowed when `type` is SELECTED.", "INVALID"
    elif given.type is CallbackSelectionType.SELECTED and ids is None:
        message = "`callbackIds` is required when `type` is SELECTED (it may be empty)."
        code = "REQUIRED"
    else:
        return Selection(given.type.value, tuple(expect_id(i, "Callback") for i in ids or ()))
    field = ["input", "callbacks", "callbackIds"]
    return UserError(field=field, message=message, code=UserErrorCode[code])


def _outcome(info: Info, result: WriteResult) -> tuple[CallbackDestination | None, list[UserError]]:
    errors = [_user_error(e) for e in result.errors]
    if result.destination is None:
        return None, errors
    info.context.prime_destinations([result.destination])
    return CallbackDestination.from_record(result.destination), errors


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a webhook destination; Metorial signs its events.")
    async def create_callback_destination(
        self, info: Info, input: CreateCallbackDestinationInput
    ) -> CreateCallbackDestinationPayload:
        selection = _selection(input.callbacks)
        if isinstance(selection, UserError):
            return CreateCallbackDestinationPayload(
                callback_destination=None,
                user_errors=[selection],
                client_mutation_id=input.client_mutation_id,
            )
        new = NewDestination(
            name=input.name,
            url=input.url,
            description=input.description,
            metadata=input.metadata,
            selection=selection,
        )
        api = await info.context.api()
        destination, errors = _outcome(info, await api.create_destination(new))
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
        given = {
            "name": input.name,
            "description": input.description,
            "url": input.url,
            "metadata": input.metadata,
        }
        changes = {k: v for k, v in given.items() if v is not strawberry.UNSET}
        api = await info.context.api()
        destination, errors = _outcome(info, await api.update_destination(upstream_id, changes))
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
        api = await info.context.api()
        destination, errors = _outcome(info, await api.delete_destination(upstream_id))
        deleted_id = (
            strawberry.ID(to_global_id("CallbackDestination", upstream_id)) if not errors else None
        )
        return DeleteCallbackDestinationPayload(
            callback_destination=destination,
            deleted_callback_destination_id=deleted_id,
            user_errors=errors,
            client_mutation_id=input.client_mutation_id,
        )
