"""The rules of ``docs/architecture.md``, enforced by reading every import statement of
every module (function-level and relative ones included) from the source.

- Packages import only the packages their layer allows (``LAYERS``).
- No circle between modules: the whole module import graph is built, printed, and
  checked for cycles.
- Raw SQL and dialect-specific code live in ``store``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cloudtap"

PRIMITIVES = {"config", "extras", "crypto", "ops", "sweeper"}
STORE = {"store", *PRIMITIVES}
MIDDLE = {"icloud", "publish", "wire", "mocks", *STORE}
# package (or top-level module) → the cloudtap packages it may import, its own aside.
# Read top to bottom: each layer may use what is listed below it, never above.
LAYERS: dict[str, set[str]] = {
    "cli": {"app", "dashboard", "api", "jobs", "pull", "sandbox", "capture", *MIDDLE},
    # The assembly: it hands the dashboard the sandbox's catalogue.
    "app": {"dashboard", "api", "jobs", "sandbox", *MIDDLE},
    "dashboard": {"api", "jobs", *MIDDLE},
    "api": {"jobs", *MIDDLE},
    "jobs": set(MIDDLE),
    "mocks": {"icloud", *PRIMITIVES},
    # Records, redacts and writes the client's own Apple traffic (docs/capture.md).
    "capture": {"icloud", *PRIMITIVES},
    "publish": set(STORE),
    "wire": set(STORE),
    "icloud": set(PRIMITIVES),
    "store": set(PRIMITIVES),
    # A client of the HTTP API: none of the server's packages.
    "pull": {"config", "extras"},
    # A fake Apple: knows nothing of the rest of cloudtap.
    "sandbox": {"config", "crypto"},
    "ops": set(),
    "crypto": set(),
    "extras": set(),
    "sweeper": {"config"},
    "config": {"crypto"},
}


def imported_modules(path: Path, root: Path = PACKAGE.parent) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path`` (below ``root``), relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parts = path.relative_to(root).with_suffix("").parts
    package = ".".join(parts if parts[-1] == "__init__" else parts[:-1]).removesuffix(".__init__")
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
                names = [f"{module}.{a.name}" for a in node.names]
            else:
                module = node.module or ""
                names = [f"{module}.{a.name}" for a in node.names]
            found.append((node.lineno, module))
            # ``from cloudtap.jobs import polling`` imports the module ``polling`` too.
            found += [(node.lineno, name) for name in names]
    return found


def module_name(path: Path, root: Path = PACKAGE.parent) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level(module: str) -> str:
    """``cloudtap.jobs.polling`` → ``jobs``; ``cloudtap.config`` → ``config``."""
    return module.split(".")[1]


def violations(package: Path = PACKAGE) -> list[str]:
    bad: list[str] = []
    known = {module_name(p, package.parent) for p in package.rglob("*.py")}
    for path in sorted(package.rglob("*.py")):
        own = module_name(path, package.parent)
        if own == "cloudtap":
            continue
        layer = top_level(own)
        allowed = LAYERS.get(layer)
        if allowed is None:
            bad.append(f"{own}: the package {layer} has no layer in LAYERS")
            continue
        for line, module in imported_modules(path, package.parent):
            if not module.startswith("cloudtap.") or module not in known:
                continue
            other = top_level(module)
            if other != layer and other not in allowed:
                rel = path.relative_to(package.parent)
                bad.append(f"{rel}:{line} ({layer}) imports {module} ({other})")
    return sorted(set(bad))


def module_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the cloudtap modules it imports (any import, anywhere in the module)."""
    known = {module_name(p, package.parent) for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(package.rglob("*.py")):
        own = module_name(path, package.parent)
        graph[own]
        for _, module in imported_modules(path, package.parent):
            if module in known and module != own and not own.startswith(f"{module}."):
                # A package's __init__ is imported on the way to its modules; it is
                # not an edge back from them.
                graph[own].add(module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_imports_point_down() -> None:
    assert violations() == []


def test_no_module_circles(capsys: pytest.CaptureFixture[str]) -> None:
    graph = module_graph()
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        if module == "cloudtap":
            continue
        packages[top_level(module)] |= {top_level(t) for t in targets} - {top_level(module)}
    with capsys.disabled():
        print("\ncloudtap's package import graph (each imports only those to its right):")
        for name in sorted(packages, key=lambda n: (-len(LAYERS.get(n, ())), n)):
            print(f"  {name:10} → {', '.join(sorted(packages[name])) or '-'}")
    assert cycles(graph) == []


def test_every_package_has_a_layer() -> None:
    tops = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tops |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert tops == set(LAYERS)


def test_raw_sql_and_dialects_live_in_store() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if module_name(path) == "cloudtap" or top_level(module_name(path)) == "store":
            continue
        for line, module in imported_modules(path):
            if module.startswith("sqlalchemy.dialects") or module == "sqlalchemy.text":
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} {module}")
        if "exec_driver_sql" in path.read_text():
            offenders.append(f"{path.relative_to(PACKAGE.parent)}: exec_driver_sql")
    assert offenders == []


def test_the_walker_finds_function_level_and_relative_imports(tmp_path: Path) -> None:
    # The check is only as good as its reader: a lazy import inside a function (as the
    # job layer once had for the API's serialisers) and a relative one are both found.
    root = tmp_path / "cloudtap"
    for package in ("jobs", "api", "api/resources"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "api" / "errors.py").write_text("")
    (root / "api" / "resources" / "polls.py").write_text("")
    (root / "jobs" / "queue.py").write_text("")
    (root / "jobs" / "lazy.py").write_text(
        "def emit():\n    from cloudtap.api.resources.polls import serialize_poll\n"
    )
    (root / "jobs" / "relative.py").write_text("from ..api import errors\nfrom . import queue\n")
    assert violations(root) == [
        "cloudtap/jobs/lazy.py:2 (jobs) imports cloudtap.api.resources.polls (api)",
        "cloudtap/jobs/relative.py:1 (jobs) imports cloudtap.api (api)",
        "cloudtap/jobs/relative.py:1 (jobs) imports cloudtap.api.errors (api)",
    ]


def test_a_circle_of_modules_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
