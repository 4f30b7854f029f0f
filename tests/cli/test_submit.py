"""`farmstead submit` as a real subprocess against a live server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from farmstead.cli import aws_profile
from farmstead.cli.local_farm import LocalFarm
from farmstead.testing.live_server import ADMIN_KEY_ID, ADMIN_SECRET, REGION
from farmstead.testing.scripted_worker import ScriptedWorker
from support.official_clients import deadline_cli

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = {
    "specificationVersion": "jobtemplate-2023-09", "name": "typed",
    "parameterDefinitions": [
        {"name": "Count", "type": "INT", "default": 1, "maxValue": 100},
        {"name": "Scale", "type": "FLOAT", "default": 1.0},
        {"name": "Label", "type": "STRING", "default": "x"},
        {"name": "Scene", "type": "PATH", "default": "/tmp/scene"},
    ],
    "steps": [{"name": "Work", "parameterSpace": {"taskParameterDefinitions": [
        {"name": "Frame", "type": "INT", "range": "1-{{Param.Count}}"}]},
        "script": {"actions": {"onRun": {"command": "echo", "args": ["{{Task.Param.Frame}}"]}}}}],
}


def _jobs(deadline, ids) -> list[dict]:
    return deadline.list_jobs(farmId=ids["farmId"], queueId=ids["queueId"])["jobs"]


def _job_id(output: str) -> str:
    return next(word for word in output.split() if word.startswith("job-"))


def _submit(farmstead, api_env, ids, *args, cwd=None):
    return farmstead("submit", *args, "--farm-id", ids["farmId"], "--queue-id", ids["queueId"], env=api_env,
                     cwd=cwd)


def test_template_file_parameters_are_sent_typed_by_their_definitions(farmstead, api_env, ready_queue, deadline,
                                                                      tmp_path):
    template = tmp_path / "job.json"
    template.write_text(json.dumps(TEMPLATE))
    done = _submit(farmstead, api_env, ready_queue, template, "-p", "Count=3", "-p", "Scale=2.5",
                   "-p", "Label=a=b", "-p", "Scene=shots/010", "--priority", "70", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    job = deadline.get_job(farmId=ready_queue["farmId"], queueId=ready_queue["queueId"], jobId=_job_id(done.stdout))
    assert job["parameters"] == {"Count": {"int": "3"}, "Scale": {"float": "2.5"}, "Label": {"string": "a=b"},
                                 "Scene": {"path": str(tmp_path / "shots" / "010")}}
    assert job["priority"] == 70 and job["taskRunStatusCounts"]["READY"] == 3


def test_bundle_values_apply_and_command_line_values_override_them(farmstead, api_env, ready_queue, deadline,
                                                                   tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "template.yaml").write_text(json.dumps(TEMPLATE))  # JSON is YAML too
    (bundle / "parameter_values.yaml").write_text(
        "parameterValues:\n- name: Count\n  value: 2\n- name: Label\n  value: from-file\n"
        "- name: Scene\n  value: scenes/a.ma\n- name: deadline:priority\n  value: 33\n")
    (bundle / "asset_references.yaml").write_text("assetReferences: {inputs: {filenames: []}}\n")
    done = _submit(farmstead, api_env, ready_queue, bundle, "-p", "Label=from-flag")
    assert done.returncode == 0, done.stderr
    assert "asset_references ignored" in done.stderr
    job = deadline.get_job(farmId=ready_queue["farmId"], queueId=ready_queue["queueId"], jobId=_job_id(done.stdout))
    assert job["parameters"]["Count"] == {"int": "2"}
    assert job["parameters"]["Label"] == {"string": "from-flag"}
    # A bundle's relative PATH is relative to the bundle, as the deadline CLI reads it.
    assert job["parameters"]["Scene"] == {"path": str(bundle / "scenes" / "a.ma")}
    assert job["priority"] == 33


def test_a_value_that_is_not_of_its_parameter_type_is_refused_before_submitting(farmstead, api_env, ready_queue,
                                                                                deadline, tmp_path):
    template = tmp_path / "job.json"
    template.write_text(json.dumps(TEMPLATE))
    done = _submit(farmstead, api_env, ready_queue, template, "-p", "Count=three")
    assert done.returncode != 0
    assert "Count is an INT; 'three' is not a whole number" in done.stderr
    assert "Traceback" not in done.stderr
    assert _jobs(deadline, ready_queue) == []


def test_an_unknown_parameter_is_named_with_the_ones_the_template_defines(farmstead, api_env, ready_queue,
                                                                          deadline, tmp_path):
    template = tmp_path / "job.json"
    template.write_text(json.dumps(TEMPLATE))
    done = _submit(farmstead, api_env, ready_queue, template, "-p", "Frames=1-5")
    assert done.returncode != 0
    assert "unknown parameter Frames (this template defines: Count, Label, Scale, Scene)" in done.stderr
    assert _jobs(deadline, ready_queue) == []


def test_a_value_the_server_refuses_prints_its_reason_and_exits_non_zero(farmstead, api_env, ready_queue,
                                                                         deadline, tmp_path):
    template = tmp_path / "job.json"
    template.write_text(json.dumps(TEMPLATE))
    done = _submit(farmstead, api_env, ready_queue, template, "-p", "Count=500")
    assert done.returncode == 1
    assert "ValidationException" in done.stderr and "must be at most 100" in done.stderr
    assert _jobs(deadline, ready_queue) == []


def test_malformed_inputs_get_readable_errors(farmstead, api_env, ready_queue, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.yaml").write_text("steps: [unclosed\n")
    cases = {("nope.json",): "does not exist", ("empty",): "has no template.json or template.yaml",
             ("broken.yaml",): "can't be read", (str(REPO / "examples" / "hello"), "-p", "Frames"): "NAME=VALUE"}
    for args, message in cases.items():
        done = _submit(farmstead, api_env, ready_queue, *args, cwd=tmp_path)
        assert done.returncode != 0 and message in done.stderr, (args, done.stderr)


@pytest.mark.parametrize("example", ["hello", "multi-step"])
def test_the_shipped_examples_submit(farmstead, api_env, ready_queue, deadline, example):
    done = _submit(farmstead, api_env, ready_queue, REPO / "examples" / example)
    assert done.returncode == 0, done.stderr
    job = deadline.get_job(farmId=ready_queue["farmId"], queueId=ready_queue["queueId"], jobId=_job_id(done.stdout))
    assert job["lifecycleStatus"] == "CREATE_COMPLETE" and job["taskRunStatus"] == "READY"


def test_farm_and_queue_default_to_the_local_farm_of_the_data_dir(farmstead, api_env, ready_queue, deadline,
                                                                   server, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    LocalFarm(endpoint=server.endpoint, region="us-west-2", farmId=ready_queue["farmId"],
              queueId=ready_queue["queueId"], fleetId=ready_queue["fleetId"]).save(data_dir)
    env = {k: v for k, v in api_env.items() if k != "AWS_ENDPOINT_URL"}  # the endpoint comes from up.json too
    done = farmstead("submit", REPO / "examples" / "hello", "--data-dir", data_dir, env=env)
    assert done.returncode == 0, done.stderr
    assert [job["jobId"] for job in _jobs(deadline, ready_queue)] == [_job_id(done.stdout)]


def test_without_a_queue_the_command_says_how_to_name_one(farmstead, api_env, tmp_path):
    done = farmstead("submit", REPO / "examples" / "hello", "--data-dir", tmp_path / "none", env=api_env)
    assert done.returncode != 0 and "--farm-id and --queue-id" in done.stderr


def _wait_with_scripted_worker(api_env, deadline, ids, outcome, where: list[str] | None = None,
                               cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`submit examples/hello --wait` (with `where`, else --farm-id/--queue-id) while a scripted worker
    finishes each task by `outcome`."""
    where = where if where is not None else ["--farm-id", ids["farmId"], "--queue-id", ids["queueId"]]
    command = [sys.executable, "-m", "farmstead", "submit", str(REPO / "examples" / "hello"), "-p", "Frames=1-3",
               "--wait", *where]
    process = subprocess.Popen(command, env=api_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=cwd)
    give_up = time.monotonic() + 30
    while not _jobs(deadline, ids) and time.monotonic() < give_up:
        time.sleep(0.1)
    worker = ScriptedWorker(deadline, ids["farmId"], ids["fleetId"])
    runner = threading.Thread(target=worker.run, kwargs={"outcome": outcome})
    runner.start()
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        runner.join(30)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def test_wait_follows_the_job_to_success_and_exits_zero(api_env, ready_queue, deadline):
    done = _wait_with_scripted_worker(api_env, deadline, ready_queue, lambda action: "SUCCEEDED")
    assert done.returncode == 0, done.stderr
    assert "SUCCEEDED: 3/3 tasks succeeded" in done.stdout


