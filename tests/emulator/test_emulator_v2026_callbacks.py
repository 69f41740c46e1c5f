"""2026-02-01 `/callbacks` (generation MA): create, read, update, archive, list filters."""

from __future__ import annotations

import re

import pytest

from gateway.emulator import TRIGGERS, provider_deployment_id


async def test_create_returns_the_ma_callback_object(emu26):
    destination = await emu26.create_destination()
    created = await emu26.create_callback(
        name="Issues",
        description="d",
        metadata={"k": "v"},
        poll_interval_seconds_override=60,
        destination_ids=[destination["id"], destination["id"]],
        triggers=[{"trigger_id": "record.created", "event_types": ["a", "b"]}],
    )
    assert set(created) == {
        "object", "id", "status", "name", "description", "metadata",
        "poll_interval_seconds_override", "provider_deployment", "destinations",
        "provider_triggers", "created_at", "updated_at",
    }  # fmt: skip
    assert (created["object"], created["status"], created["name"]) == (
        "callback",
        "active",
        "Issues",
    )
    assert re.fullmatch(r"clb_[0-9a-z]{9}[0-9A-Za-z]{13}", created["id"])
    assert (created["description"], created["metadata"]) == ("d", {"k": "v"})
    assert created["poll_interval_seconds_override"] == 60
    deployment = created["provider_deployment"]
    assert deployment["object"] == "provider.deployment#preview"
    assert deployment["id"] == provider_deployment_id("demo") == emu26.deployment_id
    assert set(deployment) == {
        "object", "id", "is_default", "name", "description", "metadata", "provider_id",
        "created_at", "updated_at",
    }  # fmt: skip
    assert created["destinations"] == [destination]  # de-duplicated, full objects
    (trigger,) = created["provider_triggers"]
    assert trigger["object"] == "callback.provider_trigger"
    assert trigger["provider_trigger"]["object"] == "provider.trigger#preview"
    assert trigger["provider_trigger"]["key"] == "record.created"
    assert trigger["event_types"] == ["a", "b"]
    response = await emu26.client.get(f"/callbacks/{created['id']}")
    assert response.json() == created
    managed = await emu26.client.get(f"/instances/demo/callbacks/{created['id']}")
    assert managed.json() == created


async def test_create_defaults(emu26):
    created = await emu26.create_callback()
    assert created["description"] is None
    assert created["metadata"] is None
    assert created["poll_interval_seconds_override"] is None
    assert created["destinations"] == []
    assert created["provider_triggers"] == []


async def test_triggers_may_be_named_by_key_or_id_and_missing_event_types_are_empty(emu26):
    first = await emu26.create_callback(triggers=[{"trigger_id": "record.updated"}])
    trigger_id = first["provider_triggers"][0]["provider_trigger"]["id"]
    second = await emu26.create_callback(triggers=[{"trigger_id": trigger_id, "event_types": []}])
    assert second["provider_triggers"][0]["provider_trigger"]["key"] == "record.updated"
    assert first["provider_triggers"][0]["event_types"] == []
    assert [key for key, _ in TRIGGERS] == ["record.created", "record.updated", "record.deleted"]


async def test_unknown_trigger_is_invalid_callback_trigger(emu26):
    response = await emu26.client.post(
        "/callbacks",
        json={"provider_deployment_id": emu26.deployment_id, "name": "n",
              "triggers": [{"trigger_id": "nope"}]},
    )  # fmt: skip
    assert response.status_code == 400
    body = response.json()
    assert body["object"] == "error"
    assert (body["code"], body["message"]) == (
        "invalid_callback_trigger", "Trigger not found in provider specification: nope",
    )  # fmt: skip


async def test_unknown_deployment_is_404_provider_deployment(emu26):
    response = await emu26.client.post(
        "/callbacks", json={"provider_deployment_id": "prd_nope", "name": "n"}
    )
    assert response.status_code == 404
    body = response.json()
    assert (body["object"], body["code"], body["entity"], body["id"]) == (
        "error", "not_found", "provider.deployment", "prd_nope",
    )  # fmt: skip


