"""2026-02-01 `/callback-destinations`: objects, rules, archive semantics, lists, errors."""

from __future__ import annotations

import re

import pytest

ISO_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


async def test_create_returns_the_ma_object(emu26):
    created = await emu26.create_destination(
        name="Orders", description="d", metadata={"team": "a", "n": [1]}, url="https://ex.com/h"
    )
    assert set(created) == {
        "object", "id", "status", "name", "description", "metadata", "url", "method",
        "created_at", "updated_at",
    }  # fmt: skip
    assert created["object"] == "callback.destination"
    assert re.fullmatch(r"cld_[0-9a-z]{9}[0-9A-Za-z]{13}", created["id"])
    assert (created["status"], created["name"], created["description"]) == ("active", "Orders", "d")
    assert created["metadata"] == {"team": "a", "n": [1]}
    assert (created["url"], created["method"]) == ("https://ex.com/h", "POST")
    assert ISO_MS.fullmatch(created["created_at"])
    assert created["updated_at"] == created["created_at"]


async def test_optional_fields_read_back_as_null(emu26):
    created = await emu26.create_destination()
    assert (created["description"], created["metadata"]) == (None, None)


async def test_get_returns_the_object(emu26):
    created = await emu26.create_destination()
    for path in (f"/callback-destinations/{created['id']}",
                 f"/instances/demo/callback-destinations/{created['id']}"):  # fmt: skip
        response = await emu26.client.get(path)
        assert response.status_code == 200
        assert response.json() == created


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://example.com", "https://example.com/"),
        ("HTTPS://Example.COM:443/a b?q=1 2", "https://example.com/a%20b?q=1%202"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("  http://example.com/a/../b  ", "http://example.com/b"),
        ("http://münchen.de/", "http://xn--mnchen-3ya.de/"),
    ],
)
async def test_url_is_stored_normalized_like_new_url(emu26, url, stored):
    assert (await emu26.create_destination(url=url))["url"] == stored


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("example.com/hook", "Callback destination URL must be a valid absolute URL."),
        ("/relative", "Callback destination URL must be a valid absolute URL."),
        ("", "Callback destination URL must be a valid absolute URL."),
        ("http://", "Callback destination URL must be a valid absolute URL."),
        ("http://ex.com:99999/", "Callback destination URL must be a valid absolute URL."),
        ("ftp://example.com/", "Callback destination URL must use http or https."),
        ("mailto:a@example.com", "Callback destination URL must use http or https."),
    ],
)
async def test_invalid_urls_are_rejected_with_the_service_code(emu26, url, message):
    response = await emu26.client.post("/callback-destinations", json={"name": "n", "url": url})
    assert response.status_code == 400
    body = response.json()
    assert body["object"] == "error"
    assert "__typename" not in body
    assert (body["ok"], body["status"]) == (False, 400)
    assert (body["code"], body["message"]) == ("invalid_callback_destination_url", message)


@pytest.mark.parametrize(
    ("body", "path", "expected", "received"),
    [
        ({"url": "https://e.com"}, ["name"], "string", "undefined"),
        (
            {"name": "n", "description": None, "url": "https://e.com"},
            ["description"],
            "string",
            "null",
        ),
        ({"name": "n", "metadata": None, "url": "https://e.com"}, ["metadata"], "object", "null"),
        ({"name": "n", "metadata": [1], "url": "https://e.com"}, ["metadata"], "object", "array"),
        ({"name": "n"}, ["url"], "string", "undefined"),
        ({"name": "n", "url": 5}, ["url"], "string", "number"),
        ({"name": 1, "url": 5}, ["name"], "string", "number"),  # first failing field only
    ],
)
async def test_create_body_validation(emu26, body, path, expected, received):
    response = await emu26.client.post("/callback-destinations", json=body)
    assert response.status_code == 400
    error = response.json()
    assert (error["object"], error["code"], error["entity"]) == ("error", "invalid_data", "body")
    assert error["errors"] == [
        {
            "code": "invalid_type",
            "message": f"Invalid input, expected {expected}, received {received}",
            "expected": expected,
            "received": received,
            "path": path,
        }
    ]


async def test_overlong_name_is_max_length(emu26):
    body = {"name": "x" * 100_001, "url": "https://e.com"}
    response = await emu26.client.post("/callback-destinations", json=body)
    assert response.json()["errors"][0]["code"] == "max_length"


async def test_invalid_json_keeps_the_platform_envelope(emu26):
    # parseBody.ts (shared by both versions): JSON is read only with a JSON content type.
    response = await emu26.client.post(
        "/callback-destinations", content=b"{bad", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["__typename"], body["code"], body["reason"]) == (
        "error", "bad_request", "invalid_json_body",
    )  # fmt: skip


