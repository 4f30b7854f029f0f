"""One session's runner with real openjd-sessions processes and a scripted entity source (no server)."""

import threading
import time
from datetime import timedelta

import pytest

from farmstead.attachments import layout, manifests
from farmstead.attachments.submission import AssetReferences, plan, upload
from farmstead.testing.s3_store import S3Store
from farmstead.worker.actions import Action, SessionRunner
from farmstead.worker.entities import JobEntities
from farmstead.worker.reports import ActionReports
from farmstead.worker.session_logs import SessionLog

JOB = "job-1"
ENVIRONMENT = {"name": "Env", "script": {"actions": {"onEnter": {"command": "true"}, "onExit": {"command": "true"}}}}


def step(script: str) -> dict:
    return {"name": "Step", "script": {"actions": {"onRun": {"command": "bash", "args": ["-c", script]}}}}


class Entities:
    """BatchGetJobEntity by script: job details, steps by id, one environment."""

    def __init__(self, steps: dict[str, dict], job_details: dict | None = None, attachments: dict | None = None):
        self.steps = steps
        self.job = job_details or {"jobId": JOB, "logGroupName": "g", "schemaVersion": "jobtemplate-2023-09",
                                   "jobRunAsUser": {"runAs": "WORKER_AGENT_USER"}}
        self.attachments = attachments or {"manifests": []}
        self.batches: list[list[dict]] = []

    def __call__(self, batch):
        self.batches.append(batch)
        entities = []
        for item in batch:
            (kind, key), = item.items()
            if kind == "jobDetails":
                entities.append({kind: self.job})
            elif kind == "stepDetails":
                entities.append({kind: {**key, "schemaVersion": "jobtemplate-2023-09", "dependencies": [],
                                        "template": self.steps[key["stepId"]]}})
            elif kind == "environmentDetails":
                entities.append({kind: {**key, "schemaVersion": "jobtemplate-2023-09", "template": ENVIRONMENT}})
            else:
                entities.append({kind: {"jobId": JOB, "attachments": self.attachments}})
        return {"entities": entities, "errors": []}


def task(action_id: str, step_id: str = "step-ok") -> Action:
    return Action(action_id, "taskRun", {"stepId": step_id, "taskId": f"task-{action_id}"})


def env(action_id: str, kind: str) -> Action:
    return Action(action_id, kind, {"environmentId": "JOB:job-1:Env"})


class Harness:
    def __init__(self, tmp_path, entities: Entities, s3=None):
        self.entities = entities
        self.reports = ActionReports()
        self.idle = threading.Event()
        ids = {"farmId": "farm-1", "fleetId": "fleet-1", "workerId": "worker-1", "sessionId": "session-1",
               "queueId": "queue-1", "jobId": JOB}
        self.runner = SessionRunner(ids, JobEntities(entities), self.reports, SessionLog(tmp_path / "s.log", None),
                                    tmp_path / "sessions", self.idle.set,
                                    s3_for_queue=(lambda queue_id: s3) if s3 is not None else None)

    def run(self, actions: list[Action]) -> None:
        self.runner.replace_queue(actions)
        self.runner.start()

    def wait_for(self, *action_ids: str, timeout: float = 20) -> dict:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            found = self.reports.snapshot()
            if all("completedStatus" in found.get(a, {}) for a in action_ids):
                return found
            time.sleep(0.05)
        raise AssertionError(f"no completion for {action_ids}: {self.reports.snapshot()}")

    def finish(self) -> None:
        self.runner.stop()
        assert self.runner.ended.wait(20)


@pytest.fixture
def harness(tmp_path):
    made = []

    def make(steps=None, job_details=None, attachments=None, s3=None):
        made.append(Harness(tmp_path, Entities(steps or {"step-ok": step("exit 0")}, job_details, attachments), s3))
        return made[-1]

    yield make
    for each in made:
        each.finish()


def test_environment_and_tasks_succeed_in_order(harness):
    h = harness()
    h.run([env("a0", "envEnter"), task("a1"), task("a2"), env("a3", "envExit")])
    found = h.wait_for("a0", "a1", "a2", "a3")
    assert [found[a]["completedStatus"] for a in ("a0", "a1", "a2", "a3")] == ["SUCCEEDED"] * 4
    assert found["a1"]["processExitCode"] == 0
    assert found["a0"]["startedAt"] <= found["a1"]["startedAt"] <= found["a2"]["startedAt"]



