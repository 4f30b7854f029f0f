"""Hypothesis strategies that build valid operation inputs from the botocore service model.

Owns: turning shapes into strategies producing values as the server sees them after parsing
(uri/query/header members typed, JSON body members as decoded JSON), valid under every modelled
constraint. Reused by the validation property tests and, later, by fuzzing of the live server.
Must not: know any operation by name or talk to a server.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from botocore.model import OperationModel, Shape
from hypothesis import strategies as st

from farmstead.protocol.validation import compile_pattern

# Nesting (in shapes) past which optional members are left out and unions stop choosing members
# that lead back into a shape already being built; this is what ends recursive shapes.
MAX_DEPTH = 8
# Keep generated collections small: bounds like max=1000000 characters or 512 items are valid
# but make examples slow without exercising anything new.
_EXTRA_ITEMS = 3
_EXTRA_CHARS = 40

_NATIVE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_HEADER_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _upper(lo: int, hi: int | None, extra: int) -> int:
    return lo + extra if hi is None else min(hi, lo + extra)


def _string(shape: Shape) -> st.SearchStrategy:
    md = shape.metadata
    if md.get("enum"):
        return st.sampled_from(md["enum"])
    lo, hi = md.get("min", 0), md.get("max")
    if "pattern" in md:
        base = st.from_regex(compile_pattern(md["pattern"]), fullmatch=True)
        return base.filter(lambda s: lo <= len(s) and (hi is None or len(s) <= hi) and "\x00" not in s)
    # HTTP header values cannot carry arbitrary text (and lose surrounding blanks): keep them to
    # visible ASCII so the same values survive a trip through a real server.
    header = shape.serialization.get("location") == "header"
    # NUL is refused everywhere (validation.py), so valid values never carry it.
    alphabet = _HEADER_CHARS if header else st.characters(codec="utf-8", blacklist_characters="\x00")
    return st.text(alphabet, min_size=lo, max_size=_upper(lo, hi, _EXTRA_CHARS))


def _timestamp() -> st.SearchStrategy:
    moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1),
                           timezones=st.just(UTC))
    return st.one_of(
        moments,  # as parsed from a uri/query/header member
        moments.map(lambda d: d.isoformat().replace("+00:00", "Z")),  # iso8601 in JSON
        moments.map(lambda d: (d - _EPOCH).total_seconds()),  # epoch seconds in JSON
        moments.map(lambda d: int((d - _EPOCH).total_seconds())),
    )


def shape_strategy(shape: Shape, depth: int = 0, ancestors: frozenset[str] = frozenset()) -> st.SearchStrategy:
    """A strategy for valid values of `shape`."""
    kind, md = shape.type_name, shape.metadata
    if kind == "string":
        return _string(shape)
    if kind in _NATIVE:
        lo, hi = _NATIVE[kind]
        return st.integers(md.get("min", lo), md.get("max", hi))
    if kind in ("float", "double"):
        return st.floats(md.get("min"), md.get("max"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return _timestamp()
    if kind == "blob":
        return st.binary(max_size=_EXTRA_CHARS)
    inner = ancestors | {shape.name}
    deep = depth >= MAX_DEPTH
    if kind == "list":
        lo = md.get("min", 0)
        hi = lo if deep else _upper(lo, md.get("max"), _EXTRA_ITEMS)
        return st.lists(shape_strategy(shape.member, depth + 1, inner), min_size=lo, max_size=hi)
    if kind == "map":
        lo = md.get("min", 0)
        hi = lo if deep else _upper(lo, md.get("max"), _EXTRA_ITEMS)
        return st.dictionaries(shape_strategy(shape.key, depth + 1, inner),
                               shape_strategy(shape.value, depth + 1, inner), min_size=lo, max_size=hi)
    if kind != "structure":
        return st.none()
    members = shape.members
    if md.get("union"):
        names = list(members)
        if deep:  # past the budget, only members that do not lead back into a shape being built
            names = [n for n in names if members[n].name not in inner] or names
        return st.one_of([
            st.fixed_dictionaries({n: shape_strategy(members[n], depth + 1, inner)}) for n in names
        ])
    required = {n for n in shape.required_members if not members[n].metadata.get("idempotencyToken")}
    fixed = {n: shape_strategy(members[n], depth + 1, inner) for n in members if n in required}
    optional = {} if deep else {
        n: shape_strategy(members[n], depth + 1, inner) for n in members if n not in required
    }
    return st.fixed_dictionaries(fixed, optional=optional)


@functools.cache
def input_strategy(operation_model: OperationModel) -> st.SearchStrategy[dict]:
    """Valid inputs of an operation, as parsed from HTTP; `{}` for operations without input."""
    shape = operation_model.input_shape
    return st.just({}) if shape is None else shape_strategy(shape)
