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


MISSING_HINT = (
    'Copy your API key from the Metorial dashboard and use it in the "Authorization" header in '
    'the format "Bearer your_token_from_the_dashboard"'
)
DEFAULT_HINT = (
    "Make sure you are logged in and have the correct permissions to access this resource."
)


def unauthorized(message: str, **extra: str) -> dict[str, object]:
    return {
        "__typename": "error",
        "ok": False,
        "status": 401,
        "code": "unauthorized",
        "message": message,
        **extra,
    }


MISSING = unauthorized(
    "Missing Authorization header",
    hint=MISSING_HINT,
    description='Expected the authentication header to be "Bearer <token>".',
)
INVALID = unauthorized(
    "Invalid API key", hint="Make sure to use a valid API key from the Metorial dashboard"
)


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
    """backend/auth/src/index.ts; bearer/parseBearerToken.ts treats an empty header as absent."""
    response = await emu.client.request(method, path, headers={"Authorization": ""})
    assert response.json() == MISSING
    del emu.client.headers["Authorization"]
    response = await emu.client.request(method, path)
    assert response.status_code == 401
    assert response.json() == MISSING


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        f"Basic {DEMO_API_KEY}",
        DEMO_API_KEY,
        f"Bearer {DEMO_API_KEY} extra",
        f"Bearer  {DEMO_API_KEY}",
        f"bearer {DEMO_API_KEY}",
        f"BEARER {DEMO_API_KEY}",
    ],
)
async def test_malformed_authorization_is_401_malformed(emu, header):
    """bearer/src/parseBearerToken.ts: trim, split on " ", exactly ["Bearer", token]."""
    response = await emu.client.get("/callbacks-destinations", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == unauthorized(
        "Malformed Authorization header",
        hint=DEFAULT_HINT,
        description=f'Expected "Bearer <token>", got "{header.strip()}"',
    )


async def test_unknown_key_is_401_invalid_api_key(emu):
    """modules/machine-access/src/services/machineAccessAuth.ts."""
    response = await emu.client.get(
        "/callbacks-destinations", headers={"Authorization": "Bearer metorial_sk_unknown"}
    )
    assert response.status_code == 401
    assert response.json() == INVALID


async def test_token_may_come_as_token_or_key_query_parameter(emu):
    """bearer/src/extractToken.ts: `token` ?? `key`, only without a header."""
    del emu.client.headers["Authorization"]
    for query in (f"token={DEMO_API_KEY}", f"key={DEMO_API_KEY}", f"key=x&token={DEMO_API_KEY}"):
        assert (await emu.client.get(f"/callbacks?{query}")).status_code == 200, query
    # An empty `token=` is a value (`??` only skips null): `key` is not read.
    response = await emu.client.get(f"/callbacks?token=&key={DEMO_API_KEY}")
    assert response.json() == MISSING


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
    """modules/access/src/services/access.ts checkAccess; after the lookup (404 first)."""
    body = {"name": "n", "url": "", "callbacks": {"type": "all"}}
    response = await emu.client.request(
        method, path, headers=auth("metorial_pk_anything"), json=body
    )
    if path.endswith("cld_x"):
        assert response.status_code == 404
        return
    assert response.status_code == 403
    assert response.json() == {
        "__typename": "error",
        "ok": False,
        "status": 403,
        "code": "forbidden",
        "message": "You don't have the required permissions to perform this action",
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


async def test_instance_key_ignores_the_instance_id_of_the_management_form(tenants):
    """apis/core/src/middleware/instanceGroup.ts: an instance-bound key acts on its instance."""
    created = await tenants.create(headers=auth(BETA))
    for prefix in ("/instances/ins_alpha", "/instances/nowhere", "/dashboard/instances/x"):
        response = await tenants.client.get(
            f"{prefix}/callbacks-destinations/{created['id']}", headers=auth(BETA)
        )
        assert response.status_code == 200, prefix
        response = await tenants.client.get(
            f"{prefix}/callbacks-destinations/{created['id']}", headers=auth(ALPHA)
        )
        assert response.status_code == 404, prefix


async def test_management_form_still_authenticates_first(tenants):
    response = await tenants.client.get("/instances/ins_alpha/callbacks-destinations")
    assert response.status_code == 401


# --- unknown routes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/callback-destinations"),
        ("GET", "/callbacks-destinations/"),
        ("GET", "/callbacks-destinations/cld_x/extra"),
        ("PUT", "/callbacks-destinations/cld_x"),
        ("POST", "/callbacks"),
        ("DELETE", "/callbacks-destinations"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/instances/demo"),
        ("GET", "/callbacks-notification"),
    ],
)
async def test_unknown_route_is_404_endpoint_only_after_auth(emu, method, path):
    """rest/src/server.ts: authenticate, rate limit, then Hono's notFound."""
    response = await emu.client.request(method, path)
    assert response.status_code == 404
    assert response.json() == ENDPOINT_NOT_FOUND
    del emu.client.headers["Authorization"]
    response = await emu.client.request(method, path)
    assert response.json() == MISSING
