"""Routing covers every operation of the model, by method and path, whatever the host."""

from __future__ import annotations

import re

import pytest

from farmstead.protocol.model import operations
from farmstead.protocol.routing import MethodNotAllowed, RouteNotFound, router


def _example_path(template: str) -> tuple[str, dict[str, str]]:
    labels = {}

    def fill(match):
        name = match.group(1).rstrip("+")
        labels[name] = f"value-of-{name}"
        return labels[name]

    return re.sub(r"\{([^}]+)\}", fill, template.split("?")[0]), labels


def test_model_has_all_127_operations():
    assert len(operations()) == 127


@pytest.mark.parametrize("name", sorted(operations()))
def test_every_operation_routes_to_itself(name):
    info = operations()[name]
    path, labels = _example_path(info.uri_template)
    matched, got = router().match(info.method, path)
    assert matched.name == name
    assert got == labels


def test_encoded_slashes_stay_inside_a_label():
    info, labels = router().match("GET", "/2023-10-12/tags/arn%3Aaws%3Adeadline%3Aus-west-2%3A0%3Afarm%2Ffarm-1")
    assert info.name == "ListTagsForResource"
    assert labels == {"resourceArn": "arn:aws:deadline:us-west-2:0:farm/farm-1"}


def test_unknown_path_and_wrong_method_are_told_apart():
    with pytest.raises(RouteNotFound):
        router().match("GET", "/2023-10-12/nothing-here")
    with pytest.raises(MethodNotAllowed):
        router().match("PUT", "/2023-10-12/farms/farm-1")
