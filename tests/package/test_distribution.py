"""The wheel and sdist as users get them: built from a clean clone without npm, carrying
GraphiQL's files and licences, installed into a fresh venv, serving GraphiQL offline."""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import httpx
import pytest

from tests.clients import chromium
from tests.clients.conftest import ServedGateway
from tests.clients.graphiql_browser import check_graphiql_renders_and_runs
from tests.package import wheel

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheel.clean_clone(tmp_path_factory.mktemp("clean-clone"))


@pytest.fixture(scope="module")
def sdist(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheel.build_sdist(clone, tmp_path_factory.mktemp("sdist"))


@pytest.fixture(scope="module")
def built_wheel(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from the sdist, so the sdist is proven to carry everything too."""
    return wheel.build_wheel(sdist, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def installed(built_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheel.install_in_fresh_venv(built_wheel, tmp_path_factory.mktemp("venv") / "venv")


@pytest.fixture(scope="module")
def served_from_wheel(
    installed: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedGateway]:
    server = ServedGateway(
        tmp_path_factory.mktemp("wheel-serve"), [str(installed / "gateway")], clean_env=True
    )
    yield server
    server.stop()


def test_clean_clone_has_no_node_modules(clone: Path) -> None:
    assert not (clone / "gateway/graphiql_assets/node_modules").exists()
    assert (clone / "gateway/graphiql_assets/dist/graphiql.min.js").is_file()


def test_wheel_built_from_a_clean_clone_carries_graphiql_and_its_licences(
    clone: Path, tmp_path: Path
) -> None:
    built = wheel.build_wheel(clone, tmp_path)  # `pip wheel .`, as the user ran it
    names = set(zipfile.ZipFile(built).namelist())
    assert set(wheel.ASSETS) <= names
    assert not any("node_modules" in name for name in names)


def test_sdist_carries_graphiql_its_licences_and_the_lockfile(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert set(wheel.ASSETS) <= names
    assert "gateway/graphiql_assets/package-lock.json" in names
    assert not any("node_modules" in name for name in names)


def test_the_distribution_is_named_for_what_it_is(built_wheel: Path) -> None:
    assert built_wheel.name.startswith("metorial_callbacks_gateway-")
    with zipfile.ZipFile(built_wheel) as archive:
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
        entry_points = next(
            n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")
        )
        scripts = archive.read(entry_points).decode()
    assert metadata["Name"] == wheel.DISTRIBUTION
    assert "otlp" in metadata.get_all("Provides-Extra", [])
    assert "gateway = gateway.cli:main" in scripts


def test_installed_wheel_imports_from_its_venv_not_the_source_tree(installed: Path) -> None:
    where = wheel.run(installed / "python", "-c", "import gateway; print(gateway.__file__)")
    assert where.strip().startswith(str(installed.parent)), where


def test_installed_wheel_serves_the_graphiql_page_and_every_asset(
    served_from_wheel: ServedGateway,
) -> None:
    page = httpx.get(served_from_wheel.graphql_url, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "GraphiQL is not installed" not in page.text
    assets = [part.split('"')[0] for part in page.text.split('="/graphql/assets/')[1:]]
    assert len(assets) == 7  # two stylesheets, four vendor scripts, our init script
    for asset in assets:
        response = httpx.get(f"{served_from_wheel.url}/graphql/assets/{asset}")
        assert response.status_code == 200, asset


async def test_installed_wheel_graphiql_renders_and_runs_in_headless_chromium(
    served_from_wheel: ServedGateway,
) -> None:
    binary = chromium.executable()
    if binary is None:
        pytest.skip("Chromium is not installed (`apt-get install chromium`; .ci/run does)")
    await check_graphiql_renders_and_runs(binary, served_from_wheel)
