"""The emulator delivers for real: signed POSTs to a receiver on loopback, retries, the
attempts read back through both versions' delivery logs, and a restart mid-retry.

Real servers: the emulator on uvicorn, `gateway.webhooks.WebhookReceiver` in a thread.
Outcomes are awaited by bounded polling, never timed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from gateway.emulator import EmulatorConfig
from gateway.emulator import create_app as create_emulator
from gateway.webhooks import WebhookReceiver
from tests.conftest import ALPHA_KEY, API_KEYS, MAGNETAR, PULSAR, RunningServer

T = TypeVar("T")
AUTH = {"Authorization": f"Bearer {ALPHA_KEY}"}
V2025 = {"metorial-version": PULSAR}
V2026 = {"metorial-version": MAGNETAR}


async def until(probe: Callable[[], Awaitable[T | None]], what: str, tries: int = 1000) -> T:
    """Poll ``probe`` until it returns something truthy (bounded: about 20 s at most)."""
    for _ in range(tries):
        result = await probe()
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver("not-set-yet")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


async def running(db_path: str = ":memory:", **options: Any) -> RunningServer:
    config = EmulatorConfig(db_path=db_path, api_keys=API_KEYS, api_version="2025-01-01", **options)
    server = RunningServer(create_emulator(config))
    await server.start()
    return server


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def json(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        response = await self.client.request(method, path, headers=headers, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    async def callback_ids(self) -> list[str]:
        body = await self.json("GET", "/callbacks", V2025)
        return [item["id"] for item in body["items"]]

    async def destination_2025(self, url: str, callbacks: dict[str, Any]) -> dict[str, Any]:
        body = {"name": "Receiver", "url": url, "callbacks": callbacks}
        return dict(await self.json("POST", "/callbacks-destinations", V2025, json=body))

    async def trigger(self, callback_id: str, headers: dict[str, str] = V2025, **body: Any) -> Any:
        body.setdefault("payload", {"order": 1})
        return await self.json(
            "POST", f"/_emulator/callbacks/{callback_id}/events", headers, json=body
        )

    async def notifications_2025(self, event_id: str) -> list[dict[str, Any]]:
        body = await self.json(
            "GET", "/callbacks-notifications", V2025, params={"event_id": event_id}
        )
        return list(body["items"])

    async def settled(self, event_id: str, status: str = "succeeded") -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            items = await self.notifications_2025(event_id)
            return items[0] if items and items[0]["status"] == status else None

        return await until(probe, f"a {status} notification of {event_id}")


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    server = await running(retry_scale=0.001)
    async with httpx.AsyncClient(base_url=server.url, headers=AUTH) as client:
        yield Api(client)
    await server.stop()


def check_signature(secret: str, request: dict[str, Any]) -> None:
    """The stored request's signature, recomputed by hand."""
    headers = request["request_headers"]
    fields = dict(part.split("=", 1) for part in headers["Metorial-Signature"].split(","))
    host = httpx.URL(request["url"]).netloc.decode()
    assert fields["i"] == host
    message = f"{host}.{fields['t']}.{request['request_body']}".encode()
    assert fields["v1"] == hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def test_a_delivery_reaches_the_receiver_signed_and_is_logged_in_both_versions(
    api: Api, receiver: WebhookReceiver
) -> None:
    callback_id = (await api.callback_ids())[0]
    destination = await api.destination_2025(receiver.url + "/hook", {"type": "all"})
    secret = destination["webhook_destination"]["signing_secret"]
    receiver.secret = secret

    event = await api.trigger(callback_id, type="order.created", payload={"order": 7})
    assert event["object"] == "callback.event"
    assert event["type"] == "order.created"

    notification = await api.settled(event["id"])
    (received,) = receiver.deliveries
    assert received["verified"] is True
    assert received["status"] == 200
    assert received["eventId"] == event["id"]
    assert received["notificationId"] == notification["id"]
    assert received["callbackId"] == callback_id
    assert (received["type"], received["payload"]) == ("order.created", {"order": 7})

    (attempt,) = notification["attempts"]
    assert attempt["status"] == "succeeded"
    request = attempt["webhook_request"]
    assert request["url"] == receiver.url + "/hook"
    assert request["request_method"] == "POST"
    assert json.loads(request["request_body"]) == {
        "eventId": event["id"],
        "notificationId": notification["id"],
        "callbackId": callback_id,
        "object": "callback.notification",
        "type": "order.created",
        "payload": {"order": 7},
    }
    headers = request["request_headers"]
    assert headers["Metorial-Notification-Id"] == notification["id"]
    assert headers["Metorial-Event-Id"] == event["id"]
    assert headers["Metorial-Callback-Id"] == callback_id
    assert headers["Metorial-Version"] == "2025-01-01"
    check_signature(secret, request)
    assert secret not in json.dumps(notification)
    assert request["response_status"] == 200
    assert json.loads(request["response_body"]) == {"ok": True}
    assert request["request_error"] is None
    assert isinstance(request["duration"], int)

    # The same delivery through 2026-02-01.
    listed = await api.json("GET", f"/callbacks/{callback_id}/notifications", V2026)
    (item,) = [entry for entry in listed["items"] if entry["event"]["id"] == event["id"]]
    assert item["id"] == notification["id"]
    assert item["object"] == "callback.notification"
    assert item["status"] == "delivered"
    assert item["attempt_count"] == 1
    assert item["error"] is None
    assert item["destination"]["id"] == destination["id"]
    assert item["destination"]["webhook"]["url"] == receiver.url + "/hook"
    assert item["event"]["success_count"] == 1
    assert item["last_attempt_at"] is not None
    assert item["next_attempt_at"] is None
    got = await api.json("GET", f"/callbacks/{callback_id}/notifications/{item['id']}", V2026)
    assert got == item
    got_event = await api.json("GET", f"/callbacks/{callback_id}/events/{event['id']}", V2026)
    assert got_event["delivery_status"] == "sent"
    assert got_event["input"] == {"order": 7}


