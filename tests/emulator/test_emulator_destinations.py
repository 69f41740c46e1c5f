"""Create, read, update and soft-delete of callback destinations, errors included."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from gateway.emulator.ids import timestamp_ms_of

ID = re.compile(r"cld_[0-9a-z]{9}[0-9A-Za-z]{13}")
SECRET = re.compile(r"clb_sec_[0-9A-Za-z]{50}")
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

VALIDATION_HINT = (
    "Make sure the data you are sending follows the specification outlined in the documentation."
)
NOT_FOUND_HINT = (
    "Make sure the resource you are trying to access exists, that you have access to it and "
    "that it has not been deleted."
)


def invalid_body(*errors: dict[str, object]) -> dict[str, object]:
    return {
        "__typename": "error",
        "ok": False,
        "status": 400,
        "code": "invalid_data",
        "message": "The provided data is invalid.",
        "hint": VALIDATION_HINT,
        "errors": list(errors),
        "entity": "body",
    }


def bad_request(message: str) -> dict[str, object]:
    return {
        "__typename": "error",
        "ok": False,
        "status": 400,
        "code": "bad_request",
        "message": message,
    }


def destination_not_found(id_: str) -> dict[str, object]:
    return {
        "__typename": "error",
        "ok": False,
        "status": 404,
        "code": "not_found",
        "message": "The requested callback.destination could not be found.",
        "hint": NOT_FOUND_HINT,
        "entity": "callback.destination",
        "id": id_,
    }


UNKNOWN_ID = "cld_0mwy00000AAAAAAAAAAAAA"


# --- create -------------------------------------------------------------------------------


async def test_create_returns_the_full_object(emu):
    before_ms = int(datetime.now(UTC).timestamp() * 1000)
    response = await emu.client.post(
        "/callbacks-destinations",
        json={
            "name": "Orders",
            "description": "Order events",
            "url": "https://example.com/hook",
            "callbacks": {"type": "all"},
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "object",
        "id",
        "type",
        "name",
        "description",
        "webhook_destination",
        "callbacks",
        "created_at",
    ]
    assert body["object"] == "callback.destination"
    assert ID.fullmatch(body["id"])
    assert body["type"] == "webhook"
    assert body["name"] == "Orders"
    assert body["description"] == "Order events"
    assert body["webhook_destination"]["url"] == "https://example.com/hook"
    assert SECRET.fullmatch(body["webhook_destination"]["signing_secret"])
    assert body["callbacks"] == {"type": "all"}
    assert ISO_MS.fullmatch(body["created_at"])
    created_ms = timestamp_ms_of(body["id"], "cld_")
    assert created_ms >= before_ms
    stamp = datetime.fromtimestamp(created_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    assert body["created_at"] == stamp + "Z"


async def test_created_destination_reads_back_identically(emu):
    created = await emu.create()
    response = await emu.client.get(f"/callbacks-destinations/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_each_destination_gets_its_own_signing_secret(emu):
    first, second = await emu.create(), await emu.create()
    assert (
        first["webhook_destination"]["signing_secret"]
        != second["webhook_destination"]["signing_secret"]
    )


async def test_missing_description_reads_as_empty_string(emu):
    created = await emu.create()
    assert created["description"] == ""


async def test_empty_url_gives_null_webhook_destination(emu):
    created = await emu.create(url="")
    assert created["webhook_destination"] is None


async def test_selected_callbacks_are_deduplicated_in_order(emu):
    first, second, _ = await emu.callback_ids()
    created = await emu.create(
        callbacks={"type": "selected", "callback_id": [second, first, second]}
    )
    # callbackDestination service: links follow the callbacks' storage order (findMany).
    assert created["callbacks"] == {"type": "selected", "callback_ids": [first, second]}


async def test_selected_callbacks_may_be_empty(emu):
    created = await emu.create(callbacks={"type": "selected", "callback_id": []})
    assert created["callbacks"] == {"type": "selected", "callback_ids": []}


async def test_callback_ids_are_ignored_for_type_all(emu):
    created = await emu.create(callbacks={"type": "all", "callback_id": ["whatever"]})
    assert created["callbacks"] == {"type": "all"}


async def test_unknown_callback_id_is_bad_request(emu):
    (known, *_) = await emu.callback_ids()
    response = await emu.client.post(
        "/callbacks-destinations",
        json={
            "name": "n",
            "url": "u",
            "callbacks": {"type": "selected", "callback_id": [known, "clb_nope"]},
        },
    )
    assert response.status_code == 400
    assert response.json() == bad_request("One or more callback IDs are invalid")


async def test_string_of_exactly_max_length_is_accepted(emu):
    created = await emu.create(name="x" * 100_000)
    assert len(created["name"]) == 100_000


async def test_length_counts_utf16_units_like_javascript(emu):
    response = await emu.client.post(
        "/callbacks-destinations",
        json={"name": "\U0001f600" * 50_001, "url": "", "callbacks": {"type": "all"}},
    )
    # validators/string.ts: JavaScript `length` (UTF-16 units) > 100,000.
    assert response.json()["errors"] == [
        {"code": "max_length", "message": "Input is too long", "path": ["name"]}
    ]


def _type_error(path, expected, received, shown=None):
    """validators/{string,array,object}.ts: `received` is `typeof` (object: "array")."""
    return {
        "code": "invalid_type",
        "message": f"Invalid input, expected {expected}, received {shown or received}",
        "received": received,
        "expected": expected,
        "path": path,
    }


def _too_long(path):
    """validators/string.ts: no expected/received/max."""
    return {"code": "max_length", "message": "Input is too long", "path": path}


def _literal(received, expected, *, shown=None):
    error = {
        "code": "invalid_literal",
        "message": f"Invalid input, expected {expected}, received {shown or received}",
        "received": received,
        "expected": expected,
        "path": ["callbacks", "type"],
    }
    if received is None:
        del error["received"]
    return error


def _both(error):
    """validators/union.ts: one entry per branch."""
    return [error, error]


VALID = {"name": "n", "url": "https://example.com", "callbacks": {"type": "all"}}
LONG = "x" * 100_001
NOT_ALL = _literal("selected", "all")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param({}, [_type_error(["name"], "string", "undefined")], id="empty-object"),
        pytest.param(
            {**VALID, "name": None}, [_type_error(["name"], "string", "object")], id="name-null"
        ),
        pytest.param(
            {**VALID, "name": 5}, [_type_error(["name"], "string", "number")], id="name-number"
        ),
        pytest.param(
            {**VALID, "name": True}, [_type_error(["name"], "string", "boolean")], id="name-bool"
        ),
        pytest.param(
            {**VALID, "name": ["a"]}, [_type_error(["name"], "string", "object")], id="name-array"
        ),
        pytest.param(
            {**VALID, "name": {"a": 1}},
            [_type_error(["name"], "string", "object")],
            id="name-obj",
        ),
        pytest.param({**VALID, "name": LONG}, [_too_long(["name"])], id="name-too-long"),
        pytest.param(
            {**VALID, "description": None},
            [_type_error(["description"], "string", "object")],
            id="description-null",
        ),
        pytest.param(
            {**VALID, "description": 1},
            [_type_error(["description"], "string", "number")],
            id="description-number",
        ),
        pytest.param(
            {**VALID, "description": LONG},
            [_too_long(["description"])],
            id="description-too-long",
        ),
        pytest.param(
            {"name": "n", "callbacks": {"type": "all"}},
            [_type_error(["url"], "string", "undefined")],
            id="url-missing",
        ),
        pytest.param(
            {**VALID, "url": None}, [_type_error(["url"], "string", "object")], id="url-null"
        ),
        pytest.param({**VALID, "url": LONG}, [_too_long(["url"])], id="url-too-long"),
        pytest.param(
            {"name": "n", "url": "u"},
            _both(_type_error(["callbacks"], "object", "undefined")),
            id="callbacks-missing",
        ),
        pytest.param(
            {**VALID, "callbacks": "all"},
            _both(_type_error(["callbacks"], "object", "string")),
            id="callbacks-string",
        ),
        pytest.param(
            {**VALID, "callbacks": None},
            _both(_type_error(["callbacks"], "object", "object")),
            id="callbacks-null",
        ),
        pytest.param(
            {**VALID, "callbacks": [{"type": "all"}]},
            _both(_type_error(["callbacks"], "object", "array", "object")),
            id="callbacks-array",
        ),
        pytest.param(
            {**VALID, "callbacks": {"type": "some"}},
            [_literal("some", "all"), _literal("some", "selected")],
            id="callbacks-type-unknown",
        ),
        pytest.param(
            {**VALID, "callbacks": {}},
            [
                _literal(None, "all", shown="undefined"),
                _literal(None, "selected", shown="undefined"),
            ],
            id="callbacks-type-missing",
        ),
        pytest.param(
            {**VALID, "callbacks": {"type": "selected"}},
            [NOT_ALL, _type_error(["callbacks", "callback_id"], "array", "undefined")],
            id="selected-without-ids",
        ),
        pytest.param(
            {**VALID, "callbacks": {"type": "selected", "callback_ids": []}},
            [NOT_ALL, _type_error(["callbacks", "callback_id"], "array", "undefined")],
            id="selected-with-plural-key",
        ),
        pytest.param(
            {**VALID, "callbacks": {"type": "selected", "callback_id": "clb_1"}},
            [NOT_ALL, _type_error(["callbacks", "callback_id"], "array", "string")],
            id="selected-ids-not-array",
        ),
        pytest.param(
            {**VALID, "callbacks": {"type": "selected", "callback_id": ["ok", 7]}},
            [NOT_ALL, _type_error(["callbacks", "callback_id", "1"], "string", "number")],
            id="selected-id-not-string",
        ),
        pytest.param(
            {**VALID, "callbacks": {"type": "selected", "callback_id": [LONG]}},
            [NOT_ALL, _too_long(["callbacks", "callback_id", "0"])],
            id="selected-id-too-long",
        ),
    ],
)
async def test_invalid_create_body_reports_the_exact_error(emu, body, errors):
    """controllers/instance/callbackDestination.ts create body, through validators/*.ts."""
    response = await emu.client.post("/callbacks-destinations", json=body)
    assert response.status_code == 400
    assert response.json() == invalid_body(*errors)


async def test_only_the_first_failing_field_is_reported_in_field_order(emu):
    response = await emu.client.post(
        "/callbacks-destinations", json={"callbacks": 1, "url": 2, "description": 3, "name": 4}
    )
    assert response.json()["errors"] == [_type_error(["name"], "string", "number")]
    response = await emu.client.post(
        "/callbacks-destinations", json={"name": "n", "callbacks": 1, "url": 2, "description": 3}
    )
    assert response.json()["errors"] == [_type_error(["description"], "string", "number")]
    response = await emu.client.post(
        "/callbacks-destinations", json={"name": "n", "callbacks": 1, "url": 2}
    )
    assert response.json()["errors"] == [_type_error(["url"], "string", "number")]


async def test_unknown_body_fields_are_ignored(emu):
    created = await emu.create(colour="blue")
    assert "colour" not in created


@pytest.mark.parametrize(
    "content", [b"{", b'{"name": }', b"nope", b'{"name": NaN}', b"\xff\xfe{"], ids=repr
)
async def test_invalid_json_is_bad_request_with_reason(emu, content):
    response = await emu.client.post(
        "/callbacks-destinations", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        **bad_request("Invalid JSON body"),
        "reason": "invalid_json_body",
    }


@pytest.mark.parametrize(
    ("content", "received"),
    [(b"[]", "array"), (b'"text"', "string"), (b"3", "number"), (b"false", "boolean")],
)
async def test_non_object_json_body_is_invalid_data_at_the_root(emu, content, received):
    """validators/object.ts: a root error has no path; an array reads "array" in `received`
    only (the message says `typeof`); controller.ts validates `body ?? {}`."""
    response = await emu.client.post(
        "/callbacks-destinations", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    shown = "object" if received == "array" else received
    assert response.json() == invalid_body(
        {
            "code": "invalid_type",
            "message": f"Invalid input, expected object, received {shown}",
            "received": received,
            "expected": "object",
        }
    )


async def test_empty_create_body_reports_missing_name(emu):
    response = await emu.client.post("/callbacks-destinations")
    assert response.json() == invalid_body(_type_error(["name"], "string", "undefined"))


# --- read ---------------------------------------------------------------------------------


async def test_unknown_destination_is_not_found_with_entity_and_id(emu):
    response = await emu.client.get(f"/callbacks-destinations/{UNKNOWN_ID}")
    assert response.status_code == 404
    assert response.json() == destination_not_found(UNKNOWN_ID)


# --- update -------------------------------------------------------------------------------


async def test_patch_changes_name_and_description(emu):
    created = await emu.create(description="old")
    response = await emu.client.patch(
        f"/callbacks-destinations/{created['id']}", json={"name": "New", "description": "new"}
    )
    assert response.status_code == 200
    assert response.json() == {**created, "name": "New", "description": "new"}
    again = await emu.client.get(f"/callbacks-destinations/{created['id']}")
    assert again.json() == response.json()


async def test_patch_with_only_name_keeps_description(emu):
    created = await emu.create(description="keep")
    response = await emu.client.patch(
        f"/callbacks-destinations/{created['id']}", json={"name": "Renamed"}
    )
    assert response.json()["description"] == "keep"
    assert response.json()["name"] == "Renamed"


async def test_patch_description_null_clears_it(emu):
    created = await emu.create(description="something")
    response = await emu.client.patch(
        f"/callbacks-destinations/{created['id']}", json={"description": None}
    )
    assert response.status_code == 200
    assert response.json()["description"] == ""


async def test_patch_ignores_url_and_callbacks(emu):
    created = await emu.create()
    response = await emu.client.patch(
        f"/callbacks-destinations/{created['id']}",
        json={"url": "https://elsewhere", "callbacks": {"type": "nonsense"}, "name": "x"},
    )
    assert response.status_code == 200
    assert response.json() == {**created, "name": "x"}


@pytest.mark.parametrize("content", [b"", b"{}"])
async def test_empty_patch_returns_the_object_unchanged(emu, content):
    created = await emu.create()
    response = await emu.client.patch(f"/callbacks-destinations/{created['id']}", content=content)
    assert response.status_code == 200
    assert response.json() == created


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": None}, _type_error(["name"], "string", "object")),
        ({"name": 1}, _type_error(["name"], "string", "number")),
        ({"name": LONG}, _too_long(["name"])),
        ({"description": 1}, _type_error(["description"], "string", "number")),
        ({"description": LONG}, _too_long(["description"])),
        ({"name": 1, "description": 1}, _type_error(["name"], "string", "number")),
        (
            [],
            {
                "code": "invalid_type",
                "message": "Invalid input, expected object, received object",
                "received": "array",
                "expected": "object",
            },
        ),
    ],
)
async def test_invalid_patch_body_reports_the_exact_error(emu, body, error):
    created = await emu.create()
    response = await emu.client.patch(f"/callbacks-destinations/{created['id']}", json=body)
    assert response.status_code == 400
    assert response.json() == invalid_body(error)


async def test_patch_with_invalid_json_is_bad_request(emu):
    created = await emu.create()
    response = await emu.client.patch(
        f"/callbacks-destinations/{created['id']}",
        content=b"{",
        headers={"content-type": "application/json"},
    )
    assert response.json()["reason"] == "invalid_json_body"


async def test_bad_body_on_unknown_id_is_validation_error_not_404(emu):
    response = await emu.client.patch(f"/callbacks-destinations/{UNKNOWN_ID}", json={"name": None})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_data"
    response = await emu.client.patch(
        f"/callbacks-destinations/{UNKNOWN_ID}",
        content=b"{",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


async def test_patch_of_unknown_destination_is_not_found(emu):
    response = await emu.client.patch(f"/callbacks-destinations/{UNKNOWN_ID}", json={"name": "x"})
    assert response.status_code == 404
    assert response.json() == destination_not_found(UNKNOWN_ID)


async def test_patch_of_deleted_destination_is_bad_request(emu):
    created = await emu.create()
    await emu.delete(created["id"])
    for body in ({"name": "x"}, {}):
        response = await emu.client.patch(f"/callbacks-destinations/{created['id']}", json=body)
        assert response.status_code == 400
        assert response.json() == bad_request("Cannot update an inactive callback destination")


# --- delete -------------------------------------------------------------------------------


async def test_delete_returns_the_object(emu):
    created = await emu.create()
    response = await emu.client.delete(f"/callbacks-destinations/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_second_delete_is_bad_request(emu):
    created = await emu.create()
    await emu.delete(created["id"])
    response = await emu.client.delete(f"/callbacks-destinations/{created['id']}")
    assert response.status_code == 400
    assert response.json() == bad_request("Callback destination is already inactive")


async def test_deleted_destination_still_reads_by_id(emu):
    created = await emu.create()
    await emu.delete(created["id"])
    response = await emu.client.get(f"/callbacks-destinations/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_deleted_destination_disappears_from_lists(emu):
    kept, gone = await emu.create(), await emu.create()
    await emu.delete(gone["id"])
    assert await emu.list_ids() == [kept["id"]]
    (callback, *_) = await emu.callback_ids()
    assert await emu.list_ids(callback_id=callback) == [kept["id"]]


async def test_delete_of_unknown_destination_is_not_found(emu):
    response = await emu.client.delete(f"/callbacks-destinations/{UNKNOWN_ID}")
    assert response.status_code == 404
    assert response.json() == destination_not_found(UNKNOWN_ID)
