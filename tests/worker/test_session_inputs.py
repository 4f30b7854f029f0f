"""What a session is built from: parameters, path mapping, environment, and who runs it."""

from pathlib import PurePosixPath, PureWindowsPath

import pytest
from openjd.model import ParameterValue, ParameterValueType
from openjd.sessions import PathFormat

from farmstead.worker import session_inputs
from farmstead.worker.session_inputs import RunAs, SetupError, run_as


def test_parameter_values_carry_their_types():
    values = session_inputs.parameter_values({"Frame": {"int": "3"}, "Scene": {"path": "/s.blend"},
                                              "Scale": {"float": "0.5"}, "Name": {"string": "x"},
                                              "Chunk": {"chunkInt": "1-5"}})
    assert values == {"Frame": ParameterValue(type=ParameterValueType.INT, value="3"),
                      "Scene": ParameterValue(type=ParameterValueType.PATH, value="/s.blend"),
                      "Scale": ParameterValue(type=ParameterValueType.FLOAT, value="0.5"),
                      "Name": ParameterValue(type=ParameterValueType.STRING, value="x"),
                      "Chunk": ParameterValue(type=ParameterValueType.CHUNK_INT, value="1-5")}
    assert session_inputs.parameter_values(None) == {}


def test_unknown_parameter_types_fail_the_session():
    with pytest.raises(SetupError):
        session_inputs.parameter_values({"X": {"bool": "true"}})


def test_path_mapping_rules_from_job_details():
    (windows, posix) = session_inputs.path_mapping_rules([
        {"sourcePathFormat": "windows", "sourcePath": "Z:\\projects", "destinationPath": "/mnt/projects"},
        {"sourcePathFormat": "posix", "sourcePath": "/Volumes/projects", "destinationPath": "/mnt/projects"}])
    assert windows.source_path_format == PathFormat.WINDOWS
    assert windows.source_path == PureWindowsPath("Z:\\projects")
    assert posix.source_path == PurePosixPath("/Volumes/projects")
    assert str(posix.destination_path) == "/mnt/projects"
    assert session_inputs.path_mapping_rules([]) is None


def test_session_and_action_environment_names_the_official_agent_uses():
    ids = {"sessionId": "session-1", "farmId": "farm-1", "queueId": "queue-1", "jobId": "job-1",
           "fleetId": "fleet-1", "workerId": "worker-1"}
    assert session_inputs.session_env(ids) == {
        "DEADLINE_SESSION_ID": "session-1", "DEADLINE_FARM_ID": "farm-1", "DEADLINE_QUEUE_ID": "queue-1",
        "DEADLINE_JOB_ID": "job-1", "DEADLINE_FLEET_ID": "fleet-1", "DEADLINE_WORKER_ID": "worker-1"}
    assert session_inputs.action_env("sa-1", "task-1") == {"DEADLINE_SESSIONACTION_ID": "sa-1",
                                                           "DEADLINE_TASK_ID": "task-1"}
    assert session_inputs.action_env("sa-2") == {"DEADLINE_SESSIONACTION_ID": "sa-2"}


QUEUE_USER = {"runAs": "QUEUE_CONFIGURED_USER", "posix": {"user": "render", "group": "artists"}}


def test_jobs_run_as_the_worker_user_by_default():
    assert run_as(None, euid=1000, current_user="me", has_sudo=True) == RunAs()
    assert run_as({"runAs": "WORKER_AGENT_USER"}, euid=0, current_user="root", has_sudo=True) == RunAs()


def test_a_root_worker_runs_jobs_as_the_queues_user():
    assert run_as(QUEUE_USER, euid=0, current_user="root", has_sudo=True) == RunAs(user="render", group="artists")


def test_a_worker_that_is_not_root_runs_jobs_as_itself_and_says_so():
    decision = run_as(QUEUE_USER, euid=1000, current_user="me", has_sudo=True)
    assert decision.user is None and "render" in decision.note


def test_the_queues_user_being_us_needs_nothing():
    assert run_as(QUEUE_USER, euid=1000, current_user="render", has_sudo=False) == RunAs()


def test_another_user_without_sudo_fails_the_session():
    with pytest.raises(SetupError):
        run_as(QUEUE_USER, euid=0, current_user="root", has_sudo=False)
