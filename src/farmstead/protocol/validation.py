"""Validation of an operation's input against the constraints of the botocore service model.

Owns: judging a parsed input dict (uri/query/header members already typed, JSON body members
still raw decoded JSON) against its input shape: JSON types, required and unknown members,
length/range bounds, patterns, enums and unions, reporting every violation as a FieldError.
Must not: do HTTP, touch SQL or storage, coerce or default values, or know any operation by
name; every rule comes from shape metadata.

Patterns: the model's regexes are written for Java/ECMA engines. We apply them as a FULL match
(anchored at both ends), deliberately stricter than Java's find()-style reading, so that e.g.
"xfarm-<32 hex>" is not accepted as a farm id. `translate_pattern` rewrites the few constructs
whose meaning differs in Python's `re`; anything it cannot translate raises at compile time.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

MAX_ERRORS = 50
# Only recursive shapes (search filter groups) can nest without bound; cap the walk so a
# hostile body cannot exhaust the interpreter stack.
MAX_DEPTH = 64

# Smithy's integer/long are 32/64-bit; without a modelled bound these are the implicit ones,
# so nothing downstream (SQL columns, arithmetic) sees an unrepresentable number.
_NATIVE_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


@dataclass(frozen=True)
class FieldError:
    name: str  # "priority", "attachments.manifests[0].rootPath", "tags[key]", "parameters[frame].int"
    message: str


class _Full(Exception):
    """Raised once MAX_ERRORS are collected: further walking would only produce noise."""


def _add(errs: list[FieldError], name: str, message: str) -> None:
    errs.append(FieldError(name, message))
    if len(errs) >= MAX_ERRORS:
        raise _Full


# --- patterns -----------------------------------------------------------------------------

# Java's `.` excludes every line terminator, Python's only "\n".
_JAVA_DOT = "[^\\n\\r\\x85\\u2028\\u2029]"
# Java's POSIX \p{...} classes (ASCII-only by default); Python has no \p at all.
_POSIX = {"Lower": "a-z", "Upper": "A-Z", "Alpha": "a-zA-Z", "Digit": "0-9", "Alnum": "a-zA-Z0-9",
          "XDigit": "0-9a-fA-F", "Space": " \\t\\n\\x0b\\f\\r", "Punct": "!-/:-@\\[-`{-~"}


@functools.cache
def _unicode_category(name: str) -> str | None:
    """A general category (`L`, `Lu`, `N`, `Z`, ...) as class ranges, or None if `name` is not one.

    Built once per category on first use (a scan of every code point, ~0.4 s): only models that
    use categories pay for it. Ranges are explicit code points, so re.ASCII does not narrow them.
    """
    if not (1 <= len(name) <= 2 and name[0] in "LMNPSZC" and name.isalpha()):
        return None
    import sys
    import unicodedata

    ranges: list[str] = []
    start = None
    for cp in range(sys.maxunicode + 2):  # one past the end closes a trailing run
        inside = cp <= sys.maxunicode and unicodedata.category(chr(cp)).startswith(name)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            last = cp - 1
            ranges.append(f"\\U{start:08x}" if start == last else f"\\U{start:08x}-\\U{last:08x}")
            start = None
    return "".join(ranges) or None


def translate_pattern(pattern: str) -> str:
    """Rewrite a Java/ECMA regex into an equivalent Python one (to be compiled with re.ASCII).

    Unicode general categories (\\p{L}, \\p{N}, \\p{Z}, \\p{Lu}, ...; the CloudWatch Logs model uses them
    for tags) become explicit code point ranges. Constructs Python lacks and that are not translated
    here (\\Q..\\E, (?<name>..), \\h, negated categories inside a class) make re.compile raise, so a
    new model cannot slip through unnoticed.
    """
    out: list[str] = []
    i, n, in_class, opened = 0, len(pattern), False, 0
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1:i + 2]
            if nxt in ("p", "P") and pattern[i + 2:i + 3] == "{":
                end = pattern.index("}", i)
                name = pattern[i + 3:end]
                body = _POSIX.get(name) or _unicode_category(name)
                if body is None or (in_class and nxt == "P"):
                    raise ValueError(f"unsupported character class \\{nxt}{{{name}}} in {pattern!r}")
                out.append(body if in_class else f"[{'^' if nxt == 'P' else ''}{body}]")
                i = end + 1
                continue
            if not in_class and nxt == "z":
                out.append("\\Z")
            elif not in_class and nxt == "Z":  # Java: end, or before a final line terminator
                out.append("(?=\\n?\\Z)")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "[":  # Java nests/unions classes here; Python would read a literal "["
                raise ValueError(f"nested character class in {pattern!r}")
            # a "]" first in the class (after "[" or "[^") is a literal, in both dialects
            if c == "]" and i > opened + (2 if pattern[opened + 1] == "^" else 1):
                in_class = False
        elif c == "[":
            in_class, opened = True, i
        elif c == ".":
            c = _JAVA_DOT
        out.append(c)
        i += 1
    return "".join(out)


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The model pattern as a Python regex; use with .fullmatch(). Cached per pattern string."""
    # re.ASCII: Java's \w \d \s \b are ASCII-only. FutureWarnings flag Java set syntax
    # (&&, --, [[:x:]]) that Python would silently read differently, so make them errors.
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        return re.compile(translate_pattern(pattern), re.ASCII)