async def test_a_receiver_failing_twice_shows_two_failed_attempts_then_a_success(
    api: Api, receiver: WebhookReceiver
) -> None:
    callback_id = (await api.callback_ids())[1]
    destination = await api.destination_2025(
        receiver.url, {"type": "selected", "callback_id": [callback_id]}
    )
    receiver.secret = destination["webhook_destination"]["signing_secret"]
    receiver.fail_first = 2

    event = await api.trigger(callback_id)
    notification = await api.settled(event["id"])
    attempts = notification["attempts"]
    assert [a["status"] for a in attempts] == ["failed", "failed", "succeeded"]
    assert [a["index"] for a in attempts] == [0, 1, 2]
    assert [a["webhook_request"]["response_status"] for a in attempts] == [500, 500, 200]
    assert [d["status"] for d in receiver.deliveries] == [500, 500, 200]
    assert all(d["verified"] for d in receiver.deliveries)

    ma = await api.json(
        "GET",
        f"/callbacks/{callback_id}/notifications",
        V2026,
        params={"destination_id": destination["id"], "status": "delivered"},
    )
    (item,) = ma["items"]
    assert (item["status"], item["attempt_count"]) == ("delivered", 3)


async def test_a_2026_link_receives_deliveries_and_an_unlinked_destination_none(
    api: Api, receiver: WebhookReceiver
) -> None:
    linked = await api.json(
        "POST", "/callback-destinations", V2026, json={"name": "A", "url": receiver.url + "/a"}
    )
    await api.json(
        "POST", "/callback-destinations", V2026, json={"name": "B", "url": receiver.url + "/b"}
    )
    shown = await api.json("GET", f"/callbacks-destinations/{linked['id']}", V2025)
    receiver.secret = shown["webhook_destination"]["signing_secret"]
    from gateway.emulator import provider_deployment_id

    callback = await api.json(
        "POST",
        "/callbacks",
        V2026,
        json={
            "provider_deployment_id": provider_deployment_id("ins_alpha"),
            "name": "Linked",
            "destination_ids": [linked["id"]],
        },
    )
    event = await api.trigger(callback["id"], V2026, type="record.created")
    assert event["object"] == "callback.event"
    assert event["delivery_status"] == "pending"
    assert event["callback_id"] == callback["id"]
    await api.settled(event["id"])
    assert len(receiver.deliveries) == 1
    listed = await api.json("GET", f"/callbacks/{callback['id']}/notifications", V2026)
    assert [item["destination"]["id"] for item in listed["items"]] == [linked["id"]]