def test_a_new_session_fetches_its_job_and_first_actions_entities_in_one_call(harness):
    h = harness()
    h.run([env("a0", "envEnter"), task("a1")])
    h.wait_for("a0", "a1")
    first, *rest = h.entities.batches
    assert sorted(next(iter(item)) for item in first) == ["environmentDetails", "jobDetails", "stepDetails"]
    assert rest == []

def test_a_step_written_with_interpreter_syntax_sugar_runs_its_script(harness, tmp_path):
    """FEATURE_BUNDLE_1's `bash:` instead of `script:` (the server accepts it): the worker runs the
    script openjd-model makes of it. The parsed step has no `script` of its own."""
    marker = tmp_path / "ran.txt"
    sugared = {"name": "Step", "bash": {"script": f"echo sugar > {marker}"}}
    job = {"jobId": JOB, "logGroupName": "g", "schemaVersion": "jobtemplate-2023-09",
           "jobRunAsUser": {"runAs": "WORKER_AGENT_USER"}, "extensions": ["FEATURE_BUNDLE_1"]}
    h = harness({"step-ok": sugared}, job_details=job)
    h.run([task("a1")])
    found = h.wait_for("a1")
    assert found["a1"]["completedStatus"] == "SUCCEEDED", found["a1"]
    assert marker.read_text() == "sugar\n"


def test_a_failed_task_leaves_only_the_env_exit_to_run(harness):
    h = harness({"step-bad": step("echo 'openjd_fail: no license'; exit 4"), "step-ok": step("exit 0")})
    h.run([env("a0", "envEnter"), task("a1", "step-bad"), task("a2"), env("a3", "envExit")])
    found = h.wait_for("a1", "a2", "a3")
    assert found["a1"]["completedStatus"] == "FAILED"
    assert found["a1"]["processExitCode"] == 4
    assert found["a1"]["progressMessage"] == "no license"
    assert found["a2"] == {"completedStatus": "NEVER_ATTEMPTED",
                           "progressMessage": "An earlier action of the session (a1) did not succeed."}
    assert found["a3"]["completedStatus"] == "SUCCEEDED"


def test_replacing_the_queue_never_requeues_a_finished_action(harness):
    h = harness()
    h.run([task("a1")])
    h.wait_for("a1")
    h.reports.commit(h.reports.snapshot())
    h.runner.replace_queue([task("a1"), task("a2")])  # the server still lists a1 in a late answer
    found = h.wait_for("a2")
    assert "a1" not in found


def test_cancel_kills_the_running_task_and_reports_canceled(harness):
    h = harness({"step-ok": step("exec sleep 60")})
    h.run([task("a1"), task("a2")])
    deadline = time.monotonic() + 10
    while "a1" not in h.reports.snapshot() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    h.runner.cancel({"a1"})
    found = h.wait_for("a1", "a2")
    assert found["a1"]["completedStatus"] == "CANCELED"
    assert found["a1"]["processExitCode"] == -9
    assert found["a2"]["completedStatus"] == "NEVER_ATTEMPTED"


def test_stopping_the_worker_interrupts_the_running_task(harness):
    h = harness({"step-ok": step("exec sleep 60")})
    h.run([task("a1"), task("a2")])
    time.sleep(0.5)
    h.runner.stop("Farmstead worker received signal 15 (SIGTERM)", timedelta(seconds=2))
    found = h.wait_for("a1", "a2")
    assert found["a1"]["completedStatus"] == "INTERRUPTED"
    assert found["a1"]["progressMessage"] == "Farmstead worker received signal 15 (SIGTERM)"
    assert found["a2"]["completedStatus"] == "NEVER_ATTEMPTED"


def test_a_session_that_cannot_start_fails_its_first_action_and_skips_the_rest(harness):
    h = harness(job_details={"jobId": JOB, "logGroupName": "g", "schemaVersion": "jobtemplate-2023-09",
                             "parameters": {"Flag": {"bool": "true"}}})
    h.run([env("a0", "envEnter"), task("a1")])
    found = h.wait_for("a0", "a1")
    assert found["a0"]["completedStatus"] == "FAILED" and "bool" in found["a0"]["progressMessage"]
    assert found["a1"]["completedStatus"] == "NEVER_ATTEMPTED"
    h.runner.replace_queue([env("a2", "envExit")])  # what the server queues next still gets an answer
    assert h.wait_for("a2")["a2"]["completedStatus"] == "NEVER_ATTEMPTED"


