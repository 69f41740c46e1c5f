"""The whole loop, on both API versions: a destination made through the gateway points at a
real receiver, the emulator really delivers (failing twice, then succeeding), and the
gateway shows the delivery with its attempts, its event, and live through the subscription.

Real servers: emulator and gateway on uvicorn, `gateway.webhooks.WebhookReceiver` in a
thread, a WebSocket client. Outcomes are awaited by bounded polling, never timed."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from gateway.settings import Settings
from gateway.web.app import create_app
from gateway.webhooks import WebhookReceiver
from tests.conftest import ALPHA_KEY, Rest, RunningServer, start_emulator
from tests.versions import BOTH_VERSIONS

pytestmark = BOTH_VERSIONS

CREATE = """
mutation($input: CreateCallbackDestinationInput!) {
  createCallbackDestination(input: $input) {
    callbackDestination { id destinationId } userErrors { message }
  }
}
"""
DELIVERIES = """
query($id: ID!) {
  callbackDestination(id: $id) {
    deliveries(first: 5) {
      nodes {
        deliveryId status attemptCount
        event { type payload }
        attempts { index status responseStatus requestHeaders }
      }
    }
  }
}
"""
WATCH = "subscription($id: ID!) { deliveryUpdated(destinationId: $id) { deliveryId status } }"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver("set-below", fail_first=2)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
async def servers(api_version: str) -> AsyncIterator[tuple[RunningServer, RunningServer]]:
    emulator = await start_emulator(retry_scale=0.05)
    settings = Settings(
        upstream_url=emulator.url, upstream_version=api_version, cache_ttl=0, poll_interval=0.05
    )
    gateway = RunningServer(create_app(settings))
    await gateway.start()
    yield emulator, gateway
    await gateway.stop()
    await emulator.stop()


async def graphql(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_a_real_delivery_failing_twice_is_seen_with_its_attempts_and_live(
    servers: tuple[RunningServer, RunningServer], receiver: WebhookReceiver, api_version: str
) -> None:
    emulator, gateway = servers
    rest = Rest(emulator.url)
    callback = (await rest.callbacks())[0]["id"]
    auth = {"Authorization": f"Bearer {ALPHA_KEY}"}
    async with httpx.AsyncClient(base_url=gateway.url, headers=auth, timeout=30) as client:
        selected = {"type": "SELECTED", "callbackIds": [callback]}
        created = await graphql(
            client,
            CREATE,
            {"input": {"name": "receiver", "url": receiver.url, "callbacks": selected}},
        )
        destination = created["createCallbackDestination"]["callbackDestination"]
        stored = await rest.client.get(f"/callbacks-destinations/{destination['destinationId']}")
        receiver.secret = stored.json()["webhook_destination"]["signing_secret"]

        url = gateway.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            await socket.send(json.dumps({"type": "connection_init", "payload": auth}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            payload = {"query": WATCH, "variables": {"id": destination["id"]}}
            await socket.send(json.dumps({"id": "w", "type": "subscribe", "payload": payload}))
            watches = gateway.app.state.watches
            for _ in range(500):  # the watch has its baseline (bounded)
                if any(p.polls for p in watches.polls.values()):
                    break
                await asyncio.sleep(0.01)

            triggered = await rest.client.post(
                f"/_emulator/callbacks/{callback}/events",
                json={"type": "order.created", "payload": {"order": 7}},
            )
            assert triggered.status_code == 200, triggered.text

            seen: list[str] = []
            while "DELIVERED" not in seen:  # live updates until it is delivered
                message = json.loads(await asyncio.wait_for(socket.recv(), 30))
                assert message["type"] == "next", message
                seen.append(message["payload"]["data"]["deliveryUpdated"]["status"])
            assert seen[-1] == "DELIVERED"

        data = await graphql(client, DELIVERIES, {"id": destination["id"]})
    [delivery] = data["callbackDestination"]["deliveries"]["nodes"]
    assert delivery["status"] == "DELIVERED"
    assert delivery["attemptCount"] == 3
    assert delivery["event"] == {"type": "order.created", "payload": {"order": 7}}
    if api_version == "2025-01-01":  # the only version with a per-attempt HTTP log
        attempts = delivery["attempts"]
        assert [a["status"] for a in attempts] == ["failed", "failed", "succeeded"]
        assert [a["responseStatus"] for a in attempts] == [500, 500, 200]
        assert all(a["requestHeaders"]["Metorial-Signature"] == "[redacted]" for a in attempts)
        assert receiver.secret not in json.dumps(attempts)
    else:
        assert delivery["attempts"] is None
    assert [d["status"] for d in receiver.deliveries] == [500, 500, 200]
    assert all(d["verified"] for d in receiver.deliveries)
    await rest.client.aclose()