async def test_another_instances_deployment_is_unknown(open_emulator):
    keys = {"metorial_sk_a": "a", "metorial_sk_b": "b"}
    async with open_emulator(api_version="2026-02-01", api_keys=keys) as emu:
        response = await emu.client.post(
            "/callbacks",
            json={"provider_deployment_id": provider_deployment_id("b"), "name": "n"},
            headers={"Authorization": "Bearer metorial_sk_a"},
        )
        assert response.status_code == 404


@pytest.mark.parametrize("value", [0, -5, 1.5])
async def test_poll_interval_must_be_a_positive_integer(emu26, value):
    response = await emu26.client.post(
        "/callbacks",
        json={"provider_deployment_id": emu26.deployment_id, "name": "n",
              "poll_interval_seconds_override": value},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_poll_interval"


async def test_poll_interval_of_wrong_type_is_invalid_data(emu26):
    response = await emu26.client.post(
        "/callbacks",
        json={"provider_deployment_id": emu26.deployment_id, "name": "n",
              "poll_interval_seconds_override": "60"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == ["poll_interval_seconds_override"]


async def test_more_than_100_distinct_destinations_is_limit_exceeded(emu26):
    ids = [f"cld_{n:022d}" for n in range(101)]
    response = await emu26.client.post(
        "/callbacks",
        json={"provider_deployment_id": emu26.deployment_id, "name": "n", "destination_ids": ids},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "callback_destination_limit_exceeded"
    assert response.json()["object"] == "error"


async def test_100_distinct_destinations_after_dedup_are_allowed(emu26):
    created = [(await emu26.create_destination(name=f"d{n}"))["id"] for n in range(100)]
    callback = await emu26.create_callback(destination_ids=created + created[:5])
    assert [item["id"] for item in callback["destinations"]] == created


@pytest.mark.parametrize("kind", ["unknown", "archived", "other_instance"])
async def test_destination_ids_must_be_active_destinations_of_the_instance(open_emulator, kind):
    keys = {"metorial_sk_demo_local_emulator_key": "demo", "metorial_sk_b": "b"}
    async with open_emulator(api_version="2026-02-01", api_keys=keys) as emu:
        if kind == "unknown":
            id_ = "cld_unknown"
        else:
            headers = {"Authorization": "Bearer metorial_sk_b"} if kind == "other_instance" else {}
            made = await emu.client.post(
                "/callback-destinations", json={"name": "n", "url": "https://e.com"},
                headers=headers,
            )  # fmt: skip
            id_ = made.json()["id"]
            if kind == "archived":
                await emu.client.delete(f"/callback-destinations/{id_}")
        response = await emu.client.post(
            "/callbacks",
            json={"provider_deployment_id": provider_deployment_id("demo"), "name": "n",
                  "destination_ids": [id_]},
        )  # fmt: skip
        assert response.status_code == 400
        body = response.json()
        assert (body["object"], body["code"], body["message"]) == (
            "error", "bad_request", "One or more callback destinations were not found.",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": "n"}, ["provider_deployment_id"]),
        ({"provider_deployment_id": "x"}, ["name"]),
        ({"provider_deployment_id": "x", "name": "n", "description": None}, ["description"]),
        ({"provider_deployment_id": "x", "name": "n", "metadata": "m"}, ["metadata"]),
        (
            {"provider_deployment_id": "x", "name": "n", "destination_ids": "cld"},
            ["destination_ids"],
        ),
        (
            {"provider_deployment_id": "x", "name": "n", "destination_ids": [1]},
            ["destination_ids", 0],
        ),
        (
            {"provider_deployment_id": "x", "name": "n", "triggers": [{}]},
            ["triggers", 0, "trigger_id"],
        ),
        (
            {
                "provider_deployment_id": "x",
                "name": "n",
                "triggers": [{"trigger_id": "t", "event_types": [2]}],
            },
            ["triggers", 0, "event_types", 0],
        ),
    ],
)
async def test_create_body_validation_runs_before_lookups(emu26, body, path):
    response = await emu26.client.post("/callbacks", json=body)
    assert response.status_code == 400
    error = response.json()
    assert (error["object"], error["code"], error["entity"]) == ("error", "invalid_data", "body")
    assert error["errors"][0]["path"] == path


async def test_update_replaces_destinations_and_triggers_when_present(emu26):
    a, b, c = [await emu26.create_destination(name=n) for n in "abc"]
    created = await emu26.create_callback(
        destination_ids=[a["id"], b["id"]], triggers=[{"trigger_id": "record.created"}]
    )
    path = f"/callbacks/{created['id']}"
    renamed = (await emu26.client.patch(path, json={"name": "Renamed"})).json()
    assert [d["id"] for d in renamed["destinations"]] == [a["id"], b["id"]]
    assert renamed["provider_triggers"] == created["provider_triggers"]
    replaced = (
        await emu26.client.patch(
            path,
            json={"destination_ids": [c["id"]], "triggers": [{"trigger_id": "record.deleted"}],
                  "metadata": {"x": 1}, "description": "new"},
        )
    ).json()  # fmt: skip
    assert [d["id"] for d in replaced["destinations"]] == [c["id"]]
    assert [t["provider_trigger"]["key"] for t in replaced["provider_triggers"]] == [
        "record.deleted"
    ]
    assert (replaced["name"], replaced["description"], replaced["metadata"]) == (
        "Renamed", "new", {"x": 1},
    )  # fmt: skip
    assert replaced["updated_at"] >= created["updated_at"]
    assert replaced["created_at"] == created["created_at"]
    assert (await emu26.client.get(path)).json() == replaced


async def test_update_poll_interval_set_and_cleared(emu26):
    created = await emu26.create_callback()
    path = f"/callbacks/{created['id']}"
    updated = (await emu26.client.patch(path, json={"poll_interval_seconds_override": 30})).json()
    assert updated["poll_interval_seconds_override"] == 30
    cleared = (await emu26.client.patch(path, json={"poll_interval_seconds_override": None})).json()
    assert cleared["poll_interval_seconds_override"] is None
    bad = await emu26.client.patch(path, json={"poll_interval_seconds_override": -1})
    assert bad.json()["code"] == "invalid_poll_interval"


@pytest.mark.parametrize(
    "field", ["name", "description", "metadata", "destination_ids", "triggers"]
)
async def test_update_rejects_null(emu26, field):
    created = await emu26.create_callback()
    response = await emu26.client.patch(f"/callbacks/{created['id']}", json={field: None})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == [field]


async def test_update_errors(emu26):
    created = await emu26.create_callback()
    path = f"/callbacks/{created['id']}"
    unknown = await emu26.client.patch(path, json={"destination_ids": ["cld_nope"]})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "bad_request")
    trigger = await emu26.client.patch(path, json={"triggers": [{"trigger_id": "x"}]})
    assert trigger.json()["code"] == "invalid_callback_trigger"
    missing = await emu26.client.patch("/callbacks/clb_nope", json={"name": "n"})
    assert missing.status_code == 404
    assert (missing.json()["object"], missing.json()["entity"]) == ("error", "callback")
    invalid_first = await emu26.client.patch("/callbacks/clb_nope", json={"name": 3})
    assert invalid_first.status_code == 400


async def test_delete_archives_and_the_callback_is_then_gone(emu26):
    created = await emu26.create_callback()
    path = f"/callbacks/{created['id']}"
    response = await emu26.client.delete(path)
    assert response.status_code == 200
    assert response.json()["status"] == "archived"
    for method, kwargs in (("GET", {}), ("DELETE", {}), ("PATCH", {"json": {"name": "x"}})):
        again = await emu26.client.request(method, path, **kwargs)
        assert again.status_code == 404, method
        assert (again.json()["object"], again.json()["entity"]) == ("error", "callback")
    assert created["id"] not in await emu26.list_ids("/callbacks", limit=100)


async def test_status_filter_follows_the_list_utils_rules(emu26):
    kept = await emu26.create_callback(name="kept")
    gone = await emu26.create_callback(name="gone")
    await emu26.client.delete(f"/callbacks/{gone['id']}")
    default = await emu26.list_ids("/callbacks", limit=100)
    assert kept["id"] in default
    assert gone["id"] not in default
    archived = await emu26.list_ids("/callbacks", limit=100, status="archived")
    assert archived == [gone["id"]]
    both = await emu26.list_ids("/callbacks", limit=100, **{"status[]": ["active", "archived"]})
    assert both == [*default, gone["id"]]
    deleted_only = await emu26.list_ids("/callbacks", limit=100, status="deleted")
    assert deleted_only == [*default, gone["id"]]  # nothing left: no status filter
    bad = await emu26.client.get("/callbacks", params={"status": "paused"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "invalid_enum"


async def test_id_and_deployment_filters(emu26):
    seeded = await emu26.list_ids("/callbacks")
    mine = await emu26.create_callback()
    assert await emu26.list_ids("/callbacks", id=[mine["id"], seeded[0], ""]) == [
        seeded[0], mine["id"],
    ]  # fmt: skip
    assert await emu26.list_ids("/callbacks", **{"id[0]": mine["id"]}) == [mine["id"]]
    all_of_it = await emu26.list_ids(
        "/callbacks", provider_deployment_id=emu26.deployment_id, limit=100
    )
    assert all_of_it == [*seeded, mine["id"]]
    assert await emu26.list_ids("/callbacks", provider_deployment_id="prd_other") == []


async def test_callback_list_pagination_and_date_filters(emu26):
    seeded = await emu26.list_ids("/callbacks")
    made = [(await emu26.create_callback(name=f"c{n}"))["id"] for n in range(3)]
    everything = [*seeded, *made]
    page = await emu26.client.get("/callbacks", params={"limit": 2, "order": "desc"})
    assert [item["id"] for item in page.json()["items"]] == everything[::-1][:2]
    assert page.json()["pagination"] == {"has_more_before": False, "has_more_after": True}
    back = await emu26.client.get("/callbacks", params={"limit": 2, "before": made[0]})
    assert [item["id"] for item in back.json()["items"]] == everything[-5:-3]
    assert await emu26.list_ids("/callbacks", **{"created_at[lt]": "2000-01-01"}) == []
    assert await emu26.list_ids("/callbacks", limit=100, **{"updated_at[gt]": "2000-01-01"}) == (
        everything
    )
    bad = await emu26.client.get("/callbacks", params={"created_at[gt]": "soon"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["path"] == ["created_at", "gt"]


async def test_seeded_callbacks_are_visible_with_the_documented_mapping(emu26):
    items = (await emu26.client.get("/callbacks")).json()["items"]
    old = {item["id"]: item for item in (await emu26.v2025("GET", "/callbacks")).json()["items"]}
    assert len(items) == 3
    for item in items:
        before = old[item["id"]]
        assert item["status"] == "active"
        assert item["metadata"] is None
        assert item["provider_deployment"]["id"] == emu26.deployment_id
        assert item["provider_triggers"] == []
        assert (item["name"], item["description"]) == (before["name"], before["description"])
        assert (item["created_at"], item["updated_at"]) == (
            before["created_at"], before["updated_at"],
        )  # fmt: skip
        expected = before["schedule"]["interval_seconds"] if before["type"] == "polling" else None
        assert item["poll_interval_seconds_override"] == expected
    assert {item["poll_interval_seconds_override"] for item in items} == {None, 300}
