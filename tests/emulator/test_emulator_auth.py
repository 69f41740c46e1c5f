"""API keys, scopes, instances (tenants), the management form, and unknown routes."""

from __future__ import annotations

import pytest

from gateway.emulator import DEMO_API_KEY

ALPHA = "metorial_sk_alpha"
ALPHA_TOO = "metorial_sk_alpha_second"
BETA = "metorial_sk_beta"
KEYS = {ALPHA: "ins_alpha", ALPHA_TOO: "ins_alpha", BETA: "ins_beta"}
NOT_FOUND_HINT = (
    "Make sure the resource you are trying to access exists, that you have access to it and "
    "that it has not been deleted."
)
ENDPOINT_NOT_FOUND = {
    "__typename": "error",
    "ok": False,
    "status": 404,
    "code": "not_found",
    "message": "The requested endpoint could not be found.",
    "hint": NOT_FOUND_HINT,
    "entity": "endpoint",
}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def unauthorized(message: str) -> dict[str, object]:
    return {
        "__typename": "error",
        "ok": False,
        "status": 401,
        "code": "unauthorized",
        "message": message,
        "hint": "Pass a secret key as `Authorization: Bearer metorial_sk_...`.",
    }


@pytest.fixture
async def tenants(open_emulator):
    async with open_emulator(api_keys=KEYS) as emulator:
        yield emulator


ROUTES = [
    ("GET", "/callbacks-destinations"),
    ("POST", "/callbacks-destinations"),
    ("GET", "/callbacks-destinations/cld_x"),
    ("PATCH", "/callbacks-destinations/cld_x"),
    ("DELETE", "/callbacks-destinations/cld_x"),
    ("GET", "/callbacks"),
    ("GET", "/callbacks/clb_x"),
    ("GET", "/instances/demo/callbacks-destinations"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_missing_authorization_is_401(emu, method, path):
    response = await emu.client.request(method, path, headers={"Authorization": ""})
    # An empty header is present but malformed; a truly missing one is tested below.
    assert response.status_code == 401
    del emu.client.headers["Authorization"]
    response = await emu.client.request(method, path)
    assert response.status_code == 401
    assert response.json() == unauthorized("Missing Authorization header")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        f"Basic {DEMO_API_KEY}",
        DEMO_API_KEY,
        f"Bearer {DEMO_API_KEY} extra",
        "Bearer metorial_sk_unknown",
    ],
)
async def test_malformed_or_unknown_key_is_401_invalid_api_key(emu, header):
    response = await emu.client.get("/callbacks-destinations", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == unauthorized("Invalid API key")


async def test_bearer_scheme_is_case_insensitive(emu):
    response = await emu.client.get(
        "/callbacks-destinations", headers={"Authorization": f"bearer {DEMO_API_KEY}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/callbacks-destinations", "instance.callback:read"),
        ("GET", "/callbacks", "instance.callback:read"),
        ("POST", "/callbacks-destinations", "instance.callback:write"),
        ("PATCH", "/callbacks-destinations/cld_x", "instance.callback:write"),
        ("DELETE", "/callbacks-destinations/cld_x", "instance.callback:write"),
    ],
)
async def test_publishable_key_is_403_forbidden(emu, method, path, scope):
    response = await emu.client.request(method, path, headers=auth("metorial_pk_anything"))
    assert response.status_code == 403
    assert response.json() == {
        "__typename": "error",
        "ok": False,
        "status": 403,
        "code": "forbidden",
        "message": "You do not have permission to access this resource.",
        "hint": f"This endpoint needs the `{scope}` scope, which publishable keys do not have.",
    }


async def test_demo_key_is_the_only_key_by_default(emu):
    assert DEMO_API_KEY.startswith("metorial_sk_")
    response = await emu.client.get("/callbacks-destinations", headers=auth(ALPHA))
    assert response.status_code == 401


async def test_configured_keys_replace_the_demo_key(tenants):
    response = await tenants.client.get("/callbacks-destinations")
    assert response.status_code == 401
    response = await tenants.client.get("/callbacks-destinations", headers=auth(ALPHA))
    assert response.status_code == 200


async def test_keys_of_one_instance_share_data(tenants):
    created = await tenants.create(headers=auth(ALPHA))
    response = await tenants.client.get(
        f"/callbacks-destinations/{created['id']}", headers=auth(ALPHA_TOO)
    )
    assert response.status_code == 200
    listed = await tenants.client.get("/callbacks-destinations", headers=auth(ALPHA_TOO))
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_other_instance_sees_404_for_foreign_destination(tenants, method):
    created = await tenants.create(headers=auth(ALPHA))
    response = await tenants.client.request(
        method,
        f"/callbacks-destinations/{created['id']}",
        headers=auth(BETA),
        json={"name": "stolen"} if method == "PATCH" else None,
    )
    assert response.status_code == 404
    assert response.json()["entity"] == "callback.destination"
    assert response.json()["id"] == created["id"]
    still = await tenants.client.get(
        f"/callbacks-destinations/{created['id']}", headers=auth(ALPHA)
    )
    assert still.json() == created


