"""ariadne-codegen, with the project's own config, generates a typed async client that works
against a live gateway (httpx 0.28, our responses); examples/python/walk.py runs with it."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gateway.settings import Settings
from gateway.web.app import create_app
from tests.clients.conftest import ROOT, ServedGateway, require
from tests.conftest import ALPHA_KEY, BETA_KEY, Rest, RunningServer

CODEGEN = Path(
    os.environ.get("ARIADNE_CODEGEN", ROOT / ".venv-codegen" / "bin" / "ariadne-codegen")
)
PACKAGE = "callbacks_client"


def _toml(table: dict[str, Any], prefix: str) -> str:
    """Just enough TOML for ariadne-codegen's config table (strings, bools, sub-tables)."""
    lines = [f"[{prefix}]"]
    nested = []
    for key, value in table.items():
        if isinstance(value, dict):
            nested.append(_toml(value, f"{prefix}.{key}"))
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join([*lines, "", *nested])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ariadne-codegen on pyproject.toml's config, writing into a temporary folder."""
    require(CODEGEN.exists(), "ariadne-codegen (.venv-codegen)", "make codegen")
    out = tmp_path_factory.mktemp("codegen")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    config = dict(pyproject["tool"]["ariadne-codegen"])
    config["target_package_path"] = str(out)
    (out / "codegen.toml").write_text(_toml(config, "tool.ariadne-codegen"), encoding="utf-8")
    run = subprocess.run(
        [str(CODEGEN), "--config", str(out / "codegen.toml"), "client"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert config["target_package_name"] == PACKAGE
    return out


@pytest.fixture
def client_module(generated: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(generated))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(generated))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
async def gateway_server(emulator: RunningServer) -> AsyncIterator[RunningServer]:
    """The gateway on uvicorn (a real socket, as the generated client's httpx needs)."""
    server = RunningServer(create_app(Settings(upstream_url=emulator.url)))
    await server.start()
    yield server
    await server.stop()


def test_client_has_a_typed_method_for_every_operation(client_module: ModuleType) -> None:
    client = client_module.CallbacksClient
    for method in [
        "destinations",
        "next_destinations",
        "previous_destinations",
        "destination",
        "destinations_for_callbacks",
        "callbacks",
        "create_destination",
        "update_destination",
        "delete_destination",
    ]:
        assert inspect.iscoroutinefunction(getattr(client, method)), method


async def test_generated_client_pages_through_creates_and_reads_back(
    client_module: ModuleType, gateway_server: RunningServer, rest: Rest
) -> None:
    expected = [(await rest.create(f"hook {i}"))["id"] for i in range(7)]
    m = client_module
    url = f"{gateway_server.url}/graphql"
    async with m.CallbacksClient(url=url, headers={"Authorization": f"Bearer {ALPHA_KEY}"}) as c:
        page = (await c.destinations(first=3)).callback_destinations
        seen = [edge.node.destination_id for edge in page.edges]
        pages = 1
        while page.page_info.has_next_page:
            page = (
                await c.next_destinations(after=page.page_info.end_cursor, first=3)
            ).callback_destinations
            seen += [edge.node.destination_id for edge in page.edges]
            pages += 1
        assert seen == expected
        assert pages == 3
        assert isinstance(page.edges[0].node.created_at, datetime)

        back = (
            await c.previous_destinations(before=page.page_info.start_cursor, last=3)
        ).callback_destinations
        assert [edge.node.destination_id for edge in back.edges] == expected[3:6]

        callback = (await c.callbacks(first=1)).callbacks.nodes[0]
        created = await c.create_destination(
            m.CreateCallbackDestinationInput(
                name="typed",
                url="https://example.com/typed",
                callbacks=m.CallbackSelectionInput(
                    type=m.CallbackSelectionType.SELECTED, callbackIds=[callback.id]
                ),
                clientMutationId="abc",
            )
        )
        payload = created.create_callback_destination
        assert payload.user_errors == []
        assert payload.client_mutation_id == "abc"
        new = payload.callback_destination
        assert new.callbacks.type_ == m.CallbackSelectionType.SELECTED

        read = (await c.destination(id=new.destination_id)).callback_destination
        assert read.id == new.id
        assert read.name == "typed"
        # `gateway serve` speaks 2026-02-01 to its emulator: no signing secrets there
        assert read.webhook_destination is None
        assert new.webhook_destination is None
        assert [cb.callback_id for cb in read.callbacks.callbacks] == [callback.callback_id]
        filtered = await c.destinations_for_callbacks(callback_ids=[callback.id])
        assert new.id in [node.id for node in filtered.callback_destinations.nodes]

        missing = await c.destination(id="cld_doesnotexist0000000000")
        assert missing.callback_destination is None


async def test_generated_client_raises_graphql_errors_with_their_codes(
    client_module: ModuleType, gateway_server: RunningServer
) -> None:
    m = client_module
    url = f"{gateway_server.url}/graphql"
    async with m.CallbacksClient(url=url, headers={"Authorization": f"Bearer {BETA_KEY}"}) as c:
        with pytest.raises(m.GraphQLClientGraphQLMultiError) as raised:
            await c.destinations(first=101)
        assert raised.value.errors[0].extensions["code"] == "BAD_USER_INPUT"
    async with m.CallbacksClient(url=url, headers={"Authorization": "Bearer nope"}) as c:
        with pytest.raises(m.GraphQLClientGraphQLMultiError) as raised:
            await c.callbacks()
        assert raised.value.errors[0].extensions["code"] == "UNAUTHENTICATED"


async def test_walk_example_runs_against_gateway_serve(
    generated: Path, served_gateway: ServedGateway
) -> None:
    shutil.copy(ROOT / "examples" / "python" / "walk.py", generated / "walk.py")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-W",
        "error",
        str(generated / "walk.py"),
        "--url",
        served_gateway.graphql_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=generated,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 0, text
    assert "paged through" in text
    assert "deleting it again: NOT_FOUND" in text  # 2026-02-01 archives: 404 afterwards
