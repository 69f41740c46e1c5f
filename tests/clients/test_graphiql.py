"""GraphiQL served by the gateway itself: offline, under a strict CSP, and in a real browser."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.emulator import DEMO_API_KEY
from gateway.web import graphiql
from tests.clients import chromium
from tests.clients.conftest import ServedGateway, require
from tests.clients.graphiql_browser import check_graphiql_renders_and_runs
from tests.conftest import Gateway, GatewayFactory, RunningServer

HTML = {"Accept": "text/html"}
VENDOR = [
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",
]


@pytest.fixture
def fake_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stand-ins for the npm files, so the page's wiring is tested without npm."""
    for name in [*VENDOR, "graphiql.min.css"]:
        (tmp_path / name).write_text(f"/* {name} */\n")
    monkeypatch.setattr(graphiql, "DIST_DIR", tmp_path)
    return tmp_path


@pytest.fixture
def no_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphiql, "DIST_DIR", tmp_path / "not-installed")


def _config(page: str) -> dict[str, Any]:
    match = re.search(r'<script id="graphiql-config" type="application/json">(.*?)</script>', page)
    assert match, page
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


async def test_page_loads_every_script_and_style_from_the_gateway_under_a_strict_csp(
    fake_assets: Path, emulator: RunningServer, make_gateway: GatewayFactory
) -> None:
    gw: Gateway = await make_gateway(emulator.url)
    page = await gw.client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    policy = _directives(page)
    assert policy["script-src"] == "'self'"
    nonce = _config(page.text)["styleNonce"]
    assert policy["style-src"] == f"'self' 'nonce-{nonce}'"
    again = await gw.client.get("/graphql", headers=HTML)
    assert _config(again.text)["styleNonce"] != nonce
    assert policy["default-src"] == "'none'"
    assert policy["connect-src"] == "'self'"
    scripts = re.findall(r"<script([^>]*)>", page.text)
    # No inline script: every <script> has a src, except the JSON data block.
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls
    assert all(url.startswith("/graphql/assets/") for url in urls), urls
    for url in urls:
        asset = await gw.client.get(url)
        assert asset.status_code == 200, url
        kind = "text/css" if ".css" in url else "text/javascript"
        assert asset.headers["content-type"].startswith(kind)
        assert asset.headers["x-content-type-options"] == "nosniff"


async def test_page_opens_with_the_example_query_and_no_headers_in_front_of_an_upstream(
    fake_assets: Path, gateway: Gateway
) -> None:
    page = await gateway.client.get("/graphql", headers=HTML)
    config = _config(page.text)
    assert config["url"] == "/graphql"
    assert "callbackDestinations(first: 10" in config["query"]
    assert config["headers"] is None


async def test_embedded_mode_page_fills_in_the_demo_authorization_header(
    served_gateway: ServedGateway,
) -> None:
    async with httpx.AsyncClient() as client:
        page = await client.get(served_gateway.graphql_url, headers=HTML)
    assert page.status_code == 200
    config = _config(page.text)
    assert json.loads(config["headers"]) == {"Authorization": f"Bearer {DEMO_API_KEY}"}


async def test_without_assets_the_page_says_how_to_install_them_and_post_still_works(
    no_assets: None, gateway: Gateway
) -> None:
    page = await gateway.client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert "GraphiQL is not installed" in page.text
    assert "make graphiql" in page.text
    assert "<script" not in page.text
    assert "content-security-policy" in page.headers
    assert (await gateway.client.get("/graphql/assets/graphiql.min.js")).status_code == 404
    data = await gateway.data("{ callbacks(first: 1) { nodes { callbackId } } }")
    assert len(data["callbacks"]["nodes"]) == 1


@pytest.mark.parametrize(
    "name",
    ["build.mjs", "package.json", "..%2Fgraphiql.py", "versions.json", "nope.js"],
)
async def test_only_the_listed_asset_files_are_served(
    fake_assets: Path, gateway: Gateway, name: str
) -> None:
    (fake_assets / "versions.json").write_text("{}")
    response = await gateway.client.get(f"/graphql/assets/{name}")
    assert response.status_code == 404


