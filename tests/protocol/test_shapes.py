"""protocol/shapes.py is exactly what tools/gen_shapes.py makes of the installed botocore's model, so a
botocore upgrade that changes the model shows up as a diff (regenerate with `python tools/gen_shapes.py`)."""

from __future__ import annotations

import importlib.util
import typing
from enum import StrEnum
from pathlib import Path

import botocore.session

from farmstead.protocol import shapes

GENERATOR = Path(__file__).resolve().parents[2] / "tools" / "gen_shapes.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_shapes", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_module_is_what_the_installed_model_generates():
    generator = _generator()
    assert generator.TARGET.read_text() == generator.render(), (
        "src/farmstead/protocol/shapes.py is stale: run `python tools/gen_shapes.py` and review the diff")


def test_the_module_says_it_is_generated():
    assert GENERATOR.parent.parent.joinpath("src/farmstead/protocol/shapes.py").read_text().startswith(
        "# Generated from botocore deadline 2023-10-12 by tools/gen_shapes.py. DO NOT EDIT.\n")


def test_every_operation_has_its_request_and_response_types():
    model = botocore.session.get_session().get_service_model("deadline")
    for name in model.operation_names:
        operation = model.operation_model(name)
        for shape in (operation.input_shape, operation.output_shape):
            assert typing.is_typeddict(getattr(shapes, shape.name)), shape.name


def test_every_model_enum_is_a_str_enum_with_the_model_values_in_order():
    model = botocore.session.get_session().get_service_model("deadline")
    enums = {name: model.shape_for(name).enum for name in model.shape_names
             if getattr(model.shape_for(name), "enum", None)}
    generated = {name: value for name, value in vars(shapes).items()
                 if isinstance(value, type) and issubclass(value, StrEnum) and value.__module__ == shapes.__name__}
    assert {name: [member.value for member in enum] for name, enum in generated.items()} == enums


def test_required_members_are_required_and_the_others_not():
    assert shapes.GetJobRequest.__required_keys__ == {"farmId", "queueId", "jobId"}
    assert {"jobId", "name", "lifecycleStatus", "priority"} <= shapes.GetJobResponse.__required_keys__
    assert "taskRunStatus" in shapes.GetJobResponse.__optional_keys__
    # clientToken is required by no caller: SDKs fill it in, and validation never demands it.
    assert "clientToken" in shapes.CreateFarmRequest.__optional_keys__


def test_enum_members_are_strings_naming_their_enum():
    hints = typing.get_type_hints(shapes.GetJobResponse, include_extras=True)
    assert hints["lifecycleStatus"] == typing.Annotated[str, shapes.JobLifecycleStatus]


def test_a_union_is_one_key_typed_dicts_one_per_member():
    members = typing.get_args(shapes.SessionActionDefinition)
    assert [m.__required_keys__ for m in members] == [
        frozenset({"envEnter"}), frozenset({"envExit"}), frozenset({"taskRun"}), frozenset({"syncInputJobAttachments"})]
