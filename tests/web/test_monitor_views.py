"""What a wrangler sees, over plain HTTP: why a task failed (exit code, message, the last lines it wrote) in
the task and step lists, failed sessions marked apart, workers by host name, tasks by their parameters,
one definition of durations with sub-second precision, session actions folded above the log, archived
jobs hidden until asked for, and a titled sign-in page."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from web.conftest import set_password
from web.test_monitor_http import Browser

from farmstead.testing.scripted_worker import ScriptedWorker
from farmstead.web.rendering import duration
from support.worker_jobs import served_queue, submit


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "views-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="views-admin-pw")[0] == 303
    return browser


def _now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture(scope="module")
def ran(server, deadline):
    """A 4-frame job run by a scripted worker on host `render-node-12`: frame 3 fails with exit code 3 after
    writing to its session log, the others succeed; and an archived job beside it."""
    farm = served_queue(deadline, deadline.create_farm(displayName="views farm")["farmId"])
    ids = {"farmId": farm["farmId"], "queueId": farm["queueId"]}
    job_id = submit(deadline, farm, "1-4", maxRetriesPerTask=0, maxFailedTasksCount=5)
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    deadline.update_worker(farmId=farm["farmId"], fleetId=farm["fleetId"], workerId=worker.worker_id,
                           hostProperties={"hostName": "render-node-12"})
    logs = server.client("logs")
    group = f"/aws/deadline/{farm['farmId']}/{farm['queueId']}"
    for _ in range(40):
        response = worker.poll()
        pending = worker.pending_actions(response)
        if not pending and not response["assignedSessions"]:
            break
        for session_id, action in pending[:1]:
            frame = int(action["definition"]["taskRun"]["parameters"]["Frame"]["int"])
            started = datetime.now(UTC)
            lines = [f"rendering frame {frame}"] + (["loading cache", "ERROR: particle cache frame 3 is corrupt",
                                                      "Process pid 99 exited with code: 3 (unsigned) / 0x3 (hex)"]
                                                     if frame == 3 else ["done"])
            time.sleep(0.01)
            logs.put_log_events(logGroupName=group, logStreamName=session_id,
                                logEvents=[{"timestamp": _now_ms(), "message": line} for line in lines])
            time.sleep(0.01)
            report = {"startedAt": started, "endedAt": datetime.now(UTC)}
            if frame == 3:
                report.update(completedStatus="FAILED", processExitCode=3,
                              progressMessage="Process exited with code 3")
            else:
                report.update(completedStatus="SUCCEEDED", processExitCode=0)
            worker.reports[action["sessionActionId"]] = report
    job = deadline.get_job(**ids, jobId=job_id)
    assert {k: v for k, v in job["taskRunStatusCounts"].items() if v} == {"SUCCEEDED": 3, "FAILED": 1}
    ok_job = submit(deadline, farm, "1-6")
    worker.run()
    archived = submit(deadline, farm, "1", targetTaskRunStatus="SUSPENDED", nameOverride="old archived shot")
    deadline.update_job(**ids, jobId=archived, lifecycleStatus="ARCHIVED")
    step = deadline.list_steps(**ids, jobId=job_id)["steps"][0]["stepId"]
    tasks = {int(t["parameters"]["Frame"]["int"]): t for t in
             deadline.list_tasks(**ids, jobId=job_id, stepId=step)["tasks"]}
    base = f"/farms/{farm['farmId']}/queues/{farm['queueId']}"
    return {"farm": farm, "job": job_id, "ok_job": ok_job, "step": step, "tasks": tasks, "worker": worker.worker_id,
            "archived": archived, "queue_url": base, "job_url": f"{base}/jobs/{job_id}",
            "step_url": f"{base}/jobs/{job_id}/steps/{step}"}


def _row(body: str, marker: str) -> str:
    return next(row for row in re.findall(r"<tr[^>]*>.*?</tr>", body, re.S) if marker in row)


def test_the_step_list_shows_why_a_task_failed_and_names_tasks_by_frame_and_workers_by_host(admin, ran):
    body = admin.request(ran["step_url"])[2]
    failed = _row(body, ran["tasks"][3]["taskId"])
    assert "exit code 3" in failed and "ERROR: particle cache frame 3 is corrupt" in html.unescape(failed)
    assert "Process pid 99 exited" not in failed  # the session's framing lines are left out
    assert 'class="failed"' in failed
    assert f'title="{ran["tasks"][3]["taskId"]}">Frame 3</a>' in failed
    assert f'title="{ran["worker"]}">render-node-12</a>' in failed
    succeeded = _row(body, ran["tasks"][1]["taskId"])
    assert "exit code" not in succeeded and "Frame 1</a>" in succeeded


def test_the_job_page_shows_each_steps_latest_failure_and_marks_the_failed_session(admin, deadline, ran):
    body = admin.request(ran["job_url"])[2]
    step_row = _row(body, f'data-id="{ran["step"]}"')
    assert "latest:" in step_row and "Frame 3</a>" in step_row and "exit code 3" in step_row
    assert "ERROR: particle cache frame 3 is corrupt" in html.unescape(step_row)
    failed_session = "session-" + ran["tasks"][3]["latestSessionActionId"].split("-")[1]
    assert "TASK FAILED" in _row(body, failed_session) and 'class="failed"' in _row(body, failed_session)
    assert f'title="{ran["worker"]}">render-node-12</a>' in _row(body, failed_session)
    ok_page = admin.request(f"{ran['queue_url']}/jobs/{ran['ok_job']}")[2]
    (ok_session,) = re.findall(r'href="[^"]*/sessions/(session-[0-9a-f]+)"', ok_page)
    assert "TASK FAILED" not in _row(ok_page, ok_session) and 'class="failed"' not in _row(ok_page, ok_session)


def test_the_task_page_shows_each_attempts_exit_code_and_last_lines(admin, ran):
    body = admin.request(f"{ran['step_url']}/tasks/{ran['tasks'][3]['taskId']}")[2]
    assert "<h1>Task Frame 3</h1>" in body
    assert "exit code 3" in body and "ERROR: particle cache frame 3 is corrupt" in html.unescape(body)
    assert "render-node-12" in body


def test_a_tasks_duration_is_its_run_on_the_worker_shown_below_a_second(admin, deadline, ran):
    ids = {"farmId": ran["farm"]["farmId"], "queueId": ran["farm"]["queueId"], "jobId": ran["job"]}
    action = deadline.get_session_action(**ids, sessionActionId=ran["tasks"][1]["latestSessionActionId"])
    expected = duration(action["startedAt"], action["endedAt"])
    assert expected.endswith(" s") and expected.startswith("0.")  # not "0s"
    step_row = _row(admin.request(ran["step_url"])[2], ran["tasks"][1]["taskId"])
    session_page = admin.request(f"{ran['job_url']}/sessions/{action['sessionId']}")[2]
    assert f'data-label="Last run">{expected}</td>' in step_row
    assert f'data-label="Run time">{expected}</td>' in _row(session_page, 'data-label="What">task')


def test_durations_keep_sub_second_precision_and_read_the_same_everywhere():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert [duration(start, start + timedelta(seconds=s)) for s in (0.43, 2.44, 42.7, 185, 7300)] == [
        "0.43 s", "2.4 s", "42 s", "3m 05s", "2h 01m"]
    assert duration(None) == "—"


def test_the_session_page_folds_its_actions_above_the_log_and_names_tasks_by_frame(admin, deadline, ran):
    session_id = "session-" + ran["tasks"][1]["latestSessionActionId"].split("-")[1]
    body = admin.request(f"{ran['job_url']}/sessions/{session_id}")[2]
    folded = re.search(r'<details class="actions"[^>]*>\s*<summary>(.*?)</summary>', body, re.S)
    assert folded and "Actions: 4 (1 failed, 3 succeeded)" in folded.group(1)
    assert body.index('<details class="actions"') < body.index('<pre class="log"')
    assert "Frame 1</a>" in body and "render-node-12" in body
    assert re.search(r'<details class="actions"[^>]* open>', body)  # a failure in it: shown unfolded
    ok_page = admin.request(f"{ran['queue_url']}/jobs/{ran['ok_job']}")[2]
    (ok_session,) = re.findall(r'href="[^"]*/sessions/(session-[0-9a-f]+)"', ok_page)
    ok_body = admin.request(f"{ran['queue_url']}/jobs/{ran['ok_job']}/sessions/{ok_session}")[2]
    assert re.search(r'<details class="actions" data-keep="actions">\s*<summary>Actions: 6 \(6 succeeded\)', ok_body)


def test_the_fleet_page_shows_workers_by_host_name_with_the_id_on_hover(admin, ran):
    farm = ran["farm"]
    body = admin.request(f"/farms/{farm['farmId']}/fleets/{farm['fleetId']}")[2]
    assert f'<strong title="{ran["worker"]}">render-node-12</strong>' in body


def test_archived_jobs_are_hidden_from_the_job_list_until_asked_for(admin, ran):
    default = admin.request(ran["queue_url"])[2]
    assert "old archived shot" not in default and "Archived jobs are hidden" in default
    shown = admin.request(ran["queue_url"] + "?archived=1")[2]
    assert "old archived shot" in shown and "(archived)" in shown


def test_the_sign_in_page_has_a_title(server):
    body = Browser(server.endpoint).request("/signin")[2]
    assert "<title>Sign in · Farmstead</title>" in body