async def test_installed_assets_are_graphiql_and_react_from_npm() -> None:
    require(
        graphiql.GraphiQL().installed,
        "GraphiQL's assets (gateway/graphiql_assets)",
        "make graphiql",
    )
    versions = json.loads((graphiql.DIST_DIR / "versions.json").read_text())
    assert versions["graphiql.min.js"]["version"].startswith("4.")
    assert versions["react.production.min.js"]["version"].startswith("18.")
    bundle = (graphiql.DIST_DIR / "graphiql.min.js").read_text(encoding="utf-8")
    assert "createFetcher" in bundle


async def test_graphiql_runs_the_example_query_in_headless_chromium(
    served_gateway: ServedGateway,
) -> None:
    binary = chromium.executable()
    if binary is None:
        pytest.skip("Chromium is not installed (`apt-get install chromium`; .ci/run does)")
    require(graphiql.GraphiQL().installed, "GraphiQL's assets", "make graphiql")
    await check_graphiql_renders_and_runs(binary, served_gateway)


async def test_graphiql_shows_a_live_delivery_through_the_subscription(
    served_gateway: ServedGateway,
) -> None:
    """The issue's walk-through in the browser: subscribe to a destination's deliveries in
    GraphiQL (over its WebSocket, with the page's demo key), trigger an event at the
    embedded emulator, and see the delivery arrive in the result pane."""
    binary = chromium.executable()
    if binary is None:
        pytest.skip("Chromium is not installed (`apt-get install chromium`; .ci/run does)")
    callbacks = served_gateway.post("{ callbacks(first: 1) { nodes { callbackId } } }")
    callback = callbacks["data"]["callbacks"]["nodes"][0]["callbackId"]  # type: ignore[index]
    created = served_gateway.post(
        'mutation($c: ID!) { createCallbackDestination(input: {name: "Watched in GraphiQL",'
        ' url: "http://127.0.0.1:9/nobody-listens", callbacks: {type: SELECTED,'
        " callbackIds: [$c]}}) { callbackDestination { id } } }",
        {"c": callback},
    )
    destination = created["data"]["createCallbackDestination"]["callbackDestination"]["id"]  # type: ignore[index]
    subscription = (
        f'subscription Watch {{ deliveryUpdated(destinationId: "{destination}")'
        " { deliveryId status attemptCount } }"
    )

    async with chromium.launch(binary) as browser:
        page = await browser.new_page()
        await page.goto(served_gateway.graphql_url)
        await page.wait_for("!!document.querySelector('.graphiql-execute-button')")
        await page.evaluate(
            "document.querySelector('.graphiql-query-editor .CodeMirror')"
            f".CodeMirror.setValue({json.dumps(subscription)})"
        )
        await asyncio.sleep(1)  # GraphiQL reads the edited document's operations (debounced)
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        # An event per round until one lands after the subscription's first poll (its
        # baseline): each makes a new delivery, which the next poll reports.
        raw = ""
        for _ in range(10):
            triggered = httpx.post(  # noqa: ASYNC210 (the emulator answers at once)
                f"{served_gateway.url}/emulator/_emulator/callbacks/{callback}/events",
                json={"type": "order.created", "payload": {"order": 1}},
                headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
                timeout=10,
            )
            assert triggered.status_code == 200, triggered.text
            with contextlib.suppress(AssertionError):
                raw = await page.wait_for(
                    "(() => { const e = document.querySelector('.result-window .CodeMirror');"
                    " const v = e ? e.CodeMirror.getValue() : '';"
                    " return v.includes('deliveryUpdated') ? v : ''; })()",
                    seconds=5,
                )
                break
        pane = await page.evaluate(
            "(() => { const e = document.querySelector('.result-window .CodeMirror');"
            " return e ? e.CodeMirror.getValue() : 'no pane'; })()"
        )
        assert raw, (pane, page.exceptions, page.console_errors, served_gateway.log.read_text())
        update = json.loads(raw)["data"]["deliveryUpdated"]
        assert update["status"] in {"PENDING", "RETRYING"}
        assert await page.csp_violations() == []
        assert page.exceptions == []
