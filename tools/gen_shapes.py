"""Writes src/farmstead/protocol/shapes.py from the installed botocore's `deadline` model.

    python tools/gen_shapes.py          # (re)write the module
    python tools/gen_shapes.py --check  # exit 1 if the module differs from what the model makes

Every structure an operation takes or answers (reached from its input, output and error shapes) becomes a
TypedDict whose keys are Required or NotRequired as the model's `required` list says; every enum
becomes a StrEnum. tests/protocol/test_shapes.py regenerates the module and compares, so a botocore
upgrade that changes the model shows up as a diff to review, not as a surprise at run time.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from pathlib import Path

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StringShape, StructureShape

SERVICE = "deadline"
API_VERSION = "2023-10-12"
TARGET = Path(__file__).resolve().parents[1] / "src" / "farmstead" / "protocol" / "shapes.py"
MARKER = f"# Generated from botocore {SERVICE} {API_VERSION} by tools/gen_shapes.py. DO NOT EDIT."

_SCALARS = {"string": "str", "integer": "int", "long": "int", "float": "float", "double": "float",
            "boolean": "bool", "timestamp": "datetime", "blob": "bytes"}

DOCSTRING = '''"""The `deadline` model's shapes as types: a TypedDict per structure, a StrEnum per enum.

Owns nothing at run time: handlers name these in their signatures
(`def get_job(ctx: Context, params: GetJobRequest) -> GetJobResponse`) so that mypy holds the dicts
they take and return to the model. A member the model lists as required is Required (except
idempotency tokens, which SDKs fill in and validation never demands); every other member is
NotRequired. Timestamps are `datetime` (parsing turns them into datetimes before a handler runs),
documents `Any`, and a union (exactly one member set) is a union of one-key TypedDicts named
`<Union>_<member>`.

Enum-typed members are `Annotated[str, <Enum>]`: to mypy a plain `str`, with the enum named beside
it. Both sides of a handler are honest that way: parsed input is the plain string the client sent
(validation made sure it is one of the enum's values; nothing converts it), and an answer may hold a
member of the same StrEnum (a `str`) or a string read from the store. Typing those members as the
StrEnum would claim a conversion that never happens, and as a Literal would refuse StrEnum members.

The StrEnums here are the model's vocabulary: domain/statuses.py re-exports the ones its rules speak
(this module imports only the standard library, so the domain stays pure) rather than spelling them
again.
"""'''


_WIDTH = 120  # the project's line length (ruff)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _enum_member(value: str) -> str:
    name = re.sub(r"\W", "_", value)
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        name = "V_" + name
    return name


class _Writer:
    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.enums: dict[str, list[str]] = {}
        self.structures: dict[str, StructureShape] = {}
        self.union_members: dict[str, tuple[str, str, str]] = {}  # class name -> (union, member, member type)

    def collect(self) -> None:
        seen: set[str] = set()
        for name in self.model.operation_names:
            op = self.model.operation_model(name)
            for shape in (op.input_shape, op.output_shape, *op.error_shapes):
                if shape is not None:
                    self._walk(shape, seen)

    def _walk(self, shape: Shape, seen: set[str]) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        if isinstance(shape, StringShape) and shape.enum:
            self.enums[shape.name] = list(shape.enum)
        elif isinstance(shape, StructureShape) and not shape.metadata.get("document"):
            self.structures[shape.name] = shape
            for member in shape.members.values():
                self._walk(member, seen)
        elif isinstance(shape, ListShape):
            self._walk(shape.member, seen)
        elif isinstance(shape, MapShape):
            self._walk(shape.key, seen)
            self._walk(shape.value, seen)

    def type_of(self, shape: Shape) -> str:
        if isinstance(shape, StringShape) and shape.enum:
            return f"Annotated[str, {shape.name}]"
        if isinstance(shape, StructureShape):
            # Quoted: structures refer to each other in any order, and recursively (search filters).
            return "Any" if shape.metadata.get("document") else f'"{shape.name}"'
        if isinstance(shape, ListShape):
            return f"list[{self.type_of(shape.member)}]"
        if isinstance(shape, MapShape):
            return f"dict[{self.type_of(shape.key)}, {self.type_of(shape.value)}]"
        if shape.type_name in _SCALARS:
            return _SCALARS[shape.type_name]
        raise ValueError(f"shape {shape.name} has type {shape.type_name}, which this generator does not know")

    def render(self) -> str:
        self.collect()
        names = set(self.enums) | set(self.structures)
        # No `from __future__ import annotations`: TypedDict reads Required/NotRequired off the evaluated
        # annotations, so without it `__required_keys__` would claim every key is required.
        out = [MARKER, DOCSTRING, "", "from datetime import datetime", "from enum import StrEnum",
               "from typing import Annotated, Any, NotRequired, TypeAlias, TypedDict", ""]
        out.append("# --- enums " + "-" * 100)
        for name in sorted(self.enums):
            out += ["", "", f"class {name}(StrEnum):"]
            members = [(_enum_member(value), value) for value in self.enums[name]]
            if len({member for member, _ in members}) != len(members):
                raise ValueError(f"enum {name}: two values make the same member name")
            out += [f"    {member} = {_quoted(value)}" for member, value in members]
        out += ["", "", "# --- structures " + "-" * 95]
        unions: list[str] = []
        for name in sorted(self.structures):
            shape = self.structures[name]
            if shape.metadata.get("union"):
                unions.append(name)
                for member_name, member in shape.members.items():
                    class_name = f"{name}_{member_name}"
                    if class_name in names:
                        raise ValueError(f"union member class {class_name} would hide a shape of the same name")
                    names.add(class_name)
                    out += ["", "", *self._typed_dict(class_name, [(member_name, self.type_of(member), True)])]
                continue
            required = {r for r in shape.required_members if not shape.members[r].metadata.get("idempotencyToken")}
            fields = [(member_name, self.type_of(member), member_name in required)
                      for member_name, member in shape.members.items()]
            out += ["", "", *self._typed_dict(name, fields)]
        out += ["", "", "# --- unions: exactly one member is set " + "-" * 73, ""]
        for name in unions:
            shape = self.structures[name]
            options = [f"{name}_{member}" for member in shape.members]
            line = f"{name}: TypeAlias = {' | '.join(options)}"
            if len(line) <= _WIDTH:
                out.append(line)
            else:
                out += [f"{name}: TypeAlias = (", f"    {options[0]}", *(f"    | {o}" for o in options[1:]), ")"]
        return "\n".join(out) + "\n"

    @staticmethod
    def _typed_dict(name: str, fields: list[tuple[str, str, bool]]) -> list[str]:
        if all(field.isidentifier() and not keyword.iskeyword(field) for field, _, _ in fields):
            lines = [f"class {name}(TypedDict):"]
            lines += [f"    {field}: {kind if required else f'NotRequired[{kind}]'}"
                      for field, kind, required in fields]
            return lines if fields else lines + ["    pass"]
        # A member named like a keyword: only the functional form can spell it (annotations quoted).
        items = ", ".join(f"{field!r}: {kind if required else f'NotRequired[{kind}]'!r}"
                          for field, kind, required in fields)
        return [f"{name} = TypedDict({name!r}, {{{items}}})"]


def render() -> str:
    model = botocore.session.get_session().get_service_model(SERVICE, API_VERSION)
    return _Writer(model).render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if shapes.py is not what the model makes")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if TARGET.read_text() != text:
            print(f"{TARGET} differs from the installed botocore's model: run python tools/gen_shapes.py")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
