"""Tracing is off unless configured; one variable turns on the console exporter."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.tracing import SERVICE_NAME, Tracing, exporter_choice

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("setting", "env", "choice"),
    [
        (None, {}, "none"),
        (None, {"OTEL_TRACES_EXPORTER": "console"}, "console"),
        (None, {"OTEL_TRACES_EXPORTER": "otlp"}, "otlp"),
        (None, {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}, "none"),
        (None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "otlp"),
        (None, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, "otlp"),
        ("console", {}, "console"),
        ("none", {"OTEL_TRACES_EXPORTER": "console"}, "none"),
        ("console", {"OTEL_SDK_DISABLED": "true"}, "none"),
    ],
)
def test_exporter_is_chosen_by_the_gateway_switch_then_the_standard_variables(
    setting: str | None, env: dict[str, str], choice: str
) -> None:
    assert exporter_choice(setting, env) == choice


def test_an_unknown_exporter_is_refused() -> None:
    with pytest.raises(ValueError, match="GATEWAY_OTEL_EXPORTER"):
        exporter_choice("jaeger", {})


def test_off_by_default_and_named_for_the_service_when_on() -> None:
    assert not Tracing.from_settings(None, {}).enabled
    tracing = Tracing.from_settings("console", {})
    assert tracing.enabled
    assert tracing.provider is not None
    assert tracing.provider.resource.attributes["service.name"] == SERVICE_NAME
    tracing.shutdown()
    named = Tracing.from_settings("console", {"OTEL_SERVICE_NAME": "edge"})
    assert named.provider is not None
    assert named.provider.resource.attributes["service.name"] == "edge"
    named.shutdown()


def test_one_variable_prints_traces_with_the_console_exporter(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "OTEL_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["OTEL_TRACES_EXPORTER"] = "console"
    out = tmp_path / "stdout.txt"
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        answer = httpx.post(
            url + "/graphql", json={"query": "query Hooks { callbacks { nodes { name } } }"}
        )
        assert answer.status_code == 200
    finally:
        process.terminate()
        process.wait(30)
    text = out.read_text()
    spans = _console_spans(text)
    names = {span["name"] for span in spans}
    assert {"POST /graphql", "query Hooks", "upstream GET /callbacks"} <= names
    after_start_block = text.split("/emulator/callback-destinations\n", 1)[1]
    assert "metorial_sk_demo_local_emulator_key" not in after_start_block  # no key in spans


def _console_spans(text: str) -> list[dict[str, object]]:
    """The JSON objects the console exporter printed (one per span, pretty-printed)."""
    decoder = json.JSONDecoder()
    spans: list[dict[str, object]] = []
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict) and "context" in value:
            spans.append(value)
        index = text.find("{", end)
    return spans
