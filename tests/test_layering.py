"""The rooms' import rules (docs/architecture.md, "Import rules"): imports point one way, and no two
modules import each other, directly or round a longer loop.

Every import statement of a module counts: at module level, under `if TYPE_CHECKING:`, and inside a
function. A cycle that only works because one side imports late, or only for the type checker, is
still two modules that each need the other: the next change to either can turn it into an
ImportError at start-up, and neither can be read or tested without the other.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "farmstead"

FORBIDDEN = {
    "domain": ("farmstead.store", "farmstead.protocol", "farmstead.api", "farmstead.orchestration", "sqlalchemy",
               "botocore", "starlette"),
    "protocol": ("farmstead.store", "farmstead.domain", "farmstead.api", "farmstead.orchestration", "sqlalchemy"),
    "api": ("starlette",),
    "background": ("farmstead.api",),
}

#: The one exception: the domain's status vocabularies are the model's generated StrEnums
#: (protocol/shapes.py, standard library only), re-exported by domain/statuses.py.
ALLOWED = {"domain": ("farmstead.protocol.shapes",)}

#: The rooms that may import only these of Farmstead (their own room always).
ONLY_FARMSTEAD = {
    "orchestration": ("farmstead.domain", "farmstead.store", "farmstead.ids", "farmstead.clock"),
    "store": ("farmstead.domain", "farmstead.ids"),
}

#: The engine may name SQLAlchemy's Connection and Row types, which it passes to the store, and
#: otherwise imports the standard library only.
ORCHESTRATION_THIRD_PARTY = ("sqlalchemy.engine",)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_does_not_import_what_it_must_not(room):
    offenders = []
    for path in sorted((SRC / room).rglob("*.py")):
        for name in _imports(path):
            if name in ALLOWED.get(room, ()):
                continue
            if _under(name, FORBIDDEN[room]):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


@pytest.mark.parametrize("room", sorted(ONLY_FARMSTEAD))
def test_room_imports_only_the_rooms_it_builds_on(room):
    allowed = (f"farmstead.{room}", *ONLY_FARMSTEAD[room])
    offenders = []
    for path in sorted((SRC / room).rglob("*.py")):
        for name in _imports(path):
            if _under(name, ("farmstead",)) and not _under(name, allowed):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_the_engine_imports_only_the_standard_library_and_sqlalchemys_types():
    offenders = []
    for path in sorted((SRC / "orchestration").rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in ("farmstead", "__future__") or top in sys.stdlib_module_names:
                continue
            if not _under(name, ORCHESTRATION_THIRD_PARTY):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_only_the_store_imports_sqlalchemy():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts[0] == "store":
            continue
        for name in _imports(path):
            # The api layer and the engine hand the store its Connection, so they may name that type;
            # they write no SQL.
            if name == "sqlalchemy.engine" and relative.parts[0] in ("api", "orchestration"):
                continue
            if _under(name, ("sqlalchemy",)):
                offenders.append(f"{relative} imports {name}")
    assert offenders == []


def test_the_generated_shapes_import_only_the_standard_library():
    """What lets the domain import them: they bring no botocore or framework along."""
    assert _imports(SRC / "protocol" / "shapes.py") <= {"datetime", "enum", "typing"}


# --- no import cycles ----------------------------------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the farmstead modules it imports. `from a.b import c` is an edge to the module a.b.c
    when there is one (a submodule), else to a.b (a name defined in it); relative imports resolved."""
    paths = {_module_name(path): path for path in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name in paths)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([node.module] if node.module else [])])
                for alias in node.names:
                    if f"{base}.{alias.name}" in paths:
                        edges.add(f"{base}.{alias.name}")
                    elif base in paths:
                        edges.add(base)
        graph[module] = edges - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is not None:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_check_finds_a_loop_round_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_two_modules_import_each_other_directly_or_round_a_loop():
    assert _cycles(_import_graph()) == []


# --- one status vocabulary ---------------------------------------------------------------------

#: Where a quoted status may stay: the domain names statuses (it holds the rules and re-exports the
#: enums), shapes.py is the generated model itself, and a migration's SQL is frozen history.
_VOCABULARY_HOMES = ("domain/", "protocol/shapes.py", "store/migrations/")

#: A string that equals a status but is not one, with the reason it stays a string.
_NOT_A_STATUS = {
    # TemplateCopyError's reasons (NO_BUCKET, REFUSED, FAILED): why a template copy failed, not a status.
    ("attachments/template_copies.py", "FAILED"),
}


def _status_values() -> set[str]:
    from enum import StrEnum

    from farmstead.domain import statuses
    enums = [value for value in vars(statuses).values()
             if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum]
    return {member.value for enum in enums for member in enum}


def test_no_status_is_spelled_as_a_quoted_string_outside_the_domain():
    """Status values are the StrEnums of domain/statuses.py (the model's, generated into protocol/shapes.py),
    and each set of them is named once where its rule lives: a quoted "READY" is a copy that drifts."""
    values = _status_values()
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(_VOCABULARY_HOMES):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values \
                    and (relative, node.value) not in _NOT_A_STATUS:
                offenders.append(f"{relative}:{node.lineno} {node.value!r}")
    assert offenders == []


def test_no_status_is_spelled_as_a_quoted_string_in_the_monitors_templates_and_scripts():
    """The pages compare with the enums the renderer gives them (`TaskRunStatus.FAILED`, web/rendering.py)."""
    values = _status_values()
    quoted = re.compile(r"""(["'])([A-Z][A-Z_]+)\1""")
    offenders = []
    for path in sorted([*(SRC / "web" / "templates").rglob("*.html"), *(SRC / "web" / "static").glob("*.js")]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            offenders += [f"{path.relative_to(SRC)}:{number} {m[2]!r}" for m in quoted.finditer(line) if m[2] in values]
    assert offenders == []


def test_the_status_literal_check_sees_quoted_statuses():
    """The check above is not vacuous: the literal it looks for, parsed, is what it catches."""
    values = _status_values()
    found = [node.value for node in ast.walk(ast.parse('if worker.status == "STARTED": x = {"READY": 1}'))
             if isinstance(node, ast.Constant) and node.value in values]
    assert found == ["STARTED", "READY"]
