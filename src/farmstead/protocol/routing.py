"""Routing: (method, raw path) -> (operation, URI labels), compiled from every operation's `requestUri`.

Owns: matching request paths to operations. The host (and botocore's `management.`/`scheduling.`
prefixes) plays no part. Must not: parse bodies or know any operation by name.

The deadline model has no routing ambiguity, so a segment trie with one label child per node is enough;
a literal segment always wins over a label, as in every REST router.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from farmstead.protocol.model import OperationInfo, operations


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    label: tuple[str, _Node] | None = None
    by_method: dict[str, OperationInfo] = field(default_factory=dict)


class RouteNotFound(Exception):
    """No operation has this path (404)."""


class MethodNotAllowed(Exception):
    """The path exists but not with this method (405)."""


class Router:
    def __init__(self, ops: dict[str, OperationInfo]) -> None:
        self._root = _Node()
        for info in ops.values():
            self._add(info)

    def _add(self, info: OperationInfo) -> None:
        path = info.uri_template.split("?", 1)[0]
        node = self._root
        for segment in _segments(path):
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1].rstrip("+")
                if node.label is None:
                    node.label = (name, _Node())
                elif node.label[0] != name:
                    raise ValueError(f"ambiguous label at {info.uri_template}")
                node = node.label[1]
            else:
                node = node.literals.setdefault(segment, _Node())
        if info.method in node.by_method:
            raise ValueError(f"two operations on {info.method} {path}")
        node.by_method[info.method] = info

    def match(self, method: str, raw_path: str) -> tuple[OperationInfo, dict[str, str]]:
        """Match a still percent-encoded path, so an encoded '/' inside a label (an ARN) stays in it."""
        labels: dict[str, str] = {}
        node = self._root
        for segment in _segments(raw_path):
            child = node.literals.get(segment)
            # An empty label still routes, so validation can say what is wrong with it.
            if child is None and node.label is not None:
                name, child = node.label
                labels[name] = unquote(segment)
            if child is None:
                raise RouteNotFound(raw_path)
            node = child
        if not node.by_method:
            raise RouteNotFound(raw_path)
        info = node.by_method.get(method)
        if info is None:
            raise MethodNotAllowed(method)
        return info, labels


def _segments(path: str) -> list[str]:
    # Only the leading slash goes: a trailing one is an empty last label (`/tags/` with an empty ARN).
    return path[1:].split("/") if path.startswith("/") else path.split("/")


_router: Router | None = None


def router() -> Router:
    global _router
    if _router is None:
        _router = Router(operations())
    return _router
