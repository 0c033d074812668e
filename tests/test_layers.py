"""Imports run one way: api -> matcher -> scoring -> indexing -> profiles -> core.

A module may import its own layer and the layers below it, never one above: the core knows no
domain, profiles know nothing of search or scoring, and only api/ sees everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("core", "profiles", "indexing", "scoring", "matcher", "api")  # bottom to top
RANK = {layer: rank for rank, layer in enumerate(LAYERS)}


def imported_modules(path: Path) -> list[str]:
    """Every absolute module a file imports, wherever in the file the import stands."""
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
    return modules


def upward_imports(layer: str, *, root: Path = ROOT) -> list[str]:
    """`file: module` for each import of a layer above `layer` by a module of `layer`."""
    found = []
    for path in sorted((root / layer).rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if RANK.get(top, -1) > RANK[layer]:
                found.append(f"{path.relative_to(root)}: {module}")
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_no_module_imports_a_layer_above_its_own(layer: str) -> None:
    assert upward_imports(layer) == []


def test_an_upward_import_is_found_even_inside_a_function(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "late.py").write_text(
        "import core.settings\n\ndef f():\n    from scoring.weights import FEATURES\n"
    )
    assert upward_imports("profiles", root=tmp_path) == ["profiles/late.py: scoring.weights"]
