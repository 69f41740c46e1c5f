"""Run a test module against both upstream API versions:

    pytestmark = BOTH_VERSIONS

(the `api_version` fixture, which the `gateway` fixture reads, is parametrized).
"""

from __future__ import annotations

import pytest

VERSIONS = ("2025-01-01", "2026-02-01")
BOTH_VERSIONS = pytest.mark.parametrize("api_version", VERSIONS)
