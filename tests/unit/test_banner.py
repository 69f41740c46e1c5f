"""The start block: what it says in front of a real upstream, and what it never says."""

from __future__ import annotations

import io

from gateway.banner import StartBlock
from gateway.emulator import DEMO_API_KEY


def test_in_front_of_a_real_upstream_no_emulator_or_key_is_shown() -> None:
    out = io.StringIO()
    block = StartBlock(
        graphql_url="http://127.0.0.1:8000/graphql",
        upstream_url="https://api.metorial.com",
        embedded=False,
        out=out,
    )
    block.announce("auto (found with the first caller's key)")
    block.announce("2026-02-01")  # printed once
    text = out.getvalue()
    assert "Upstream:  https://api.metorial.com, API version auto" in text
    assert "Emulator" not in text
    assert DEMO_API_KEY not in text
    assert text.count("Callback Destinations GraphQL gateway") == 1


def test_upstream_url_credentials_are_never_printed() -> None:
    block = StartBlock(
        graphql_url="http://127.0.0.1:8000/graphql",
        upstream_url="https://user:s3cret@api.example.com/v1?token=abc#x",
        embedded=False,
    )
    text = "\n".join(block.lines("2025-01-01"))
    assert "https://api.example.com/v1, API version 2025-01-01" in text
    assert "s3cret" not in text
    assert "abc" not in text


def test_embedded_over_2025_the_curl_uses_that_versions_route() -> None:
    block = StartBlock(
        graphql_url="http://127.0.0.1:8000/graphql",
        upstream_url="http://127.0.0.1:8000/emulator",
        embedded=True,
    )
    lines = block.lines("2025-01-01 (configured)")
    assert lines[-1].endswith(
        "-H 'metorial-version: mt_2025_01_01_pulsar' "
        "http://127.0.0.1:8000/emulator/callbacks-destinations"
    )
