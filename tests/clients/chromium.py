"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol.

Just enough of the protocol for the GraphiQL test: open a page, evaluate JavaScript in it,
wait for a condition, and record what the page asked the network for, what it threw, and
which Content-Security-Policy violations it hit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
    "--remote-debugging-port=0",
]

# Runs before the page's own scripts (DevTools scripts are not subject to the page's CSP).
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def executable() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One tab, attached over a flat DevTools session."""

    def __init__(self, browser: Browser, session_id: str) -> None:
        self.browser = browser
        self.session_id = session_id
        self.requests: list[str] = []
        self.exceptions: list[str] = []
        self.console_errors: list[str] = []

    async def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return await self.browser.send(method, params, session_id=self.session_id)

    def on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"][:200])
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.exceptions.append(str(text))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            args = params.get("args", [])
            self.console_errors.append(" ".join(str(a.get("value", "")) for a in args))

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", {"url": url})

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited if it is a promise)."""
        reply = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in reply:
            raise AssertionError(f"{expression!r} threw: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 20.0) -> Any:
        """Poll until `expression` is truthy; its value."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"timed out waiting for {expression!r}; exceptions: {self.exceptions}, "
                    f"console errors: {self.console_errors}"
                )
            await asyncio.sleep(0.1)

    async def csp_violations(self) -> list[str]:
        violations: list[str] = await self.evaluate("window.__cspViolations || []")
        return violations

    async def screenshot(self) -> bytes:
        """A PNG of the page (handy when a test fails: write it out and look)."""
        reply = await self.send("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(reply["data"])


class Browser:
    def __init__(self, process: asyncio.subprocess.Process, ws: ClientConnection) -> None:
        self.process = process
        self.ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._pages: dict[str, Page] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    if "error" in message:
                        future.set_exception(AssertionError(str(message["error"])))
                    else:
                        future.set_result(message.get("result", {}))
            elif (page := self._pages.get(message.get("sessionId", ""))) is not None:
                page.on_event(message["method"], message.get("params", {}))

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, session_id: str | None = None
    ) -> Any:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self.ws.send(json.dumps(message))
        return await asyncio.wait_for(future, 30)

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self, attached["sessionId"])
        self._pages[page.session_id] = page
        for domain in ("Page", "Runtime", "Network"):
            await page.send(f"{domain}.enable")
        await page.send("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_VIOLATIONS})
        return page

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.send("Browser.close")
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def launch(binary: str) -> AsyncIterator[Browser]:
    """Start headless Chromium with a fresh profile; close it and remove the profile after."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    process = await asyncio.create_subprocess_exec(
        binary,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    drain: asyncio.Task[None] | None = None
    try:
        assert process.stderr is not None
        endpoint = await asyncio.wait_for(_devtools_url(process.stderr), 30)
        # Keep reading stderr so Chromium never blocks on a full pipe.
        drain = asyncio.create_task(_drain(process.stderr))
        async with connect(endpoint, max_size=None) as ws:
            browser = Browser(process, ws)
            try:
                yield browser
            finally:
                await browser.close()
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        if drain is not None:
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drain
        shutil.rmtree(profile, ignore_errors=True)


async def _devtools_url(stderr: asyncio.StreamReader) -> str:
    pattern = re.compile(rb"DevTools listening on (ws://\S+)")
    lines: list[bytes] = []
    while line := await stderr.readline():
        lines.append(line)
        if match := pattern.search(line):
            return match.group(1).decode()
    tail = b"".join(lines[-20:]).decode(errors="replace")
    raise AssertionError(f"Chromium exited before DevTools started:\n{tail}")


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass
