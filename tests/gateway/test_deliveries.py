"""The delivery log in GraphQL: a callback's events, a destination's deliveries and their
attempts, as Relay connections over the upstream's lists (real HTTP to the emulator)."""

from __future__ import annotations

import time
from typing import Any

from gateway.emulator.deliveries import NotificationAttempt
from gateway.schema.types import redact_signature
from tests.conftest import Gateway, Rest, RunningServer
from tests.versions import BOTH_VERSIONS

EVENTS = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  callback(id: $id) {
    events(first: $first, after: $after, last: $last, before: $before) {
      nodes { id eventId type payload }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""
DELIVERIES = """
query($id: ID!, $first: Int, $after: String, $status: DeliveryStatus) {
  callbackDestination(id: $id) {
    deliveries(first: $first, after: $after, status: $status) {
      nodes {
        id deliveryId status attemptCount lastAttemptAt url
        event { eventId type callback { callbackId } }
        destination { destinationId }
        attempts { index status requestUrl requestMethod responseStatus error }
      }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""
FAILED = NotificationAttempt(
    id="", status="failed", index=0, request_error="connection refused", duration_ms=3
)
OK = NotificationAttempt(id="", status="succeeded", index=1, response_status=200, duration_ms=5)


def record(emulator: RunningServer, callback_id: str, n: int, **options: Any) -> None:
    store = emulator.app.state.store
    store.record_event(
        "ins_alpha",
        callback_id,
        event_type=f"order.{n}",
        payload={"n": n},
        now_ms=time.time_ns() // 1_000_000,
        **options,
    )


async def test_a_callbacks_events_page_newest_first_in_both_directions(
    gateway: Gateway, rest: Rest, emulator: RunningServer
) -> None:
    callback = (await rest.callbacks())[0]["id"]
    for n in range(5):
        record(emulator, callback, n)
    listed = await rest.client.get("/callbacks-events", params={"callback_id": callback})
    truth = [e["id"] for e in listed.json()["items"]][::-1]  # newest first
    assert len(truth) == 6  # the seeded one and ours
    first = (await gateway.data(EVENTS, {"id": callback, "first": 4}))["callback"]["events"]
    assert [n["eventId"] for n in first["nodes"]] == truth[:4]
    assert first["nodes"][0]["payload"] == {"n": 4}
    assert first["pageInfo"]["hasNextPage"] is True
    rest_page = await gateway.data(
        EVENTS, {"id": callback, "first": 4, "after": first["pageInfo"]["endCursor"]}
    )
    assert [n["eventId"] for n in rest_page["callback"]["events"]["nodes"]] == truth[4:]
    back = await gateway.data(
        EVENTS,
        {"id": callback, "last": 2, "before": first["pageInfo"]["endCursor"]},
    )
    assert [n["eventId"] for n in back["callback"]["events"]["nodes"]] == truth[1:3]


async def test_a_destinations_deliveries_with_attempts_event_and_status_filter(
    gateway: Gateway, rest: Rest, emulator: RunningServer
) -> None:
    one, two, _ = (c["id"] for c in await rest.callbacks())
    mine = await rest.create("mine", callbacks={"type": "selected", "callback_id": [one]})
    record(emulator, one, 1)
    record(emulator, one, 2, attempts=[FAILED])
    record(emulator, two, 3)  # not for this destination
    record(emulator, one, 4, attempts=[FAILED, OK])
    data = await gateway.data(DELIVERIES, {"id": mine["id"], "first": 10})
    deliveries = data["callbackDestination"]["deliveries"]["nodes"]
    assert [d["event"]["type"] for d in deliveries] == ["order.4", "order.2", "order.1"]
    assert [d["status"] for d in deliveries] == ["DELIVERED", "RETRYING", "DELIVERED"]
    newest = deliveries[0]
    assert newest["attemptCount"] == 2
    assert newest["destination"] == {"destinationId": mine["id"]}
    assert newest["event"]["callback"] is None  # 2025-01-01 events do not name their callback
    assert newest["attempts"] == [
        {
            "index": 0,
            "status": "failed",
            "requestUrl": "https://example.com/hook",
            "requestMethod": "POST",
            "responseStatus": None,  # no answer came (-1 upstream)
            "error": "connection refused",
        },
        {
            "index": 1,
            "status": "succeeded",
            "requestUrl": "https://example.com/hook",
            "requestMethod": "POST",
            "responseStatus": 200,
            "error": None,
        },
    ]
    retrying = await gateway.data(DELIVERIES, {"id": mine["id"], "first": 10, "status": "RETRYING"})
    nodes = retrying["callbackDestination"]["deliveries"]["nodes"]
    assert [d["event"]["type"] for d in nodes] == ["order.2"]
    # and a delivery or an event is a node of its own
    node = await gateway.data(
        "query($id: ID!) { node(id: $id) { ... on CallbackDelivery { deliveryId status } } }",
        {"id": newest["id"]},
    )
    assert node["node"] == {"deliveryId": newest["deliveryId"], "status": "DELIVERED"}


async def test_a_status_filter_over_many_pages_loses_and_repeats_nothing(
    gateway: Gateway, rest: Rest, emulator: RunningServer
) -> None:
    """2025-01-01 cannot filter deliveries by status: the gateway reads pages and keeps the
    matching ones; walking them page by page gives exactly the matching list."""
    one = (await rest.callbacks())[0]["id"]
    mine = await rest.create("mine", callbacks={"type": "selected", "callback_id": [one]})
    for n in range(12):
        record(emulator, one, n, attempts=[FAILED] if n % 3 == 0 else None)
    walked: list[str] = []
    after = None
    while True:
        data = await gateway.data(
            DELIVERIES, {"id": mine["id"], "first": 2, "after": after, "status": "RETRYING"}
        )
        connection = data["callbackDestination"]["deliveries"]
        walked.extend(d["event"]["type"] for d in connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert walked == ["order.9", "order.6", "order.3", "order.0"]


def test_signature_values_are_never_shown() -> None:
    headers = {"Metorial-Signature": "i=h,t=1,v1=abc", "Content-Type": "application/json"}
    assert redact_signature(headers) == {
        "Metorial-Signature": "[redacted]",
        "Content-Type": "application/json",
    }
    listed = [{"key": "metorial-signature", "value": "t=1,v1=abc"}, {"key": "a", "value": "b"}]
    assert redact_signature(listed) == [
        {"key": "metorial-signature", "value": "[redacted]"},
        {"key": "a", "value": "b"},
    ]


@BOTH_VERSIONS
async def test_deliveries_merged_from_several_callbacks_page_without_loss_or_repetition(
    gateway: Gateway, rest: Rest, emulator: RunningServer
) -> None:
    """Over 2026-02-01 a destination's deliveries are one list per callback, merged here.
    Walked page by page while new deliveries keep arriving (newest first: they land ahead
    of the cursor), the walk is exactly the list as it was at the start."""
    one, two, three = (c["id"] for c in await rest.callbacks())
    mine = await rest.create("mine", callbacks={"type": "selected", "callback_id": [one, two]})
    for n in range(9):
        record(emulator, (one, two, three)[n % 3], n)
    expected = [f"order.{n}" for n in range(8, -1, -1) if n % 3 != 2]
    walked: list[str] = []
    after = None
    while True:
        data = await gateway.data(DELIVERIES, {"id": mine["id"], "first": 2, "after": after})
        connection = data["callbackDestination"]["deliveries"]
        walked.extend(d["event"]["type"] for d in connection["nodes"])
        record(emulator, one, 100 + len(walked))  # a new delivery between pages
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert walked == expected
