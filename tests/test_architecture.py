"""The package map of docs/architecture.md, enforced: dependencies point one way, no cycles.

Every ``import``/``from ... import`` of a gittrack module anywhere in ``src/gittrack`` (also
inside functions and ``TYPE_CHECKING`` blocks: a lazy import is still a dependency) must
go to a package its own package may use, and the module graph must have no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "gittrack"

# Each layer may import the layers listed for it (and itself).  `errors` is the root every
# layer shares; the top-level public modules (gittrack.entities, gittrack.exceptions...) are
# aliases that nothing inside the library imports.
FOUNDATION = {"errors"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "store": FOUNDATION,
    "git": FOUNDATION,
    "query": FOUNDATION | {"store", "git"},
    "tracking": FOUNDATION | {"store", "git", "query"},
    "models": FOUNDATION | {"store", "git", "query", "tracking"},
    "review": FOUNDATION | {"store", "git", "query", "tracking", "models"},
    "maintenance": FOUNDATION | {"store", "git", "query", "tracking", "models", "review"},
    "runner": FOUNDATION | {"store", "git", "query", "tracking", "models", "review", "maintenance"},
    "interop": FOUNDATION | {"store", "git", "query", "tracking", "models"},
    "integrations": FOUNDATION | {"store", "git", "query", "tracking", "models"},
    "ui": FOUNDATION | {"store", "git", "query", "tracking", "models", "review", "maintenance"},
}
# Only the CLI, the package root and the public aliases may import anything.
TOP = {"cli", "__init__", "__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    """``gittrack.store.writer`` -> ``store``; a top-level module is its own layer."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported gittrack module) for every import statement in a file."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("gittrack"):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base])
            if not base.startswith("gittrack"):
                continue
            for alias in node.names:  # `from gittrack.store import layout` imports gittrack.store.layout
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if _is_module(candidate) else base


def _is_module(name: str) -> bool:
    path = SRC.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        edges[module_name(path)] = {target for _line, target in imports(path)}
    return edges


def test_every_package_is_in_the_map() -> None:
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(ALLOWED) | TOP, f"add {packages - set(ALLOWED) - TOP} to ALLOWED and the docs"


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        source = layer(module_name(path))
        if source in TOP or (source not in ALLOWED and source not in _packages()):
            continue  # a top-level public alias module: may import what it re-exports
        for line, target in imports(path):
            target_layer = layer(target)
            if target_layer != source and target_layer not in ALLOWED.get(source, set()):
                wrong.append(f"{path.relative_to(SRC)}:{line}: {source} imports {target}")
    assert not wrong, "imports against the layering of docs/architecture.md:\n" + "\n".join(wrong)


def _packages() -> set[str]:
    return {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}


def test_nothing_in_the_library_imports_the_public_aliases() -> None:
    aliases = {f"gittrack.{p.stem}" for p in SRC.glob("*.py")} - {"gittrack.__init__", "gittrack.errors"}
    users = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets & aliases
        if layer(module) not in TOP
    ]
    assert not users


def test_there_is_no_import_cycle() -> None:
    edges = graph()
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the module graph (a package's ``__init__`` counts as its own node)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_the_cycle_finder_finds_cycles(edges: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(edges) == cycle


def test_a_wrong_way_import_is_caught(tmp_path: Path) -> None:
    """The checker itself: a store module importing the query layer is reported."""
    bad = SRC / "store" / "_architecture_probe.py"
    bad.write_text("from gittrack.query.search import search\n", encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match=r"store imports gittrack\.query\.search"):
            test_imports_point_down_the_layers()
    finally:
        bad.unlink()


def test_every_package_says_what_it_owns_and_may_import() -> None:
    for package in sorted(_packages() - {"cli"}):
        doc = ast.get_docstring(ast.parse((SRC / package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "import" in doc, f"gittrack.{package}.__init__ needs a docstring naming its imports"


def test_modules_stay_focused() -> None:
    long = [
        f"{p.relative_to(SRC)}: {n} lines"
        for p in sorted(SRC.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 420
    ]
    assert not long, "split these modules (the aim is under ~400 lines):\n" + "\n".join(long)