# --- compiled shape tree ------------------------------------------------------------------
# Each shape compiles once into a small node holding only what the walk needs; the walk then
# never touches botocore objects. Nodes follow the value, so recursive shapes cost nothing extra.

class _Node:
    __slots__ = ()

    def check(self, v: Any, path: str, errs: list[FieldError], depth: int) -> None:
        raise NotImplementedError


def _bounds(errs: list[FieldError], path: str, size: float, lo: float | None, hi: float | None, what: str,
            subject: str = "Member") -> None:
    # `not (lo <= size)` rather than `size < lo`, so NaN fails a bounded range.
    if lo is not None and not lo <= size:
        _add(errs, path, f"{subject} must have {what} greater than or equal to {lo}")
    if hi is not None and not size <= hi:
        _add(errs, path, f"{subject} must have {what} less than or equal to {hi}")


class _String(_Node):
    __slots__ = ("lo", "hi", "source", "regex", "enum", "enum_text")

    def __init__(self, md: dict[str, Any]) -> None:
        self.lo, self.hi = md.get("min"), md.get("max")
        self.source = md.get("pattern")
        self.regex = compile_pattern(self.source) if self.source is not None else None
        self.enum = frozenset(md.get("enum", ()))
        self.enum_text = "[" + ", ".join(md.get("enum", ())) + "]"

    def check(self, v: Any, path: str, errs: list[FieldError], depth: int, subject: str = "Member") -> None:
        if not isinstance(v, str):
            _add(errs, path, "Expected string")
            return
        if "\x00" in v:
            # No store keeps it (PostgreSQL text refuses NUL), so no store is asked to: same answer on both.
            _add(errs, path, f"{subject} must not contain the NUL character")
        if self.lo is not None or self.hi is not None:
            _bounds(errs, path, len(v), self.lo, self.hi, "length", subject)
        if self.regex is not None and self.regex.fullmatch(v) is None:
            _add(errs, path, f"{subject} must satisfy regular expression pattern: {self.source}")
        if self.enum and v not in self.enum:
            _add(errs, path, f"{subject} must satisfy enum value set: {self.enum_text}")


class _Number(_Node):
    __slots__ = ("integral", "lo", "hi", "expected")

    def __init__(self, kind: str, md: dict[str, Any]) -> None:
        self.integral = kind in _NATIVE_RANGE
        native = _NATIVE_RANGE.get(kind, (None, None))
        self.lo, self.hi = md.get("min", native[0]), md.get("max", native[1])
        self.expected = "Expected integer" if self.integral else "Expected number"

    def check(self, v: Any, path: str, errs: list[FieldError], depth: int) -> None:
        # bool is an int subclass in Python, but JSON true is never a number.
        if isinstance(v, bool) or not isinstance(v, int if self.integral else (int, float)):
            _add(errs, path, self.expected)
        else:
            _bounds(errs, path, v, self.lo, self.hi, "value")


class _Scalar(_Node):
    """A type check only: booleans, blobs, and (as `object`) documents or future shape types."""

    __slots__ = ("types", "expected")

    def __init__(self, types: type | tuple[type, ...], expected: str) -> None:
        self.types, self.expected = types, expected

    def check(self, v: Any, path: str, errs: list[FieldError], depth: int) -> None:
        if not isinstance(v, self.types):
            _add(errs, path, self.expected)


class _Timestamp(_Node):
    __slots__ = ()

    def check(self, v: Any, path: str, errs: list[FieldError], depth: int) -> None:
        if isinstance(v, datetime):
            return
        try:  # accept exactly what the parser can later turn into a datetime
            if isinstance(v, str):
                datetime.fromisoformat(v)
                return
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                datetime.fromtimestamp(v, tz=UTC)
                return
        except (ValueError, OverflowError, OSError):
            pass
        _add(errs, path, "Expected timestamp")


