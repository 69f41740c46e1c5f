"""Automatic Persisted Queries as Apollo Client and urql send them, and safelist mode."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ALPHA_KEY, Gateway, GatewayFactory, RunningServer

QUERY = "query Names { callbackDestinations(first: 5) { nodes { name } } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
AUTH = {"Authorization": f"Bearer {ALPHA_KEY}"}


def apq(digest: str = HASH, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


async def post(gateway: Gateway, body: dict[str, Any]) -> httpx.Response:
    return await gateway.client.post("/graphql", json=body, headers=AUTH)


async def test_miss_then_register_then_hit(gateway: Gateway) -> None:
    miss = await post(gateway, {"extensions": apq()})
    assert miss.status_code == 200
    assert miss.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    register = await post(gateway, {"query": QUERY, "extensions": apq()})
    assert register.json() == {"data": {"callbackDestinations": {"nodes": []}}}
    hit = await post(gateway, {"extensions": apq()})
    assert hit.json() == {"data": {"callbackDestinations": {"nodes": []}}}


async def test_hashed_query_over_get_as_apollo_sends_it(gateway: Gateway) -> None:
    await post(gateway, {"query": QUERY, "extensions": apq()})
    response = await gateway.client.get(
        "/graphql",
        params={"operationName": "Names", "extensions": json.dumps(apq())},
        headers=AUTH,
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"callbackDestinations": {"nodes": []}}}


async def test_hash_mismatch_is_refused_and_not_stored(gateway: Gateway) -> None:
    wrong = "0" * 64
    response = await post(gateway, {"query": QUERY, "extensions": apq(wrong)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "provided sha does not match query"
    miss = await post(gateway, {"extensions": apq(wrong)})
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_unsupported_version_and_bad_hash_are_clear_errors(gateway: Gateway) -> None:
    version = await post(gateway, {"extensions": apq(version=2)})
    assert "version" in version.json()["errors"][0]["message"]
    short = await post(gateway, {"extensions": apq("abc")})
    assert "64-character" in short.json()["errors"][0]["message"]


async def test_persisted_mutation_over_get_is_still_405(gateway: Gateway) -> None:
    mutation = 'mutation M { deleteCallbackDestination(input: {id: "x"}) { clientMutationId } }'
    digest = hashlib.sha256(mutation.encode()).hexdigest()
    response = await gateway.client.get(
        "/graphql", params={"query": mutation, "extensions": json.dumps(apq(digest))}
    )
    assert response.status_code == 405


async def test_safelist_mode_runs_only_manifest_documents(
    emulator: RunningServer, make_gateway: GatewayFactory, tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": HASH, "body": QUERY, "name": "Names", "type": "query"}],
            }
        )
    )
    gateway: Gateway = await make_gateway(
        emulator.url, persisted_queries_file=str(manifest), safelist_only=True
    )
    by_hash = await post(gateway, {"extensions": apq()})
    assert by_hash.json() == {"data": {"callbackDestinations": {"nodes": []}}}
    by_text = await post(gateway, {"query": QUERY})
    assert by_text.json() == {"data": {"callbackDestinations": {"nodes": []}}}
    other = "{ __typename }"
    refused = await post(gateway, {"query": other})
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    register = await post(
        gateway, {"query": other, "extensions": apq(hashlib.sha256(other.encode()).hexdigest())}
    )
    assert register.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
