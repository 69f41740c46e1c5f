"""GraphiQL served by the gateway itself: no CDN, works offline, under a strict CSP.

The page loads React, GraphiQL and its stylesheet from `/graphql/assets/`. Those files come
from the npm registry (`make graphiql`: `npm ci` in `gateway/graphiql_assets/`, then copied
into its `dist/`, which is committed with the licences and a versions.json tied to the
lockfile) and ship inside the wheel as package data, never from a CDN at page load. The page has no
inline script or style: `graphiql-init.js` starts GraphiQL and reads its settings (endpoint,
example query, default headers) from a JSON data block, so the page runs under
`script-src 'self'` (and `style-src 'self'` plus a per-response nonce for the one
`<style>` element GraphiQL's dialogs add).

Without the assets (a source tree whose dist/ was deleted) the gateway still starts and
`POST /graphql` works; the page then says how to rebuild them.

Usage::

    ide = GraphiQL(example_query=EXAMPLE_QUERY, headers={"Authorization": "Bearer ..."})
    app.add_api_route(ASSETS_ROUTE, ide.asset, methods=["GET"])
    ...
    return ide.page(request)  # for a browser's GET /graphql
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

__all__ = ["ASSETS_ROUTE", "CONTENT_SECURITY_POLICY", "DIST_DIR", "SOURCE_DIR", "GraphiQL"]

ASSETS_ROUTE = "/graphql/assets/{name}"
SOURCE_DIR = Path(__file__).parent.parent / "graphiql_assets"
DIST_DIR = SOURCE_DIR / "dist"

# Served name -> where it lives: vendor files are built into dist/, ours are in the source.
_VENDOR = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",  # subscriptions over WebSocket (graphql-transport-ws)
)
_VENDOR_CSS = "graphiql.min.css"
_INIT = "graphiql-init.js"
_PAGE_CSS = "graphiql-page.css"

# `{nonce}` is per response: GraphiQL's dialogs add a <style> element (react-remove-scroll),
# which carries the nonce that graphiql-init.js hands to it (as `__webpack_nonce__`).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_INSTALL_HELP = "make graphiql"


class GraphiQL:
    """The GraphiQL page and its static files.

    `headers` pre-fill the headers editor (the embedded emulator's demo key); `assets_dir`
    is where the built vendor files are (default `DIST_DIR`).
    """

    def __init__(
        self,
        *,
        example_query: str = "",
        headers: Mapping[str, str] | None = None,
        assets_dir: Path | None = None,
    ) -> None:
        self.example_query = example_query
        self.headers = dict(headers or {})
        self.assets_dir = assets_dir or DIST_DIR

    def __repr__(self) -> str:
        return f"GraphiQL(assets_dir={str(self.assets_dir)!r}, installed={self.installed})"

    @property
    def installed(self) -> bool:
        """Whether every vendor file is there (shipped in dist/; `make graphiql` rebuilds it)."""
        return all(path.is_file() for path in self._files().values())

    def page(self, request: Request) -> Response:
        """The page for a browser's `GET /graphql`."""
        base = request.scope.get("root_path", "") + ASSETS_ROUTE.removesuffix("{name}")
        nonce = secrets.token_urlsafe(18)
        headers = {
            **_PAGE_HEADERS,
            "Content-Security-Policy": CONTENT_SECURITY_POLICY.format(nonce=nonce),
        }
        config = {
            "url": request.url.path,
            "query": self.example_query,
            "headers": json.dumps(self.headers, indent=2) if self.headers else None,
            "styleNonce": nonce,
        }
        if not self.installed:
            return HTMLResponse(self._missing_page(base), headers=headers)
        version = self._version()
        scripts = "\n".join(
            f'<script src="{base}{name}?v={version}"></script>' for name in (*_VENDOR, _INIT)
        )
        body = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · Callback Destinations gateway</title>
<link rel="stylesheet" href="{base}{_VENDOR_CSS}?v={version}">
<link rel="stylesheet" href="{base}{_PAGE_CSS}?v={version}">
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script id="graphiql-config" type="application/json">{_json_block(config)}</script>
{scripts}
</body>
</html>
"""
        return HTMLResponse(body, headers=headers)

    async def asset(self, request: Request) -> Response:
        """`GET /graphql/assets/{name}`: one of a fixed set of files, never a path."""
        path = self._files().get(request.path_params.get("name", ""))
        if path is None or not path.is_file():
            return PlainTextResponse("Not found", status_code=404)
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES[path.suffix],
            headers={
                "Cache-Control": "public, max-age=604800",
                "X-Content-Type-Options": "nosniff",
            },
        )

    def _files(self) -> dict[str, Path]:
        files = {name: self.assets_dir / name for name in (*_VENDOR, _VENDOR_CSS)}
        files[_INIT] = SOURCE_DIR / _INIT
        files[_PAGE_CSS] = SOURCE_DIR / _PAGE_CSS
        return files

    def _version(self) -> str:
        """A short content hash for the asset URLs, so browsers may cache them for long."""
        digest = hashlib.sha256()
        for name, path in sorted(self._files().items()):
            stat = path.stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return digest.hexdigest()[:12]

    def _missing_page(self, base: str) -> str:
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphiQL is not installed · Callback Destinations gateway</title>
<link rel="stylesheet" href="{base}{_PAGE_CSS}">
</head>
<body>
<main class="graphiql-missing">
<h1>GraphiQL is not installed</h1>
<p>The gateway serves GraphiQL's files itself (no CDN), and they are missing here (the
package ships them; this source tree's <code>gateway/graphiql_assets/dist/</code> is gone).
Rebuild them from the npm registry, or reinstall the package, then reload this page:</p>
<pre>{_INSTALL_HELP}</pre>
<p>(that runs <code>npm ci</code> and <code>node build.mjs</code> in
<code>gateway/graphiql_assets/</code>). The GraphQL endpoint works without them:
<code>POST</code> a JSON body such as this query to this URL.</p>
<pre>{html.escape(self.example_query)}</pre>
</main>
</body>
</html>
"""


def _json_block(value: object) -> str:
    """JSON safe inside a <script type="application/json"> element."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