def test_exiting_an_environment_never_entered_succeeds_without_a_process(harness):
    h = harness()
    h.run([env("a1", "envExit")])
    found = h.wait_for("a1")
    assert found["a1"]["completedStatus"] == "SUCCEEDED" and "processExitCode" not in found["a1"]


def test_input_sync_without_manifests_succeeds(harness):
    h = harness()
    h.run([Action("a1", "syncInputJobAttachments", {})])
    assert h.wait_for("a1")["a1"]["completedStatus"] == "SUCCEEDED"


def test_an_unknown_action_kind_fails_that_action_only(harness):
    h = harness()
    h.run([Action("a1", "somethingNew", {}), env("a2", "envExit")])
    found = h.wait_for("a1", "a2")
    assert found["a1"]["completedStatus"] == "FAILED"
    assert found["a2"]["completedStatus"] == "SUCCEEDED"


# --- job attachments whose paths leave the session (the server's answer is scripted, so nothing
# on the server's side can refuse them first) ---------------------------------------------------

BUCKET = {"s3BucketName": "actions-unit", "rootPrefix": "Root"}


@pytest.fixture(scope="module")
def s3():
    store = S3Store.start()
    store.create_bucket(BUCKET["s3BucketName"])
    yield store.client()
    store.stop()


def attachments_with_outputs(s3, tmp_path, output_directory: str) -> dict:
    project = tmp_path / "project"
    (project / "in").mkdir(parents=True)
    (project / "in" / "scene.txt").write_text("scene")
    attachments = upload(s3, BUCKET, "farm-1", "queue-1",
                         plan(AssetReferences(input_directories={project / "in"})))
    (manifest,) = attachments["manifests"]
    return {**attachments, "manifests": [{**manifest, "outputRelativeDirectories": [output_directory]}]}


def attachment_job() -> dict:
    return {"jobId": JOB, "logGroupName": "g", "schemaVersion": "jobtemplate-2023-09",
            "jobRunAsUser": {"runAs": "WORKER_AGENT_USER"}, "jobAttachmentSettings": BUCKET}


@pytest.mark.s3_store
def test_a_sync_naming_an_output_directory_outside_the_session_fails_and_creates_nothing(harness, s3, tmp_path):
    outside = tmp_path / "outside-the-session"
    h = harness(job_details=attachment_job(), s3=s3,
                attachments=attachments_with_outputs(s3, tmp_path, "../" * 12 + str(outside).lstrip("/")))
    h.run([Action("a0", "syncInputJobAttachments", {}), task("a1")])
    found = h.wait_for("a0", "a1")
    assert found["a0"]["completedStatus"] == "FAILED"
    assert "outside the session directory" in found["a0"]["progressMessage"]
    assert found["a1"]["completedStatus"] == "NEVER_ATTEMPTED"
    assert not outside.exists()


@pytest.mark.s3_store
def test_a_task_that_links_a_file_outside_the_session_into_its_outputs_fails(harness, s3, tmp_path):
    secret = tmp_path / "worker-secret.txt"
    secret.write_text("the worker's, not the job's")
    # What a task running as another user than the worker could leave behind for the upload.
    linking = step(f'ln -s {secret} "$(echo {tmp_path}/sessions/*-attachments/assetroot-*/out)/leak.txt"')
    h = harness({"step-ok": linking}, job_details=attachment_job(), s3=s3,
                attachments=attachments_with_outputs(s3, tmp_path, "out"))
    h.run([Action("a0", "syncInputJobAttachments", {}), task("a1")])
    found = h.wait_for("a0", "a1")
    assert found["a0"]["completedStatus"] == "SUCCEEDED"
    assert found["a1"]["completedStatus"] == "FAILED"
    assert "outside the session directory" in found["a1"]["progressMessage"]
    assert next((tmp_path / "sessions").glob("*-attachments/assetroot-*/out/leak.txt")).is_symlink()
    data_key = layout.data_key(BUCKET["rootPrefix"], manifests.hash_file(secret))
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET["s3BucketName"], Prefix=data_key)