async def test_patch_changes_given_fields_and_moves_updated_at(emu26):
    created = await emu26.create_destination(description="d", metadata={"a": 1})
    path = f"/callback-destinations/{created['id']}"
    response = await emu26.client.patch(
        path, json={"name": "New", "metadata": {"b": 2}, "url": "https://other.example"}
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "New"
    assert updated["description"] == "d"
    assert updated["metadata"] == {"b": 2}  # replaced, not merged
    assert updated["url"] == "https://other.example/"
    assert updated["method"] == "POST"
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] >= created["updated_at"]
    assert (await emu26.client.get(path)).json() == updated


async def test_patch_description_to_empty_string_is_kept(emu26):
    created = await emu26.create_destination(description="d")
    response = await emu26.client.patch(
        f"/callback-destinations/{created['id']}", json={"description": ""}
    )
    assert response.json()["description"] == ""


async def test_empty_patch_returns_the_object_unchanged(emu26):
    created = await emu26.create_destination(description="d", metadata={"a": 1})
    response = await emu26.client.patch(f"/callback-destinations/{created['id']}", json={})
    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        k: v for k, v in created.items() if k != "updated_at"
    }


@pytest.mark.parametrize("field", ["name", "description", "metadata", "url"])
async def test_patch_rejects_null(emu26, field):
    created = await emu26.create_destination()
    response = await emu26.client.patch(
        f"/callback-destinations/{created['id']}", json={field: None}
    )
    assert response.status_code == 400
    error = response.json()
    assert (error["object"], error["code"]) == ("error", "invalid_data")
    assert error["errors"][0]["path"] == [field]
    assert error["errors"][0]["received"] == "null"


async def test_patch_url_is_revalidated(emu26):
    created = await emu26.create_destination()
    response = await emu26.client.patch(
        f"/callback-destinations/{created['id']}", json={"url": "ftp://e.com"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_callback_destination_url"


async def test_bad_body_on_unknown_id_is_400_not_404(emu26):
    response = await emu26.client.patch("/callback-destinations/cld_nope", json={"name": 1})
    assert response.status_code == 400


async def test_delete_archives_and_the_destination_is_then_gone(emu26):
    created = await emu26.create_destination()
    path = f"/callback-destinations/{created['id']}"
    response = await emu26.client.delete(path)
    assert response.status_code == 200
    archived = response.json()
    assert archived["status"] == "archived"
    assert archived["id"] == created["id"]
    for method, kwargs in (("GET", {}), ("DELETE", {}), ("PATCH", {"json": {"name": "x"}})):
        again = await emu26.client.request(method, path, **kwargs)
        assert again.status_code == 404, method
        body = again.json()
        assert body["object"] == "error"
        assert (body["code"], body["entity"], body["id"]) == (
            "not_found", "callback.destination", created["id"],
        )  # fmt: skip
    assert created["id"] not in await emu26.list_ids("/callback-destinations")


async def test_unknown_and_other_instance_ids_are_404(open_emulator):
    keys = {"metorial_sk_a": "a", "metorial_sk_b": "b"}
    async with open_emulator(api_version="2026-02-01", api_keys=keys) as emu:
        a = {"Authorization": "Bearer metorial_sk_a"}
        b = {"Authorization": "Bearer metorial_sk_b"}
        created = await emu.client.post(
            "/callback-destinations", json={"name": "n", "url": "https://e.com"}, headers=a
        )
        id_ = created.json()["id"]
        assert (await emu.client.get(f"/callback-destinations/{id_}", headers=b)).status_code == 404
        listed = await emu.client.get("/callback-destinations", headers=b)
        assert listed.json()["items"] == []
        # instanceGroup.ts (shared): an instance-bound key acts on its own instance, whatever
        # the path's instance id says.
        other = await emu.client.get(f"/instances/b/callback-destinations/{id_}", headers=a)
        assert other.status_code == 200
        wrong = await emu.client.get(f"/instances/a/callback-destinations/{id_}", headers=b)
        assert wrong.status_code == 404


async def test_publishable_and_missing_keys_keep_the_platform_envelope(emu26):
    forbidden = await emu26.client.post(
        "/callback-destinations", json={}, headers={"Authorization": "Bearer metorial_pk_x"}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["__typename"] == "error"
    missing = await emu26.client.get("/callback-destinations", headers={"Authorization": ""})
    assert missing.status_code == 401
    assert "object" not in missing.json()


# --- lists -----------------------------------------------------------------------------------


async def test_list_envelope_and_both_directions(emu26):
    ids = [(await emu26.create_destination(name=f"d{i}"))["id"] for i in range(5)]
    response = await emu26.client.get("/callback-destinations", params={"limit": 2})
    body = response.json()
    assert body["__typename"] == "list"
    assert [item["id"] for item in body["items"]] == ids[:2]
    assert body["pagination"] == {"has_more_before": False, "has_more_after": True}
    after = await emu26.client.get("/callback-destinations", params={"limit": 2, "after": ids[1]})
    assert [item["id"] for item in after.json()["items"]] == ids[2:4]
    assert after.json()["pagination"] == {"has_more_before": True, "has_more_after": True}
    before = await emu26.client.get("/callback-destinations", params={"limit": 2, "before": ids[4]})
    assert [item["id"] for item in before.json()["items"]] == ids[2:4]
    assert before.json()["pagination"] == {"has_more_before": True, "has_more_after": True}
    desc = await emu26.client.get(
        "/callback-destinations", params={"limit": 2, "order": "desc", "after": ids[3]}
    )
    assert [item["id"] for item in desc.json()["items"]] == [ids[2], ids[1]]
    first = await emu26.client.get("/callback-destinations", params={"limit": 2, "before": ids[2]})
    assert first.json()["pagination"] == {"has_more_before": False, "has_more_after": True}


async def test_list_cursor_parameter_is_honoured(emu26):
    from gateway.emulator import encode_cursor

    ids = [(await emu26.create_destination(name=f"d{i}"))["id"] for i in range(3)]
    got = await emu26.list_ids("/callback-destinations", cursor=encode_cursor("after", ids[0]))
    assert got == ids[1:]
    bad = await emu26.client.get("/callback-destinations", params={"cursor": "nope"})
    assert bad.status_code == 400
    assert (bad.json()["object"], bad.json()["message"]) == ("error", "Invalid cursor format")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "0"}, "invalid_min"),
        ({"limit": "101"}, "invalid_max"),
        ({"order": "up"}, "invalid_enum"),
    ],
)
async def test_list_query_validation(emu26, params, code):
    response = await emu26.client.get("/callback-destinations", params=params)
    assert response.status_code == 400
    body = response.json()
    assert (body["object"], body["entity"]) == ("error", "query")
    assert body["errors"][0]["code"] == code


