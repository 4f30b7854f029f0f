"""The rooms' import rules (docs/architecture.md, "Import rules"): imports point one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "farmstead"

FORBIDDEN = {
    "domain": ("farmstead.store", "farmstead.protocol", "farmstead.api", "sqlalchemy", "botocore", "starlette"),
    "protocol": ("farmstead.store", "farmstead.domain", "farmstead.api", "sqlalchemy"),
    "api": ("starlette",),
}

#: The one exception: the domain's status vocabularies are the model's generated StrEnums
#: (protocol/shapes.py, standard library only), re-exported by domain/statuses.py.
ALLOWED = {"domain": ("farmstead.protocol.shapes",)}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_does_not_import_what_it_must_not(room):
    offenders = []
    for path in sorted((SRC / room).rglob("*.py")):
        for name in _imports(path):
            if name in ALLOWED.get(room, ()):
                continue
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[room]):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_only_the_store_imports_sqlalchemy():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts[0] == "store":
            continue
        for name in _imports(path):
            # The api layer hands the store its Connection, so it may name that type; it writes no SQL.
            if name == "sqlalchemy.engine" and relative.parts[0] == "api":
                continue
            if name == "sqlalchemy" or name.startswith("sqlalchemy."):
                offenders.append(f"{relative} imports {name}")
    assert offenders == []


def test_the_generated_shapes_import_only_the_standard_library():
    """What lets the domain import them: they bring no botocore or framework along."""
    assert _imports(SRC / "protocol" / "shapes.py") <= {"datetime", "enum", "typing"}
