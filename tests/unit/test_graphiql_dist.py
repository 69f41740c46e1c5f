"""GraphiQL's committed build (gateway/graphiql_assets/dist) is what the lockfile pins:
each served file's package version and integrity come from package-lock.json, its bytes
are the ones recorded at build time, and every locked package has its licence there."""

from __future__ import annotations

import hashlib
import json

import pytest

from gateway.web.graphiql import DIST_DIR, SOURCE_DIR

LOCK = json.loads((SOURCE_DIR / "package-lock.json").read_text())["packages"]
MANIFEST = json.loads((DIST_DIR / "versions.json").read_text())
SERVED = [
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",
]


def test_every_served_file_is_recorded() -> None:
    assert set(MANIFEST) == {*SERVED, "graphiql.min.css"}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_served_file_matches_the_lockfile_version_and_integrity(name: str) -> None:
    entry = MANIFEST[name]
    locked = LOCK[f"node_modules/{entry['package']}"]
    assert entry["version"] == locked["version"]
    assert entry["integrity"] == locked["integrity"]
    package = json.loads((SOURCE_DIR / "package.json").read_text())["dependencies"]
    assert package[entry["package"]] == locked["version"]  # pinned exactly


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_served_file_bytes_are_the_built_ones(name: str) -> None:
    digest = hashlib.sha256((DIST_DIR / name).read_bytes()).hexdigest()
    assert digest == MANIFEST[name]["sha256"]


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_served_file_equals_the_installed_npm_package_when_present(name: str) -> None:
    """With node_modules installed (`make graphiql`), dist/ is a copy of it."""
    modules = SOURCE_DIR / "node_modules" / MANIFEST[name]["package"]
    if not modules.is_dir():
        pytest.skip("node_modules not installed (`make graphiql`)")
    matches = [p for p in modules.rglob(name) if "node_modules" not in p.relative_to(modules).parts]
    assert any(p.read_bytes() == (DIST_DIR / name).read_bytes() for p in matches)


def test_every_locked_package_has_its_licence_in_dist() -> None:
    notices = (DIST_DIR / "THIRD_PARTY_LICENSES.txt").read_text(encoding="utf-8")
    for path, info in LOCK.items():
        if path.startswith("node_modules/"):
            header = f"{path.removeprefix('node_modules/')} {info['version']} ({info['license']})"
            assert header in notices, header
    assert "Meta Platforms" in notices  # React's own licence text, not just its name