class _List(_Node):
    __slots__ = ("lo", "hi", "member")
    lo: int | None
    hi: int | None
    member: _Node

    def check(self, v: Any, path: str, errs: list[FieldError], depth: int) -> None:
        if not isinstance(v, list):
            _add(errs, path, "Expected list")
            return
        _bounds(errs, path, len(v), self.lo, self.hi, "length")
        member = self.member
        for i, item in enumerate(v):
            member.check(item, f"{path}[{i}]", errs, depth + 1)


class _Map(_Node):
    __slots__ = ("lo", "hi", "key", "value")
    lo: int | None
    hi: int | None
    key: _Node
    value: _Node

    def check(self, v: Any, path: str, errs: list[FieldError], depth: int) -> None:
        if not isinstance(v, dict):
            _add(errs, path, "Expected map")
            return
        _bounds(errs, path, len(v), self.lo, self.hi, "length")
        key, value = self.key, self.value
        for k, item in v.items():
            item_path = f"{path}[{k}]"
            if not isinstance(k, str):
                _add(errs, item_path, "Map key must be a string")
            elif isinstance(key, _String):
                key.check(k, item_path, errs, depth, subject="Map key")
            value.check(item, item_path, errs, depth + 1)


class _Struct(_Node):
    __slots__ = ("members", "required", "union")
    members: dict[str, _Node]
    required: tuple[str, ...]
    union: bool

    def check(self, v: Any, path: str, errs: list[FieldError], depth: int) -> None:
        if not isinstance(v, dict):
            _add(errs, path, "Expected structure")
            return
        if depth > MAX_DEPTH:
            _add(errs, path, "Maximum nesting depth exceeded")
            return
        prefix = f"{path}." if path else ""
        members = self.members
        present: list[tuple[str, _Node, Any]] = []
        for name, item in v.items():
            node = members.get(name)
            if node is None:
                _add(errs, f"{prefix}{name}", "Unknown member")
            elif item is not None:  # JSON null is treated as absent
                present.append((name, node, item))
        if self.union and len(present) != 1:
            _add(errs, path, "Union must have exactly one member set")
            return
        for name in self.required:
            if v.get(name) is None:
                _add(errs, f"{prefix}{name}", "Missing required member")
        for name, node, item in present:
            node.check(item, f"{prefix}{name}", errs, depth + 1)


_SCALARS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "boolean": (bool, "Expected boolean"), "blob": ((str, bytes), "Expected blob")}


def _compile(shape: Shape, memo: dict[tuple[str, str], _Node]) -> _Node:
    kind, md = shape.type_name, shape.metadata
    if kind == "string":
        return _String(md)
    if kind in ("integer", "long", "float", "double"):
        return _Number(kind, md)
    if kind == "timestamp":
        return _Timestamp()
    if kind in _SCALARS:
        return _Scalar(*_SCALARS[kind])
    if kind not in ("structure", "list", "map") or md.get("document"):
        return _Scalar((object,), "")
    # Containers are memoised by name (+ metadata, which member references may extend) before
    # their children compile, which is what ties the knot for recursive shapes.
    key = (shape.name, repr(md))
    if key in memo:
        return memo[key]
    node: _Struct | _List | _Map
    if isinstance(shape, StructureShape):
        node = memo[key] = _Struct()
        node.union = bool(md.get("union"))
        node.members = {name: _compile(m, memo) for name, m in shape.members.items()}
        # Idempotency tokens are filled in by SDKs when omitted; never demand one of a caller.
        node.required = tuple(r for r in shape.required_members
                              if not shape.members[r].metadata.get("idempotencyToken"))
    elif isinstance(shape, ListShape):
        node = memo[key] = _List()
        node.lo, node.hi = md.get("min"), md.get("max")
        node.member = _compile(shape.member, memo)
    elif isinstance(shape, MapShape):
        node = memo[key] = _Map()
        node.lo, node.hi = md.get("min"), md.get("max")
        node.key = _compile(shape.key, memo)
        node.value = _compile(shape.value, memo)
    else:  # botocore builds each container type as its own Shape class
        raise TypeError(f"shape {shape.name} is a {kind} but a {type(shape).__name__}")
    return node


# Keyed by the shape object (botocore caches an operation's input_shape), so a shape from
# another model can never be answered with this one's plan, and plans die with their model.
_PLANS: weakref.WeakKeyDictionary[Shape, _Node] = weakref.WeakKeyDictionary()


def validate(shape: StructureShape, value: dict[str, Any]) -> list[FieldError]:
    """Every constraint violation of `value` against `shape`, at most MAX_ERRORS; [] if valid."""
    node = _PLANS.get(shape)
    if node is None:
        node = _PLANS[shape] = _compile(shape, {})
    errs: list[FieldError] = []
    try:
        node.check(value, "", errs, 0)
    except _Full:
        pass
    return errs
