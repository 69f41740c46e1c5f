"""`gateway webhook-receiver` and `gateway emulator --retry-scale` as real processes: a
destination pointing at the receiver, an event through the emulator's dev endpoint, and the
receiver printing verified deliveries (two refused, then one accepted)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY = "metorial_sk_demo_local_emulator_key"
AUTH = {"Authorization": f"Bearer {KEY}", "metorial-version": "mt_2025_01_01_pulsar"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start(*args: str, output: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE if output else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    if process.stdout is not None:
        process.stdout.close()


def read_line(stream: IO[str] | None) -> str:
    assert stream is not None
    return stream.readline()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = start(
        "emulator", "--port", str(port), "--db", str(tmp_path / "e.sqlite3"),
        "--retry-scale", "0.001",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                httpx.get(url + "/ping")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        stop(process)


def test_the_receiver_prints_verified_deliveries_and_fails_the_first_two(emulator: str) -> None:
    port = free_port()
    with httpx.Client(base_url=emulator, headers=AUTH) as client:
        callback_id = client.get("/callbacks").json()["items"][0]["id"]
        created = client.post(
            "/callbacks-destinations",
            json={"name": "Receiver", "url": f"http://127.0.0.1:{port}/hook",
                  "callbacks": {"type": "all"}},
        ).json()  # fmt: skip
        secret = created["webhook_destination"]["signing_secret"]
        receiver = start(
            "webhook-receiver", "--port", str(port), "--secret", secret, "--fail-first", "2",
            output=True,
        )  # fmt: skip
        try:
            assert "listening" in read_line(receiver.stdout)
            event = client.post(
                f"/_emulator/callbacks/{callback_id}/events",
                json={"type": "order.created", "payload": {"order": 1}},
            ).json()
            lines: list[dict[str, Any]] = [json.loads(read_line(receiver.stdout)) for _ in range(3)]
            notification: dict[str, Any] = {}
            for _ in range(400):
                items = client.get("/callbacks-notifications", params={"event_id": event["id"]})
                notification = items.json()["items"][0]
                if notification["status"] == "succeeded":
                    break
                time.sleep(0.05)
        finally:
            stop(receiver)
    assert [line["status"] for line in lines] == [500, 500, 200]
    assert all(line["verified"] and line["eventId"] == event["id"] for line in lines)
    assert lines[0]["payload"] == {"order": 1}
    assert secret not in json.dumps(lines)
    assert notification["status"] == "succeeded"
    assert [a["status"] for a in notification["attempts"]] == ["failed", "failed", "succeeded"]
