"""`gateway serve` as `make run` starts it: embedded emulator, no configuration."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def serve(cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise AssertionError("gateway serve did not become ready")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(15)


def graphql(url: str, query: str) -> dict[str, object]:
    response = httpx.post(url + "/graphql", json={"query": query}, timeout=10)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    assert "errors" not in body, body
    return body


def test_serve_without_configuration_embeds_the_emulator_and_keeps_data(tmp_path: Path) -> None:
    process, url = serve(tmp_path)
    try:
        seeded = graphql(url, "{ callbacks { nodes { callbackId } } }")
        assert len(seeded["data"]["callbacks"]["nodes"]) == 3  # type: ignore[index]
        graphql(
            url,
            'mutation { createCallbackDestination(input: {name: "kept", url: "https://e.com"})'
            " { userErrors { message } } }",
        )
        page = httpx.get(url + "/graphql", headers={"Accept": "text/html"})
        assert "metorial_sk_demo_local_emulator_key" in page.text
        direct = httpx.get(
            url + "/emulator/callback-destinations",  # the emulator's default: 2026-02-01
            headers={"Authorization": "Bearer metorial_sk_demo_local_emulator_key"},
        )
        assert [d["name"] for d in direct.json()["items"]] == ["kept"]
    finally:
        stop(process)
    assert (tmp_path / ".data" / "emulator.sqlite3").is_file()
    process, url = serve(tmp_path)
    try:
        again = graphql(url, "{ callbackDestinations { nodes { name } } }")
        assert again["data"] == {"callbackDestinations": {"nodes": [{"name": "kept"}]}}
    finally:
        stop(process)


def test_serve_prints_what_the_readme_examples_need_first(tmp_path: Path) -> None:
    """The first lines name the GraphQL and GraphiQL URLs, the upstream and its API version,
    the emulator and its demo key; the printed curl command works as printed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["PYTHONPATH"] = str(ROOT)
    out = tmp_path / "stdout.txt"
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
        )
    try:
        for _ in range(300):
            if "Try:" in out.read_text():
                break
            time.sleep(0.05)
        lines = out.read_text().splitlines()
    finally:
        stop(process)
    url = f"http://127.0.0.1:{port}"
    fields = dict(line.strip().split(":", 1) for line in lines[1:] if ":  " in line)
    assert fields["GraphQL"].split()[0] == f"{url}/graphql"
    assert fields["GraphiQL"].split()[0] == f"{url}/graphql"
    assert fields["Upstream"].strip() == "the embedded emulator, API version 2026-02-01"
    assert fields["Emulator"].split()[0] == f"{url}/emulator"
    assert fields["Demo key"].split()[0] == "metorial_sk_demo_local_emulator_key"
    assert fields["Try"].strip() == (
        "curl -H 'Authorization: Bearer metorial_sk_demo_local_emulator_key' "
        f"{url}/emulator/callback-destinations"
    )
    assert len(lines) == 7  # one short block, nothing else on stdout
