"""The layering of the package: every import points down, no cycles, no catalogue in the library.

Layers, bottom to top (DESIGN.md, "Layout"): errors/serial/_version/claims.verdict → losses → gd → nn →
claims → report → cli/pytest plugin → the public front (``lrbias``, ``lrbias.api``).  Every
import counts, module-level or inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS: tuple[tuple[str, ...], ...] = (
    ("lrbias.errors", "lrbias.serial", "lrbias.outputs", "lrbias.inputs", "lrbias.cache", "lrbias._version",
     "lrbias.verdict"),
    ("lrbias.losses",),
    ("lrbias.gd",),
    ("lrbias.nn",),
    ("lrbias.claims",),
    ("lrbias.report",),
    ("lrbias.cli", "lrbias.pytest_plugin"),
    ("lrbias.api", "lrbias"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module (under lrbias or theorems) that the file imports, resolved to absolute names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:  # a submodule imported by name, else a name of the module
                sub = f"{module}.{alias.name}"
                found.add(sub if _is_module(sub) else module)
    return {m for m in found if m.split(".")[0] in ("lrbias", "theorems")}


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module → the package modules it imports (names that are not modules are dropped)."""
    files = {module_name(p): p for p in (root / "lrbias").rglob("*.py")}
    return {m: {d for d in imports_of(p) if d in files and d != m} for m, p in files.items()}


def rank(module: str) -> int:
    """Index of the layer the module belongs to (the longest matching prefix decides)."""
    best, best_len = -1, -1
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = i, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best


def upward(deps: dict[str, set[str]]) -> list[str]:
    """Imports that point up a layer."""
    return sorted(f"{m} -> {d}" for m, ds in deps.items() for d in ds
                  if m not in ("lrbias", "lrbias.api", "lrbias.__main__") and rank(d) > rank(m))


def cycles(deps: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in deps.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(deps):
        if v not in index:
            visit(v)
    return out


def importers_of(deps: dict[str, set[str]], package: str) -> list[str]:
    return sorted(m for m, ds in deps.items() if any(d == package or d.startswith(package + ".") for d in ds))


def test_the_library_never_imports_the_catalogue():
    found = {m for p in (ROOT / "lrbias").rglob("*.py") for m in imports_of(p) if m.split(".")[0] == "theorems"}
    assert not found, found


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_every_import_points_down():
    assert upward(graph()) == []


def catalogue_misuses(deps: dict[str, set[str]]) -> list[str]:
    """Imports of the catalogue (theorems/) that reach above the claims layer or name no module of the
    package: its modules declare entries from the library's claim layer and below, never report or CLI."""
    out = []
    for m, ds in deps.items():
        for d in ds:
            if d.split(".")[0] == "theorems":
                continue
            if not _is_module(d) or rank(d) > rank("lrbias.claims"):
                out.append(f"{m} -> {d}")
    return sorted(out)


def test_the_theorems_package_holds_entries_only():
    """theorems/ imports the library (its claim layer and below), never the other way, and every module
    of it declares its entries (a GROUP, or an ENTRIES list) or is the package's __init__."""
    deps = {module_name(p): imports_of(p) for p in (ROOT / "theorems").rglob("*.py")}
    assert catalogue_misuses(deps) == []
    assert all(any(d.split(".")[0] == "lrbias" for d in ds) for m, ds in deps.items() if m != "theorems"), deps
    for path in (ROOT / "theorems").glob("*.py"):
        if path.name != "__init__.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {t.id for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
                     for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                     if isinstance(t, ast.Name)}
            assert names & {"GROUP", "ENTRIES"}, path.name  # a declared Group (or a bare ENTRIES list)


@pytest.mark.parametrize("deps", [
    {"theorems.exact": {"lrbias.report.page"}},      # a catalogue module reaching the report layer
    {"theorems.exact": {"lrbias.cli"}},               # ... or the CLI
    {"theorems.exact": {"lrbias.no_such_module"}},    # ... or a module that does not exist
])
def test_the_catalogue_check_catches_a_deliberately_wrong_import(deps):
    assert catalogue_misuses(deps)


@pytest.mark.parametrize("deps, problem", [
    ({"lrbias.gd.step_loop": {"lrbias.claims.runner"}, "lrbias.claims.runner": set()}, "upward"),
    ({"lrbias.gd.a": {"lrbias.gd.b"}, "lrbias.gd.b": {"lrbias.gd.a"}}, "cycle"),
    ({"lrbias.nn.claims": {"lrbias.claims.runner"}, "lrbias.claims.runner": set()}, "upward"),
])
def test_the_checks_catch_a_deliberately_wrong_graph(deps, problem):
    """The layer and cycle checks are not vacuous: a wrong graph is reported."""
    if problem == "upward":
        assert upward(deps)
    else:
        assert cycles(deps)


def test_nn_and_engines_never_import_the_runner():
    deps = graph()
    assert [m for m in importers_of(deps, "lrbias.claims") if m.startswith(("lrbias.nn", "lrbias.gd"))
            and any(d.startswith("lrbias.claims") for d in deps[m])] == []
