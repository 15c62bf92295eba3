"""The layering the README promises, checked on the source: the core imports no Qt, and the
GUI and the CLI use a library only through the facade's methods, never its parts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reader

PACKAGE = Path(reader.__file__).parent
FRONT_ENDS = sorted([*PACKAGE.glob("cli*.py"), *(PACKAGE / "gui").rglob("*.py")])
PARTS = {"store", "derived"}  # the facade's parts: for core modules and tests only


def _library_expr(node: ast.expr) -> bool:
    """``library``, ``self.library``, ``self._library``, ``window.library``…"""
    if isinstance(node, ast.Name):
        return node.id in ("library", "lib")
    return isinstance(node, ast.Attribute) and node.attr in ("library", "_library")


def reaches_past(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and _library_expr(node.value)
            and (node.attr in PARTS or node.attr.startswith("_"))
        ):
            found.append(f"{name}:{node.lineno}: .{node.attr}")
    return sorted(found)


def test_the_gui_and_the_cli_use_only_the_facades_methods() -> None:
    assert len(FRONT_ENDS) > 10
    found = [
        line
        for path in FRONT_ENDS
        for line in reaches_past(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert not found, "reaching past the Library facade:\n" + "\n".join(found)


def test_the_check_finds_a_reach_past() -> None:
    source = "def f(self, library):\n  self.library.store.rev()\n  library._x\n  library.paper(1)\n"
    assert reaches_past(source, "f.py") == ["f.py:2: .store", "f.py:3: ._x"]


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").rglob("*.py")), ids=str)
def test_the_core_imports_no_qt(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        assert not any(n.split(".")[0] in ("PySide6", "shiboken6") for n in names), path
