"""Packages whose names load on first use: the three lists of names agree.

Each lazy package writes its public names three times — the imports the
type checker reads, ``_EXPORTS`` (name -> module) and ``__all__`` — because
mypy only honours a literal ``__all__``. This is what keeps them the same.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

LAZY = ["kaizen_agentic.agents", "kaizen_agentic.capture", "kaizen_agentic.events"]


@pytest.mark.parametrize("package", LAZY)
def test_every_public_name_is_exported_and_loads_from_its_module(package: str) -> None:
    module = importlib.import_module(package)
    exports: dict[str, str] = module._EXPORTS
    assert sorted(module.__all__) == sorted(exports)
    for name, home in exports.items():
        assert getattr(module, name) is getattr(importlib.import_module(home), name), name
    assert set(exports) <= set(dir(module))


@pytest.mark.parametrize("package", LAZY)
def test_the_type_checkers_imports_are_the_exports(package: str) -> None:
    module = importlib.import_module(package)
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    checked = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    imported = {
        alias.name: node.module
        for node in checked.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == module._EXPORTS
