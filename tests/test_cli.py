"""The `gateway` command line: help, schema export and its drift check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.schema.build import print_sdl

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_checked_in_schema_matches_the_code() -> None:
    assert (ROOT / "schema.graphql").read_text(encoding="utf-8") == print_sdl()


def test_export_schema_check_fails_on_drift(tmp_path: Path) -> None:
    stale = tmp_path / "schema.graphql"
    stale.write_text(print_sdl().replace("type PageInfo", "type PageInformation"))
    result = run("export-schema", "--check", "--output", str(stale))
    assert result.returncode == 1
    assert "out of date" in result.stderr
    fresh = tmp_path / "fresh.graphql"
    assert run("export-schema", "--output", str(fresh)).returncode == 0
    assert run("export-schema", "--check", "--output", str(fresh)).returncode == 0


def test_help_lists_commands_and_environment() -> None:
    result = run("--help")
    assert result.returncode == 0
    for text in ("serve", "emulator", "export-schema", "GATEWAY_CACHE_TTL", "GATEWAY_UPSTREAM_URL"):
        assert text in result.stdout


def test_invalid_setting_is_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"GATEWAY_CACHE_TTL": "soon", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "GATEWAY_CACHE_TTL" in result.stderr