def test_wait_exits_non_zero_when_the_job_fails_with_one_verdict_and_a_logs_command(api_env, ready_queue, deadline):
    done = _wait_with_scripted_worker(api_env, deadline, ready_queue, lambda action: "FAILED")
    assert done.returncode == 1, done.stdout + done.stderr
    verdict = done.stdout.strip().splitlines()[-1]
    assert "FAILED: 0/3 tasks succeeded, 3 failed" in verdict
    # Nothing after it reads like another verdict (the job's lifecycle message said "completed successfully").
    assert "success" not in done.stderr.lower(), done.stderr
    hint = done.stderr.strip().splitlines()[-1]
    assert hint.startswith("Session logs: ") and " logs --job-id job-" in hint
    logs = subprocess.run(hint.removeprefix("Session logs: "), shell=True, env=api_env, capture_output=True,
                          text=True, timeout=60)
    assert logs.returncode == 0, logs.stderr


def test_the_logs_command_printed_after_a_failure_runs_as_printed_where_up_keeps_its_data(
        isolated_env, ready_queue, deadline, server, tmp_path, monkeypatch):
    """As after `make up`: no AWS variables, the `farmstead` profile, and ./farmstead-data/up.json."""
    for key in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(key, isolated_env[key])
    aws_profile.write_profile(server.endpoint, REGION, ADMIN_KEY_ID, ADMIN_SECRET)
    LocalFarm(endpoint=server.endpoint, region=REGION, farmId=ready_queue["farmId"], queueId=ready_queue["queueId"],
              fleetId=ready_queue["fleetId"]).save((tmp_path / "farmstead-data").mkdir() or tmp_path / "farmstead-data")
    done = _wait_with_scripted_worker(isolated_env, deadline, ready_queue, lambda action: "FAILED", where=[],
                                      cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    hint = done.stderr.strip().splitlines()[-1].removeprefix("Session logs: ")
    assert hint.endswith(" logs --job-id " + _job_id(done.stdout)), hint  # nothing more is needed here
    logs = subprocess.run(hint, shell=True, env=isolated_env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert logs.returncode == 0, logs.stderr


def test_the_examples_also_submit_with_the_official_deadline_cli(isolated_env, ready_queue, deadline, server,
                                                                 monkeypatch):
    """The same bundles through `deadline bundle submit` (from PyPI), with the profile `up` writes."""
    official = deadline_cli()
    bin_dir = official.parent
    env = {**isolated_env, "PATH": f"{bin_dir}:{isolated_env['PATH']}", "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true"}
    for key in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(key, env[key])
    aws_profile.write_profile(server.endpoint, REGION, ADMIN_KEY_ID, ADMIN_SECRET)
    for setting, value in (("defaults.aws_profile_name", "farmstead"), ("defaults.farm_id", ready_queue["farmId"]),
                           ("defaults.queue_id", ready_queue["queueId"])):
        subprocess.run([str(official), "config", "set", setting, value], env=env, check=True, timeout=120)
    for example in ("hello", "multi-step"):
        done = subprocess.run([str(official), "bundle", "submit", str(REPO / "examples" / example), "--yes"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        job = deadline.get_job(farmId=ready_queue["farmId"], queueId=ready_queue["queueId"],
                               jobId=done.stdout.split()[-1])
        assert job["taskRunStatus"] == "READY"
    multi = [j for j in _jobs(deadline, ready_queue) if j["name"] == "Multi-step example"][0]
    parameters = deadline.get_job(farmId=ready_queue["farmId"], queueId=ready_queue["queueId"],
                                  jobId=multi["jobId"])["parameters"]
    # The deadline CLI resolves the relative PATH default against the bundle, as `farmstead submit` does.
    assert parameters["OutputDir"] == {"path": str(REPO / "examples" / "multi-step" / "output")}


def test_after_makes_the_job_wait_for_the_named_jobs_and_a_bad_one_is_refused(farmstead, api_env, ready_queue,
                                                                              deadline, tmp_path):
    template = tmp_path / "job.json"
    template.write_text(json.dumps(TEMPLATE))
    first = _job_id(_submit(farmstead, api_env, ready_queue, template, cwd=tmp_path).stdout)
    done = _submit(farmstead, api_env, ready_queue, template, "--after", first, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    waiting = deadline.get_job(farmId=ready_queue["farmId"], queueId=ready_queue["queueId"],
                               jobId=_job_id(done.stdout))
    assert waiting["taskRunStatus"] == "PENDING" and first in waiting["lifecycleStatusMessage"]
    unknown = _submit(farmstead, api_env, ready_queue, template, "--after", "job-" + "0" * 32, cwd=tmp_path)
    assert unknown.returncode != 0 and "no job job-" in unknown.stderr


def test_after_frame_makes_each_task_wait_for_the_upstream_task_of_its_frame(farmstead, api_env, ready_queue,
                                                                            deadline, tmp_path):
    template = tmp_path / "job.json"
    template.write_text(json.dumps(TEMPLATE))
    first = _job_id(_submit(farmstead, api_env, ready_queue, template, cwd=tmp_path).stdout)
    done = _submit(farmstead, api_env, ready_queue, template, "--after", f"frame:{first}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ids = {"farmId": ready_queue["farmId"], "queueId": ready_queue["queueId"], "jobId": _job_id(done.stdout)}
    step_id = deadline.list_steps(**ids)["steps"][0]["stepId"]
    assert [task["runStatus"] for task in deadline.list_tasks(**ids, stepId=step_id)["tasks"]] == ["PENDING"]