async def test_date_filters_are_strict_and_combine(emu26):
    first = await emu26.create_destination(name="a")
    second = await emu26.create_destination(name="b")
    third = await emu26.create_destination(name="c")
    path = "/callback-destinations"
    assert await emu26.list_ids(path, **{"created_at[gt]": first["created_at"]}) == [
        item["id"] for item in (second, third) if item["created_at"] > first["created_at"]
    ]
    assert await emu26.list_ids(path, **{"created_at[lt]": third["created_at"]}) == [
        item["id"] for item in (first, second) if item["created_at"] < third["created_at"]
    ]
    assert await emu26.list_ids(path, **{"created_at[gt]": "2000-01-01"}) == [
        first["id"], second["id"], third["id"],
    ]  # fmt: skip
    assert await emu26.list_ids(path, **{"created_at[lt]": "2000-01-01T00:00:00Z"}) == []
    assert (
        await emu26.list_ids(
            path, **{"created_at[gt]": "2000-01-01", "created_at[lt]": "2000-01-02"}
        )
        == []
    )
    # updated_at moves on PATCH
    await emu26.client.patch(f"{path}/{first['id']}", json={"name": "a2"})
    patched = (await emu26.client.get(f"{path}/{first['id']}")).json()
    later = await emu26.list_ids(path, **{"updated_at[gt]": third["updated_at"]})
    assert (first["id"] in later) == (patched["updated_at"] > third["updated_at"])
    assert await emu26.list_ids(path, **{"updated_at[gt]": "2999-01-01T00:00:00.000+02:00"}) == []


@pytest.mark.parametrize(
    ("params", "path", "expected"),
    [
        ({"created_at[gt]": "yesterday"}, ["created_at", "gt"], "date"),
        ({"updated_at[lt]": "2025-13-45"}, ["updated_at", "lt"], "date"),
        ({"created_at": "2025-01-01"}, ["created_at"], "object"),
    ],
)
async def test_bad_dates_are_invalid_type(emu26, params, path, expected):
    response = await emu26.client.get("/callback-destinations", params=params)
    assert response.status_code == 400
    body = response.json()
    assert (body["object"], body["code"], body["entity"]) == ("error", "invalid_data", "query")
    error = body["errors"][0]
    assert (error["code"], error["path"], error["expected"]) == ("invalid_type", path, expected)
    if expected == "date":
        assert error["message"] == "Invalid input, expected a date, received string"


async def test_unknown_query_parameters_are_ignored(emu26):
    created = await emu26.create_destination()
    assert await emu26.list_ids("/callback-destinations", whatever="1", **{"x[y]": "z"}) == [
        created["id"]
    ]
