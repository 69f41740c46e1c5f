"""The block `gateway serve` prints once it knows the upstream's API version: everything a
newcomer needs to follow the README (URLs, the upstream, and in embedded mode the
emulator and its demo key, a local throwaway key, the only key ever printed).

Usage::

    start = StartBlock(graphql_url="http://127.0.0.1:8000/graphql",
                       upstream_url="http://127.0.0.1:8000/emulator", embedded=True)
    app = create_app(settings, announce=start.announce)  # called with the API version
"""

from __future__ import annotations

import dataclasses
import sys
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from gateway.emulator import DEMO_API_KEY


@dataclasses.dataclass(kw_only=True)
class StartBlock:
    graphql_url: str
    upstream_url: str
    embedded: bool
    demo_key_is_default: bool = True  # callers without Authorization use the demo key
    out: TextIO = dataclasses.field(default_factory=lambda: sys.stdout)
    printed: bool = False

    def lines(self, version: str) -> list[str]:
        upstream = "the embedded emulator" if self.embedded else _shown(self.upstream_url)
        block = [
            "Callback Destinations GraphQL gateway",
            f"  GraphQL:   {self.graphql_url}  (POST JSON; GET for queries)",
            f"  GraphiQL:  {self.graphql_url}  (open it in a browser)",
            f"  Upstream:  {upstream}, API version {version}",
        ]
        if self.embedded:
            # The emulator speaks 2026-02-01 unless asked for the older version by its key.
            old = version.startswith("2025-01-01")
            route = "/callbacks-destinations" if old else "/callback-destinations"
            pick = "-H 'metorial-version: mt_2025_01_01_pulsar' " if old else ""
            block += [
                f"  Emulator:  {self.upstream_url}  (data in .data/emulator.sqlite3)",
                f"  Demo key:  {DEMO_API_KEY}  (local and throwaway"
                + (
                    "; used when a caller sends no Authorization)"
                    if self.demo_key_is_default
                    else ")"
                ),
                f"  Try:       curl -H 'Authorization: Bearer {DEMO_API_KEY}' {pick}"
                f"{self.upstream_url}{route}",
            ]
        return block

    def announce(self, version: str) -> None:
        """Print the block (once)."""
        if self.printed:
            return
        self.printed = True
        print("\n".join(self.lines(version)), file=self.out, flush=True)


def _shown(url: str) -> str:
    """The URL without user info, query or fragment (where a credential could hide)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
