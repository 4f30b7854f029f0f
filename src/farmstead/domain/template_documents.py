"""A submitted OpenJD template's text (JSON or YAML) read into a document, within bounds.

Owns: the limits that keep the work on one template proportional to its size, checked before
openjd-model (or anything else) walks the document:
- nesting depth (MAX_DEPTH): Python's json module and every recursive walk after it (openjd-model,
  copy.deepcopy, the serializers) fail with RecursionError somewhere below 1,000 levels;
- values once YAML aliases are expanded (MAX_VALUES): a few hundred bytes of anchors and aliases
  describe 10^8 strings, and validation would visit each. The count is taken on YAML's node graph,
  where an alias is the node it names, so it costs one visit per distinct node and no expansion;
- recursive aliases (`&a [*a]`), which no template needs and no walk survives.
Must not: check OpenJD rules (openjd-model does), touch storage or HTTP.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

#: Levels of mappings and lists. An OpenJD template needs about ten (steps → script → actions →
#: onRun → args); 64 leaves room and stays far from any recursion limit.
MAX_DEPTH = 64
#: Mappings, lists and scalars in the document once aliases are expanded. Planning costs about
#: 12 us per value (openjd-model), so this bounds a template's validation to about a second; real
#: templates have hundreds, and OpenJD caps its long lists (task parameter ranges) at 1,024 items.
MAX_VALUES = 100_000

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A JSON string (escapes included) or one bracket: the scanner below skips the brackets inside strings.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class DocumentError(ValueError):
    """The text is not a document of its declared type, or is outside the bounds above; str() says which."""


def load_document(text: str, document_type: str) -> dict[str, Any]:
    """The template text as a mapping, after the bounds above are checked."""
    if document_type == "JSON":
        return _load_json(text)
    if document_type == "YAML":
        return _load_yaml(text)
    raise DocumentError(f"templateType must be JSON or YAML, not {document_type!r}.")


def _not_a_document(document_type: str) -> DocumentError:
    return DocumentError(f"The document is not a valid {document_type} document consisting of key-value pairs.")


def _too_deep() -> DocumentError:
    return DocumentError(f"The template nests more than {MAX_DEPTH} levels of mappings and lists.")


def _too_many() -> DocumentError:
    return DocumentError(f"The template has more than {MAX_VALUES:,} values once its YAML aliases are expanded.")


# ----- JSON -----

def _load_json(text: str) -> dict[str, Any]:
    # json.loads recurses once per level: measure the depth on the text before it parses anything,
    # unless the text has too few brackets to be that deep (most templates: the scan costs ~45 ms
    # per MB of text, str.count well under 1 ms).
    if text.count("[") + text.count("{") > MAX_DEPTH:
        depth = 0
        for token in _JSON_TOKENS.finditer(text):
            bracket = token.group()
            if bracket in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep()
            elif bracket in "]}":
                depth -= 1
    try:
        document = json.loads(text)
    except ValueError:
        raise _not_a_document("JSON") from None
    if not isinstance(document, dict):
        raise _not_a_document("JSON")
    if len(text) > MAX_VALUES:  # every value takes a character at least
        _count_values(document)
    return document


def _count_values(document: Any) -> None:
    """MAX_VALUES for a parsed JSON document (no aliases: every value is distinct)."""
    count = 0
    pending = [document]
    while pending:
        value = pending.pop()
        count += 1
        if count > MAX_VALUES:
            raise _too_many()
        if isinstance(value, dict):
            pending.extend(value.values())
            count += len(value)  # the keys
        elif isinstance(value, list):
            pending.extend(value)


# ----- YAML -----

def _load_yaml(text: str) -> dict[str, Any]:
    loader = _LOADER(text)
    try:
        try:
            node = loader.get_single_node()  # libyaml stops at 1,000 levels; the constructor below is iterative
        except yaml.YAMLError:
            raise _not_a_document("YAML") from None
        except RecursionError:  # the pure-Python composer, when PyYAML was built without libyaml
            raise _too_deep() from None
        if node is None or not isinstance(node, yaml.MappingNode):
            raise _not_a_document("YAML")
        _check_node_graph(node)
        try:
            document = loader.construct_document(node)
        except yaml.YAMLError:
            raise _not_a_document("YAML") from None
    finally:
        loader.dispose()
    if not isinstance(document, dict):
        raise _not_a_document("YAML")
    return document


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_node_graph(root: yaml.Node) -> None:
    """MAX_DEPTH, MAX_VALUES and no recursive alias, over the composed node graph.

    An iterative post-order walk: each distinct node is visited once and remembers its expanded
    size and height, so a node reached again through an alias adds its size without a second walk.
    A node still open when reached again is its own ancestor: a recursive alias."""
    done: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded values, height)
    open_nodes: set[int] = set()
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:
        node, children_done = pending.pop()
        key = id(node)
        if not children_done:
            if key in done:
                continue
            if key in open_nodes:
                raise DocumentError("The template has a YAML alias that refers to itself.")
            open_nodes.add(key)
            pending.append((node, True))
            pending.extend((child, False) for child in _children(node) if id(child) not in done)
            continue
        # Height counts mappings and lists only, as the JSON scan does.
        size, height = 1, 0 if isinstance(node, yaml.ScalarNode) else 1
        for child in _children(node):
            child_size, child_height = done[id(child)]
            size += child_size
            height = max(height, child_height + 1)
        if height > MAX_DEPTH:
            raise _too_deep()
        if size > MAX_VALUES:
            raise _too_many()
        open_nodes.discard(key)
        done[key] = (size, height)
