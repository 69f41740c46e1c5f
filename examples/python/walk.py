"""The generated Python client at work: create a destination, read it back, page through
every destination forward and backward, rename it, delete it.

    .venv-codegen/bin/ariadne-codegen      # (`make codegen`) writes callbacks_client/ here
    .venv/bin/python examples/python/walk.py --url http://127.0.0.1:8000/graphql

`--api-key` (or METORIAL_API_KEY) is sent as `Authorization: Bearer ...`; a gateway serving
its embedded emulator needs none. Exits non-zero if anything is not as expected.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from callbacks_client import (
    CallbacksClient,
    CallbackSelectionInput,
    CallbackSelectionType,
    CreateCallbackDestinationInput,
    DeleteCallbackDestinationInput,
    UpdateCallbackDestinationInput,
    UserErrorCode,
)


async def page_forward(client: CallbacksClient, size: int) -> list[str]:
    """Ids of every destination, oldest first, `size` at a time."""
    page = (await client.destinations(first=size)).callback_destinations
    ids = [edge.node.id for edge in page.edges]
    while page.page_info.has_next_page:
        assert page.page_info.end_cursor is not None
        cursor = page.page_info.end_cursor
        page = (await client.next_destinations(after=cursor, first=size)).callback_destinations
        ids += [edge.node.id for edge in page.edges]
    return ids


async def page_backward(client: CallbacksClient, size: int) -> list[str]:
    """Ids of every destination, oldest first, read from the end `size` at a time."""
    page = (await client.destinations(last=size)).callback_destinations
    ids = [edge.node.id for edge in page.edges]
    while page.page_info.has_previous_page:
        assert page.page_info.start_cursor is not None
        cursor = page.page_info.start_cursor
        page = (await client.previous_destinations(before=cursor, last=size)).callback_destinations
        ids = [edge.node.id for edge in page.edges] + ids
    return ids


async def main(url: str, api_key: str | None, page_size: int) -> None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with CallbacksClient(url=url, headers=headers) as client:
        callbacks = (await client.callbacks()).callbacks.nodes
        selected = [callback.callback_id for callback in callbacks[:1]]
        created = await client.create_destination(
            CreateCallbackDestinationInput(
                name="walk.py example",
                url="https://example.com/hooks/walk",
                description="made by examples/python/walk.py",
                callbacks=CallbackSelectionInput(
                    type=CallbackSelectionType.SELECTED, callbackIds=selected
                ),
            )
        )
        payload = created.create_callback_destination
        assert not payload.user_errors, payload.user_errors
        assert payload.callback_destination is not None
        new = payload.callback_destination
        print(f"created {new.destination_id} ({new.name!r}) at {new.created_at.isoformat()}")

        detail = (await client.destination(id=new.id)).callback_destination
        assert detail is not None
        assert detail.name == "walk.py example"
        assert [c.callback_id for c in detail.callbacks.callbacks] == selected
        print(f"read back {detail.destination_id}: {len(detail.callbacks.callbacks)} callback(s)")

        forward = await page_forward(client, page_size)
        backward = await page_backward(client, page_size)
        assert new.id in forward, "the new destination is missing from the list"
        assert forward == backward, "paging forward and backward disagree"
        assert len(set(forward)) == len(forward), "a destination was listed twice"
        print(f"paged through {len(forward)} destinations, {page_size} at a time, both ways")

        renamed = await client.update_destination(
            UpdateCallbackDestinationInput(id=new.id, name="walk.py (renamed)", description=None)
        )
        changed = renamed.update_callback_destination.callback_destination
        assert changed is not None
        assert changed.name == "walk.py (renamed)"
        assert changed.description == "", "an explicit null clears the description"

        unknown = await client.create_destination(
            CreateCallbackDestinationInput(
                name="unknown callback",
                url="https://example.com/hooks/unknown",
                callbacks=CallbackSelectionInput(
                    type=CallbackSelectionType.SELECTED, callbackIds=["clb_doesnotexist"]
                ),
            )
        )
        errors = unknown.create_callback_destination.user_errors
        assert [e.code for e in errors] == [UserErrorCode.UNKNOWN_CALLBACK], errors
        print(f"an unknown callback is a user error: {errors[0].code.value} at {errors[0].field}")

        deleted = await client.delete_destination(DeleteCallbackDestinationInput(id=new.id))
        assert deleted.delete_callback_destination.deleted_callback_destination_id == new.id
        again = await client.delete_destination(DeleteCallbackDestinationInput(id=new.id))
        codes = [error.code for error in again.delete_callback_destination.user_errors]
        assert codes
        assert codes[0] in {UserErrorCode.ALREADY_DELETED, UserErrorCode.NOT_FOUND}
        print(f"deleted {new.destination_id}; deleting it again: {codes[0].value}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--api-key", default=os.environ.get("METORIAL_API_KEY"))
    parser.add_argument("--page-size", type=int, default=3)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.url, args.api_key, args.page_size))
    except AssertionError as exc:
        sys.exit(f"walk.py: unexpected result: {exc}")


if __name__ == "__main__":
    cli()
