"""Imports point down only (ARCHITECTURE.md): every import statement of every module,
function-level ones included, is read from the source and checked against the layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cloudtap"

# package → the cloudtap packages it must never import
FORBIDDEN = {
    "jobs": ("api",),
    "icloud": ("api", "jobs", "store"),
    "publish": ("api",),
    "sandbox": ("api", "jobs", "store", "publish", "icloud"),
    "wire": ("api", "jobs"),
}


def imported_modules(path: Path, root: Path = PACKAGE.parent) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path`` (below ``root``), relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def violations(layer: str, banned: tuple[str, ...], package: Path = PACKAGE) -> list[str]:
    bad: list[str] = []
    for path in sorted((package / layer).rglob("*.py")):
        for line, module in imported_modules(path, package.parent):
            for other in banned:
                if module == f"cloudtap.{other}" or module.startswith(f"cloudtap.{other}."):
                    bad.append(f"{path.relative_to(package.parent)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_down(layer: str) -> None:
    assert (PACKAGE / layer).is_dir()
    assert violations(layer, FORBIDDEN[layer]) == []


def test_the_walker_finds_function_level_and_relative_imports(tmp_path: Path) -> None:
    # The check is only as good as its reader: a lazy import inside a function (as the
    # job layer once had for the API's serialisers) and a relative one are both found.
    jobs = tmp_path / "cloudtap" / "jobs"
    jobs.mkdir(parents=True)
    (jobs / "lazy.py").write_text(
        "def emit():\n    from cloudtap.api.resources.polls import serialize_poll\n"
    )
    (jobs / "relative.py").write_text("from ..api import errors\nfrom . import queue\n")
    found = violations("jobs", ("api",), tmp_path / "cloudtap")
    assert found == [
        "cloudtap/jobs/lazy.py:2 imports cloudtap.api.resources.polls",
        "cloudtap/jobs/relative.py:1 imports cloudtap.api",
    ]