async def test_other_instance_never_lists_foreign_destinations(tenants):
    await tenants.create(headers=auth(ALPHA))
    response = await tenants.client.get("/callbacks-destinations", headers=auth(BETA))
    assert response.json()["items"] == []


async def test_instances_have_their_own_seeded_callbacks(tenants):
    alpha = await tenants.callback_ids(headers=auth(ALPHA))
    beta = await tenants.callback_ids(headers=auth(BETA))
    assert len(alpha) == len(beta) == 3
    assert not set(alpha) & set(beta)
    response = await tenants.client.get(f"/callbacks/{alpha[0]}", headers=auth(BETA))
    assert response.status_code == 404


async def test_foreign_callback_ids_are_invalid_for_create(tenants):
    alpha = await tenants.callback_ids(headers=auth(ALPHA))
    response = await tenants.client.post(
        "/callbacks-destinations",
        headers=auth(BETA),
        json={"name": "n", "url": "", "callbacks": {"type": "selected", "callback_id": alpha}},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "One or more callback IDs are invalid"


async def test_foreign_destination_id_as_list_cursor_gives_an_empty_page(tenants):
    alpha = await tenants.create(headers=auth(ALPHA))
    await tenants.create(headers=auth(BETA))
    response = await tenants.client.get(
        "/callbacks-destinations", params={"before": alpha["id"]}, headers=auth(BETA)
    )
    assert response.json()["items"] == []


# --- management form ----------------------------------------------------------------------


async def test_management_form_works_for_the_keys_own_instance(tenants):
    created = await tenants.create(headers=auth(ALPHA))
    base = "/instances/ins_alpha/callbacks-destinations"
    listed = await tenants.client.get(base, headers=auth(ALPHA_TOO))
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    one = await tenants.client.get(f"{base}/{created['id']}", headers=auth(ALPHA))
    assert one.json() == created
    patched = await tenants.client.patch(
        f"{base}/{created['id']}", json={"name": "via management"}, headers=auth(ALPHA)
    )
    assert patched.json()["name"] == "via management"
    made = await tenants.client.post(
        base, json={"name": "m", "url": "", "callbacks": {"type": "all"}}, headers=auth(ALPHA)
    )
    assert made.status_code == 200
    deleted = await tenants.client.delete(f"{base}/{made.json()['id']}", headers=auth(ALPHA))
    assert deleted.status_code == 200
    callbacks = await tenants.client.get("/instances/ins_alpha/callbacks", headers=auth(ALPHA))
    assert len(callbacks.json()["items"]) == 3
    callback_id = callbacks.json()["items"][0]["id"]
    callback = await tenants.client.get(
        f"/instances/ins_alpha/callbacks/{callback_id}", headers=auth(ALPHA)
    )
    assert callback.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/instances/ins_beta/callbacks-destinations"),
        ("POST", "/instances/ins_beta/callbacks-destinations"),
        ("GET", "/instances/ins_beta/callbacks-destinations/cld_x"),
        ("GET", "/instances/ins_beta/callbacks"),
        ("GET", "/instances/nowhere/callbacks/clb_x"),
    ],
)
async def test_management_form_for_another_instance_is_404_instance(tenants, method, path):
    response = await tenants.client.request(method, path, headers=auth(ALPHA))
    assert response.status_code == 404
    instance = path.split("/")[2]
    assert response.json() == {
        "__typename": "error",
        "ok": False,
        "status": 404,
        "code": "not_found",
        "message": "The requested instance could not be found.",
        "hint": NOT_FOUND_HINT,
        "entity": "instance",
        "id": instance,
    }


async def test_management_form_still_authenticates_first(tenants):
    response = await tenants.client.get("/instances/ins_alpha/callbacks-destinations")
    assert response.status_code == 401


# --- unknown routes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/callback-destinations"),
        ("GET", "/callbacks-destinations/"),
        ("GET", "/callbacks-destinations/cld_x/extra"),
        ("PUT", "/callbacks-destinations/cld_x"),
        ("POST", "/callbacks"),
        ("DELETE", "/callbacks-destinations"),
        ("OPTIONS", "/callbacks-destinations"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/instances/demo"),
        ("GET", "/callbacks-notifications"),
    ],
)
async def test_unknown_route_is_404_endpoint_with_or_without_a_key(emu, method, path):
    response = await emu.client.request(method, path)
    assert response.status_code == 404
    assert response.json() == ENDPOINT_NOT_FOUND
    del emu.client.headers["Authorization"]
    response = await emu.client.request(method, path)
    assert response.json() == ENDPOINT_NOT_FOUND
