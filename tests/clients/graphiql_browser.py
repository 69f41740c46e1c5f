"""The GraphiQL check a user would make, in headless Chromium: the page renders, runs the
example query with the demo key, shows the docs, opens a dialog, and nothing breaks the CSP
or comes from another origin. Used against the source tree and against an installed wheel."""

from __future__ import annotations

import json

from gateway.emulator import DEMO_API_KEY
from tests.clients import chromium
from tests.clients.conftest import ServedGateway


async def check_graphiql_renders_and_runs(binary: str, served: ServedGateway) -> None:
    created = served.post(
        'mutation { createCallbackDestination(input: {name: "Seen in GraphiQL",'
        ' url: "https://example.com/graphiql"}) { userErrors { code } } }'
    )
    assert created["data"] == {"createCallbackDestination": {"userErrors": []}}

    async with chromium.launch(binary) as browser:
        page = await browser.new_page()
        await page.goto(served.graphql_url)
        await page.wait_for("!!document.querySelector('.graphiql-execute-button')")
        editors = await page.evaluate(
            "Array.from(document.querySelectorAll('.graphiql-editor .CodeMirror'))"
            ".map(e => e.CodeMirror.getValue())"
        )
        assert any("callbackDestinations(first: 10" in text for text in editors), editors
        headers = [text for text in editors if "Authorization" in text]
        assert headers
        assert json.loads(headers[0]) == {"Authorization": f"Bearer {DEMO_API_KEY}"}

        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        raw = await page.wait_for(
            "(() => { const e = document.querySelector('.result-window .CodeMirror');"
            " const v = e ? e.CodeMirror.getValue() : '';"
            " return v.includes('callbackDestinations') ? v : ''; })()"
        )
        result = json.loads(raw)
        assert "errors" not in result, result
        names = [e["node"]["name"] for e in result["data"]["callbackDestinations"]["edges"]]
        assert "Seen in GraphiQL" in names

        # The docs come from introspection through the same fetcher and headers.
        await page.evaluate(
            "document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()"
        )
        await page.wait_for(
            "(() => { const d = document.querySelector('.graphiql-doc-explorer');"
            " return !!d && d.innerText.includes('CallbackDestination'); })()"
        )
        # The settings dialog (a modal) works under the CSP too.
        await page.evaluate(
            "document.querySelector('[aria-label=\"Open settings dialog\"]').click()"
        )
        await page.wait_for("!!document.querySelector('[role=dialog]')")

        assert await page.csp_violations() == []
        assert page.exceptions == []
        assert page.console_errors == []
        off_origin = [
            url for url in page.requests if not url.startswith((served.url, "data:", "about:"))
        ]
        assert off_origin == [], "GraphiQL fetched something from elsewhere"
