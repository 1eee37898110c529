"""Every declared dependency does work: each is imported by the code that needs it."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# Distribution name -> the module it is imported as (where the two differ).
IMPORT_NAME = {
    "pyyaml": "yaml",
    "gitpython": "git",
    "types-pyyaml": None,
    "scikit-learn": "sklearn",
    "pillow": "PIL",
}
# Dev tools run as commands by scripts/test.sh rather than imported.
COMMANDS = {"mypy", "ruff", "pytest"}


def distribution(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def imported_modules(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
            elif _package_data(node):  # resources.files("plotly"): a package used for its data
                found.add(node.args[0].value.split(".")[0])  # type: ignore[attr-defined]
    return found


def _package_data(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "files"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def test_every_runtime_dependency_is_imported_by_the_library() -> None:
    used = imported_modules(list((ROOT / "src" / "gittrack").rglob("*.py")))
    unused = [
        req
        for req in PYPROJECT["project"]["dependencies"]
        if IMPORT_NAME.get(distribution(req), distribution(req)) not in used
    ]
    assert not unused, f"declared but never imported: {unused}"


def test_every_dev_dependency_is_used_by_the_tests_or_the_test_command() -> None:
    used = imported_modules([*(ROOT / "tests").rglob("*.py"), *(ROOT / "scripts").glob("*.py")])
    test_command = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    typed = {"types-" + m for m in used | imported_modules(list((ROOT / "src").rglob("*.py")))}
    unused = []
    for req in PYPROJECT["project"]["optional-dependencies"]["dev"]:
        name = distribution(req)
        if name in COMMANDS and f"-m {name}" in test_command:
            continue
        if name.startswith("types-") and (name in typed or "types-" + IMPORT_NAME.get(name[6:], "") in typed):
            continue
        if IMPORT_NAME.get(name, name) in used:
            continue
        unused.append(req)
    assert not unused, f"dev extra lists what no test or script uses: {unused}"
