"""The README's emulator examples, run with curl against a real `gateway emulator`.

Each `curl` line is followed by `# ` lines with its expected output, where `...` stands
for any text; a test fails when the emulator answers differently.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_KEY = "metorial_sk_demo_local_emulator_key"


def examples() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The emulator", 1)[1].split("\n## ", 1)[0]
    pairs: list[tuple[str, str]] = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL):
        # A command (with its `\` continuations), then its `# ` expected-output lines.
        for command, comments in re.findall(r"^(curl (?:.*\\\n)*.*)\n((?:#.*\n?)+)", block, re.M):
            expected = "".join(line[1:].strip() for line in comments.splitlines())
            pairs.append((command.replace("\\\n", " "), expected))
    return pairs


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "emulator", "--port", str(port), "--db", ":memory:"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(url + "/callbacks")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_the_readme_has_emulator_examples() -> None:
    assert len(examples()) >= 6


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(("command", "expected"), examples(), ids=lambda v: v[:60])
def test_emulator_answers_the_readme_example(
    emulator_url: str, command: str, expected: str
) -> None:
    result = subprocess.run(
        ["bash", "-c", command],
        env={**os.environ, "K": DEMO_KEY, "U": emulator_url, "J": "Content-Type: application/json"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    output = " ".join(result.stdout.split())  # headers of `curl -i` on one line
    pattern = ".*".join(re.escape(" ".join(part.split())) for part in expected.split("..."))
    assert re.fullmatch(pattern, output, flags=re.DOTALL), output
