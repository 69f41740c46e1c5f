"""Build the distribution as a user would, from a clean clone, and install it in a fresh venv.

A "clean clone" is the files git tracks (or would track) copied elsewhere: no node_modules,
no .venv, no build leftovers. No npm is involved anywhere here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTION = "metorial-callbacks-gateway"
# What the GraphiQL page needs, as paths inside the wheel.
ASSETS = [
    "gateway/graphiql_assets/graphiql-init.js",
    "gateway/graphiql_assets/graphiql-page.css",
    "gateway/graphiql_assets/dist/react.production.min.js",
    "gateway/graphiql_assets/dist/react-dom.production.min.js",
    "gateway/graphiql_assets/dist/graphiql.min.js",
    "gateway/graphiql_assets/dist/graphiql.min.css",
    "gateway/graphiql_assets/dist/versions.json",
    "gateway/graphiql_assets/dist/THIRD_PARTY_LICENSES.txt",
]


def clean_clone(target: Path) -> Path:
    """The tracked and not-ignored files of the work tree, copied to `target`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def clean_env() -> dict[str, str]:
    """This environment without what would put the source tree on the path."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("GATEWAY_")}


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run a command outside the source tree; its output, or an AssertionError carrying it."""
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd or Path("/"),
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_sdist(source: Path, out: Path) -> Path:
    run(sys.executable, "-m", "build", "--sdist", "--outdir", out, source)
    return next(out.glob("*.tar.gz"))


def build_wheel(source: Path, out: Path) -> Path:
    """`pip wheel` of a source tree or an sdist (isolated build: setuptools from PyPI)."""
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, source)
    return next(out.glob("*.whl"))


def install_in_fresh_venv(wheel: Path, where: Path) -> Path:
    """A new venv (no system site-packages) with the wheel and its dependencies from PyPI;
    the venv's bin directory."""
    venv.create(where, with_pip=True, clear=True)
    bin_dir = where / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel)
    return bin_dir
