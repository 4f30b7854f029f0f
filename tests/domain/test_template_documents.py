"""Template text read within bounds: nesting depth, values after YAML alias expansion, recursive aliases."""

from __future__ import annotations

import json
import time

import pytest

from farmstead.domain.template_documents import MAX_DEPTH, MAX_VALUES, DocumentError, load_document


def alias_bomb(levels: int = 9, fan_out: int = 10) -> str:
    """The billion-laughs shape: each anchor is a list of `fan_out` aliases of the one before
    (10^9 strings at 9 levels, in about 700 bytes)."""
    lines = ["specificationVersion: jobtemplate-2023-09", "name: bomb",
             "a0: &a0 [" + ", ".join(['"lol"'] * fan_out) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * fan_out) + "]")
    lines.append(f"steps: [{{name: s, script: {{actions: {{onRun: {{command: 'true', args: *a{levels}}}}}}}}}]")
    return "\n".join(lines) + "\n"


def nested_json(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def nested_yaml(depth: int) -> str:
    return "".join(" " * i + "a:\n" for i in range(depth - 1)) + " " * (depth - 1) + "a: 1\n"


def test_yaml_alias_bomb_is_refused_at_once_without_expanding_it():
    bomb = alias_bomb()
    assert len(bomb) < 800
    started = time.perf_counter()
    with pytest.raises(DocumentError, match="values once its YAML aliases are expanded"):
        load_document(bomb, "YAML")
    assert time.perf_counter() - started < 1.0


def test_aliases_within_the_bound_are_expanded_as_yaml_says():
    text = ("base: &env {name: env, script: {actions: {onEnter: {command: 'true'}}}}\n"
            "first: *env\nsecond: [*env, *env]\n")
    document = load_document(text, "YAML")
    expected = {"name": "env", "script": {"actions": {"onEnter": {"command": "true"}}}}
    assert document["first"] == document["second"][1] == expected


def test_expanded_values_are_counted_across_aliases_of_aliases():
    # 11 * 11 * 1,000 values through two levels of aliases: past the bound though each list is short.
    text = ("a: &a [" + ", ".join(["x"] * 1000) + "]\nb: &b [" + ", ".join(["*a"] * 11) + "]\n"
            "c: [" + ", ".join(["*b"] * 11) + "]\n")
    assert 11 * 11 * 1000 > MAX_VALUES
    with pytest.raises(DocumentError, match="values once"):
        load_document(text, "YAML")


def test_a_recursive_alias_is_refused():
    with pytest.raises(DocumentError, match="refers to itself"):
        load_document("a: &a [1, *a]\n", "YAML")


@pytest.mark.parametrize("document_type, text", [("JSON", nested_json), ("YAML", nested_yaml)])
def test_nesting_is_allowed_up_to_the_bound_and_refused_past_it(document_type, text):
    # The outermost mapping is the first level; scalars are no level.
    assert load_document(text(MAX_DEPTH), document_type)
    with pytest.raises(DocumentError, match=f"more than {MAX_DEPTH} levels"):
        load_document(text(MAX_DEPTH + 1), document_type)


@pytest.mark.parametrize("depth", [900, 1000, 5000, 100_000])
def test_json_nesting_far_past_the_recursion_limit_is_a_document_error(depth):
    for text in ("[" * depth + "]" * depth, '{"a": ' + "[" * depth + "]" * depth + "}", nested_json(depth)):
        with pytest.raises(DocumentError, match="levels"):
            load_document(text, "JSON")


def test_brackets_inside_json_strings_do_not_count_as_nesting():
    text = json.dumps({"name": "[" * 5000 + '\\"{' * 100, "steps": []})
    assert load_document(text, "JSON")["name"].startswith("[[[")


def test_json_with_more_values_than_the_bound_is_refused():
    with pytest.raises(DocumentError, match="more than"):
        load_document(json.dumps({"list": list(range(MAX_VALUES + 1))}), "JSON")


@pytest.mark.parametrize("document_type, text", [("JSON", "[1, 2]"), ("JSON", "{not json"), ("YAML", "- a\n"),
                                                 ("YAML", "a: [unclosed\n"), ("YAML", "")])
def test_what_is_not_a_mapping_is_a_document_error_naming_the_type(document_type, text):
    with pytest.raises(DocumentError, match=f"not a valid {document_type} document"):
        load_document(text, document_type)
