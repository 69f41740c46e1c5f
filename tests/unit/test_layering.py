"""The package is layered one way: web -> schema -> upstream (design.md, "Principles").

Shared modules at the top of the package (settings, errors, metrics, logs, tracing) may be used by
every layer and use none of them; the emulator stands in for a foreign service and shares
nothing with the gateway.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gateway"
LAYERS = ["web", "schema", "upstream"]  # each may import only the ones after it
SHARED = {"settings", "errors", "metrics", "logs", "redis_store", "tracing"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "gateway" or name.startswith("gateway.")}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_itself_the_layers_below_and_shared_modules(layer: str) -> None:
    allowed = {*LAYERS[LAYERS.index(layer) :], *SHARED}
    if layer == "web":
        allowed.add("emulator")  # mounted in embedded mode, as a separate app
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in _modules(layer)
        for module in _imports(path)
        if _part(module) not in allowed
    }
    assert not wrong, sorted(wrong)


def test_shared_modules_import_no_layer() -> None:
    wrong = {
        f"{name}.py imports {module}"
        for name in SHARED
        for module in _imports(PACKAGE / f"{name}.py")
        if _part(module) in {"web", "schema"}
    }
    assert not wrong, sorted(wrong)


def test_the_emulator_shares_no_code_with_the_gateway() -> None:
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in _modules("emulator")
        for module in _imports(path)
        if _part(module) != "emulator"
    }
    assert not wrong, sorted(wrong)


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from gateway.web.http import GraphQLEndpoint\nimport gateway.schema.types\n")
    assert {_part(m) for m in _imports(module)} == {"web", "schema"}