async def test_deliveries_give_up_after_twenty_retries(receiver: WebhookReceiver) -> None:
    server = await running(retry_scale=0)
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=AUTH) as client:
            api = Api(client)
            callback_id = (await api.callback_ids())[0]
            destination = await api.destination_2025(receiver.url, {"type": "all"})
            receiver.secret = destination["webhook_destination"]["signing_secret"]
            receiver.fail_first = 1000
            event = await api.trigger(callback_id)
            notification = await api.settled(event["id"], "failed")
            assert len(notification["attempts"]) == 21
            assert len(receiver.deliveries) == 21
            (item,) = (await api.json("GET", f"/callbacks/{callback_id}/notifications", V2026))[
                "items"
            ]
            assert item["status"] == "failed"
            assert item["attempt_count"] == 21
            assert item["error"]["code"] == "unexpected_status"
            assert item["next_attempt_at"] is None
            failed = await api.json(
                "GET", f"/callbacks/{callback_id}/events", V2026, params={"type": "emulator.event"}
            )
            assert [e["delivery_status"] for e in failed["items"]] == ["failed"]
    finally:
        await server.stop()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_destination_records_the_error_and_waits_to_retry() -> None:
    server = await running(retry_scale=1000)
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=AUTH) as client:
            api = Api(client)
            callback_id = (await api.callback_ids())[0]
            await api.destination_2025(f"http://127.0.0.1:{_closed_port()}/", {"type": "all"})
            event = await api.trigger(callback_id)
            notification = await api.settled(event["id"], "retrying")
            (attempt,) = notification["attempts"]
            assert attempt["status"] == "failed"
            assert attempt["webhook_request"]["response_status"] == -1
            assert attempt["webhook_request"]["request_error"]
            (item,) = (
                await api.json(
                    "GET",
                    f"/callbacks/{callback_id}/notifications",
                    V2026,
                    params={"status": "retrying"},
                )
            )["items"]
            assert item["error"]["code"] == "request_failed"
            assert item["next_attempt_at"] > item["last_attempt_at"]
    finally:
        await server.stop()


async def test_a_restart_mid_retry_resumes_and_completes(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    db = str(tmp_path / "emulator.sqlite3")
    first = await running(db, retry_scale=1000)  # the first retry would be 2000 s away
    try:
        async with httpx.AsyncClient(base_url=first.url, headers=AUTH) as client:
            api = Api(client)
            callback_id = (await api.callback_ids())[0]
            destination = await api.destination_2025(receiver.url, {"type": "all"})
            receiver.secret = destination["webhook_destination"]["signing_secret"]
            receiver.fail_first = 1
            event = await api.trigger(callback_id)
            await api.settled(event["id"], "retrying")
    finally:
        await first.stop()
    assert [d["status"] for d in receiver.deliveries] == [500]

    second = await running(db, retry_scale=0.001)
    try:
        async with httpx.AsyncClient(base_url=second.url, headers=AUTH) as client:
            notification = await Api(client).settled(event["id"])
    finally:
        await second.stop()
    assert [a["status"] for a in notification["attempts"]] == ["failed", "succeeded"]
    assert [d["status"] for d in receiver.deliveries] == [500, 200]


async def test_periodic_events_reach_every_active_callback(receiver: WebhookReceiver) -> None:
    server = await running(retry_scale=0.001, events_every=0.05)
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=AUTH) as client:
            api = Api(client)
            callback_ids = await api.callback_ids()
            destination = await api.destination_2025(receiver.url, {"type": "all"})
            receiver.secret = destination["webhook_destination"]["signing_secret"]

            async def ticked() -> bool:
                for callback_id in callback_ids:
                    events = await api.json(
                        "GET",
                        f"/callbacks/{callback_id}/events",
                        V2026,
                        params={"type": "emulator.tick"},
                    )
                    if not events["items"]:
                        return False
                return True

            await until(ticked, "a tick event on every callback")

            async def delivered() -> bool:
                verified = [d for d in receiver.deliveries if d["verified"]]
                return {d["callbackId"] for d in verified} >= set(callback_ids)

            await until(delivered, "a delivered tick of every callback")
            # (a tick may arrive before the test told the receiver the secret: 401, retried)
            verified = [d for d in receiver.deliveries if d["verified"]]
            assert all(d["type"] == "emulator.tick" for d in verified)
    finally:
        await server.stop()


async def test_the_dev_endpoint_checks_its_input(api: Api) -> None:
    callback_id = (await api.callback_ids())[0]
    path = f"/_emulator/callbacks/{callback_id}/events"
    missing = await api.client.post(
        "/_emulator/callbacks/clb_unknown/events", json={"payload": {}}, headers=V2026
    )
    assert missing.status_code == 404
    assert (missing.json()["object"], missing.json()["entity"]) == ("error", "callback")
    bad = await api.client.post(path, json={"payload": [1]}, headers=V2025)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["path"] == ["payload"]
    bad_type = await api.client.post(path, json={"type": 5, "payload": {}}, headers=V2025)
    assert bad_type.json()["errors"][0]["path"] == ["type"]
    anonymous = await api.client.post(path, json={"payload": {}}, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    nested = await api.client.post(f"/instances/ins_alpha{path}", json={"payload": {}})
    assert nested.status_code == 404
    assert nested.json()["entity"] == "endpoint"
    created = await api.client.post(path, json={"payload": {"a": 1}}, headers=V2025)
    assert created.status_code == 200
    assert created.json()["type"] == "emulator.event"
