"""`deliveryUpdated` over graphql-transport-ws: authenticated in connection_init, one
shared poll per credential and destination, stopped when the last client leaves
(a real gateway on uvicorn, a real emulator, a real WebSocket client)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from gateway.settings import Settings
from gateway.web.app import create_app
from tests.conftest import ALPHA_KEY, Rest, RunningServer

WATCH = "subscription($id: ID!) { deliveryUpdated(destinationId: $id) { deliveryId status } }"


@pytest.fixture
async def served(emulator: RunningServer) -> AsyncIterator[RunningServer]:
    settings = Settings(
        upstream_url=emulator.url, upstream_version="2025-01-01", poll_interval=0.05
    )
    server = RunningServer(create_app(settings))
    await server.start()
    yield server
    await server.stop()


async def connect(server: RunningServer, key: str | None = ALPHA_KEY) -> ClientConnection:
    url = server.url.replace("http://", "ws://") + "/graphql"
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    payload = {"Authorization": f"Bearer {key}"} if key else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    return socket


async def subscribe(socket: ClientConnection, destination_id: str) -> None:
    ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert ack["type"] == "connection_ack"
    message = {"id": "1", "type": "subscribe", "payload": {"query": WATCH}}
    message["payload"]["variables"] = {"id": destination_id}  # type: ignore[index]
    await socket.send(json.dumps(message))


async def next_update(socket: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert message["type"] == "next", message
    update: dict[str, Any] = message["payload"]["data"]["deliveryUpdated"]
    return update


async def polls_started(server: RunningServer) -> None:
    watches = server.app.state.watches
    for _ in range(500):  # bounded: the shared poll has read its baseline
        if watches.polls and all(p.polls > 0 for p in watches.polls.values()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no poll started")


async def test_two_clients_share_one_poll_and_both_see_a_new_delivery(
    served: RunningServer, emulator: RunningServer, rest: Rest
) -> None:
    callback = (await rest.callbacks())[0]["id"]
    mine = await rest.create("watched", callbacks={"type": "selected", "callback_id": [callback]})
    first, second = await connect(served), await connect(served)
    await subscribe(first, mine["id"])
    await subscribe(second, mine["id"])
    await polls_started(served)
    watches = served.app.state.watches
    assert len(watches.polls) == 1  # one poll for the credential and destination
    _, [notification] = emulator.app.state.store.record_event(
        "ins_alpha", callback, event_type="t", payload={}, now_ms=time.time_ns() // 1_000_000
    )
    expected = {"deliveryId": notification.id, "status": "DELIVERED"}
    assert await next_update(first) == expected
    assert await next_update(second) == expected
    # the upstream was asked once per round, not once per client
    log = emulator.app.state.request_log
    listed = [r for r in log if r.path == "/callbacks-notifications"]
    [poll] = watches.polls.values()
    assert len(listed) == poll.polls
    await first.close()
    await second.close()
    for _ in range(500):  # the last client gone: the poll stops (bounded wait)
        if not watches.polls:
            break
        await asyncio.sleep(0.01)
    assert watches.polls == {}


async def test_a_connection_without_a_valid_key_is_refused(served: RunningServer) -> None:
    socket = await connect(served, key=None)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_limits_apply_to_subscription_documents(served: RunningServer, rest: Rest) -> None:
    mine = await rest.create("watched")
    socket = await connect(served)
    ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert ack["type"] == "connection_ack"
    deep = (
        "subscription($id: ID!) { deliveryUpdated(destinationId: $id) { event { callback {"
        " events { nodes { deliveries { destination { deliveries { nodes { event { callback {"
        " callbackId } } } } } } } } } } } }"
    )
    payload = {"query": deep, "variables": {"id": mine["id"]}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    message = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert message["type"] == "error"
    assert "levels deep" in message["payload"][0]["message"]
    assert served.app.state.watches.polls == {}  # refused before any poll
    await socket.close()
