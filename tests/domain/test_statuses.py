"""The status enums match the botocore `deadline` model exactly: names, members and order; and they are
the generated ones (protocol/shapes.py), so there is one class per vocabulary.

The only place domain tests import botocore: the domain itself must stay pure.
"""

from __future__ import annotations

import inspect
from enum import StrEnum

import botocore.session
import pytest

from farmstead.domain import statuses
from farmstead.protocol import shapes

ENUMS = sorted(
    (obj for _, obj in inspect.getmembers(statuses, inspect.isclass) if issubclass(obj, StrEnum)),
    key=lambda cls: cls.__name__,
)

# The status shapes the job, task, session and worker rules must speak; dropping one of these
# classes from statuses.py would silently shrink ENUMS, so they are listed by name.
REQUIRED = {
    "TaskRunStatus", "JobLifecycleStatus", "StepLifecycleStatus", "JobTargetTaskRunStatus",
    "StepTargetTaskRunStatus", "TaskTargetRunStatus", "CreateJobTargetTaskRunStatus",
    "SessionActionStatus", "CompletedStatus", "SessionLifecycleStatus", "WorkerStatus",
    "UpdatedWorkerStatus", "DesiredWorkerStatus", "UpdateJobLifecycleStatus",
    "DependencyConsumerResolutionStatus", "SessionLifecycleTargetStatus", "QueueFleetAssociationStatus",
    "QueueLimitAssociationStatus", "FleetStatus", "QueueStatus", "BudgetStatus", "LicenseEndpointStatus",
    "SessionsStatisticsAggregationStatus",
}


@pytest.fixture(scope="module")
def model():
    return botocore.session.get_session().get_service_model("deadline")


def test_required_enums_exist():
    assert REQUIRED <= {cls.__name__ for cls in ENUMS}


@pytest.mark.parametrize("enum", ENUMS, ids=lambda cls: cls.__name__)
def test_enum_equals_the_model_shape_of_the_same_name(model, enum):
    assert [member.value for member in enum] == model.shape_for(enum.__name__).enum


@pytest.mark.parametrize("enum", ENUMS, ids=lambda cls: cls.__name__)
def test_enum_is_the_generated_class_of_the_same_name_not_a_second_spelling(enum):
    assert getattr(statuses, enum.__name__) is getattr(shapes, enum.__name__)


@pytest.mark.parametrize("enum", ENUMS, ids=lambda cls: cls.__name__)
def test_member_names_are_their_values(enum):
    assert all(member.name == member.value for member in enum)


def test_members_compare_equal_to_the_wire_strings():
    assert statuses.TaskRunStatus.READY == "READY"
    assert statuses.TaskRunStatus("NOT_COMPATIBLE") is statuses.TaskRunStatus.NOT_COMPATIBLE
    assert {"SUCCEEDED": 1}[statuses.TaskRunStatus.SUCCEEDED] == 1


def test_targets_are_task_run_statuses():
    for enum in (statuses.JobTargetTaskRunStatus, statuses.StepTargetTaskRunStatus,
                 statuses.TaskTargetRunStatus, statuses.CreateJobTargetTaskRunStatus):
        assert all(statuses.TaskRunStatus(member) for member in enum)

