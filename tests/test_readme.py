"""The README cannot drift: its operations validate and every setting is documented."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from graphql import build_schema, parse, validate

from gateway.settings import ENVIRONMENT, Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block
    assert "make test" in first_block


def test_every_graphql_example_in_the_readme_is_valid() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    blocks = re.findall(r"```graphql\n(.*?)```", README, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        assert validate(schema, parse(block)) == [], block


def test_every_setting_is_documented_with_its_default() -> None:
    for field in dataclasses.fields(Settings):
        variable = ENVIRONMENT[field.name]
        rows = [line for line in README.splitlines() if line.startswith(f"| `{variable}` |")]
        assert rows, f"{variable} is not in the README's settings table"
        default = field.default
        if default not in (None, (), "INFO"):
            if isinstance(default, bool):
                shown = str(default).lower()
            elif isinstance(default, str):
                shown = default
            else:
                shown = f"{default:.15g}"
            assert f"`{shown}`" in rows[0], (variable, shown)
