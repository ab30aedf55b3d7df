"""Layering: ``classifiers/`` stands alone and imports nothing from ``pipeline/``."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLASSIFIERS = REPO / "classifiers"


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def test_no_classifier_module_imports_the_pipeline() -> None:
    modules = sorted(CLASSIFIERS.rglob("*.py"))
    assert modules, "no classifier modules found"
    offending = [
        f"{path.relative_to(REPO)}:{lineno}: import {name}"
        for path in modules
        for lineno, name in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if name == "pipeline" or name.startswith("pipeline.")
    ]
    assert not offending, "classifiers/ must not import pipeline/:\n" + "\n".join(offending)


def test_only_the_storage_package_speaks_sql() -> None:
    outside = sorted(
        p
        for p in (REPO / "pipeline").rglob("*.py")
        if (REPO / "pipeline" / "store") not in p.parents
    )
    assert outside, "no pipeline modules found"
    offending = []
    for path in [*outside, *sorted(CLASSIFIERS.rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for lineno, name in _imports(tree):
            if name == "sqlalchemy" or name.startswith(("sqlalchemy.", "pipeline.store.models")):
                offending.append(f"{path.relative_to(REPO)}:{lineno}: import {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "pipeline.store":
                rows = [a.name for a in node.names if a.name.endswith("Row") or a.name == "Base"]
                offending.extend(f"{path.relative_to(REPO)}:{node.lineno}: {r}" for r in rows)
    assert not offending, "SQL and table classes stay in pipeline/store/:\n" + "\n".join(offending)
