"""The layout shows the architecture: no module of graph/ or api/ imports, even lazily inside a
function, a module that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("graph", "api")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts and parts[-1] == "__init__" else parts)


def our_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "data" not in path.relative_to(ROOT).parts
    }


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(path: Path, modules: dict[str, Path], root: Path = ROOT) -> set[str]:
    """Every module of ours that ``path`` imports, at the top or inside a function (imports
    under ``if TYPE_CHECKING:`` never run, so they are left out)."""
    found: set[str] = set()
    package = module_name(path if path.name == "__init__.py" else path.parent, root)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                # `from package import submodule` imports the submodule
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name in modules}


def import_graph() -> nx.DiGraph:
    modules = our_modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        graph.add_edges_from((name, target) for target in imported_modules(path, modules))
    return graph


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert graph.number_of_nodes() > 40 and graph.number_of_edges() > 100
    cycles = list(nx.simple_cycles(graph, length_bound=6))
    assert cycles == [], "\n".join(" -> ".join([*cycle, cycle[0]]) for cycle in cycles[:10])


def test_the_cycle_check_sees_lazy_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
    )
    modules = {name: package / f"{name[4:]}.py" for name in ("pkg.a", "pkg.b")}
    assert imported_modules(modules["pkg.a"], modules, tmp_path) == {"pkg.b"}
    assert imported_modules(modules["pkg.b"], modules, tmp_path) == set()


def test_layers_point_down() -> None:
    """The model knows no store, the store no analysis, the library no server or HTTP."""
    graph = import_graph()
    below = {
        "graph.model": ("graph.store", "graph.ingest", "graph.sparql", "graph.analysis"),
        "graph.store": ("graph.ingest", "graph.sparql", "graph.analysis", "graph.server"),
        "graph.sparql": ("graph.ingest", "graph.analysis", "graph.server"),
        "graph.analysis": ("graph.server", "graph.viz", "graph.cli", "api"),
        "graph.ingest": ("graph.analysis", "graph.server", "graph.viz", "api"),
    }
    wrong = [
        (source, target)
        for source, target in graph.edges
        for layer, forbidden in below.items()
        if (source == layer or source.startswith(layer + "."))
        and any(target == f or target.startswith(f + ".") for f in forbidden)
    ]
    assert wrong == []


def test_test_modules_import_no_other_test_module() -> None:
    """Shared helpers live in tests/helpers.py and fixtures in conftest.py: no module of tests/
    imports a test module or conftest (pytest loads those itself)."""
    modules = {module_name(path): path for path in (ROOT / "tests").glob("*.py")}
    imports = {name: imported_modules(path, modules) for name, path in modules.items()}
    assert sum("tests.helpers" in found for found in imports.values()) > 10
    wrong = [
        (name, target)
        for name, found in imports.items()
        for target in found
        if target.startswith("tests.test_") or target == "tests.conftest"
    ]
    assert wrong == []
