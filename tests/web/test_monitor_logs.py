"""Logs you can search, over HTTP: a phrase found in one session's log and across every session of a job,
the first error with the lines around it, the whole log as a download, and the refusals of a user
who may not read the queue's logs."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from web.conftest import new_user, set_password
from web.test_monitor_http import Browser

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import served_queue, submit


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "logs-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="logs-admin-pw")[0] == 303
    return browser


@pytest.fixture(scope="module")
def logged(server, deadline):
    """A 3-frame job whose sessions wrote logs: frame 2's holds an error after 30 ordinary lines."""
    farm = served_queue(deadline, deadline.create_farm(displayName="logs farm")["farmId"])
    job_id = submit(deadline, farm, "1-3", maxRetriesPerTask=0, maxFailedTasksCount=5)
    worker = ScriptedWorker(deadline, farm["farmId"], farm["fleetId"])
    logs = server.client("logs")
    group = f"/aws/deadline/{farm['farmId']}/{farm['queueId']}"
    sessions = {}
    clean_job = submit(deadline, farm, "9")
    for _ in range(40):
        response = worker.poll()
        pending = worker.pending_actions(response)
        if not pending and not response["assignedSessions"]:
            break
        for session_id, action in pending[:1]:
            frame = int(action["definition"]["taskRun"]["parameters"]["Frame"]["int"])
            if frame == 9:
                clean = session_id
            lines = [f"frame {frame} line {i}" for i in range(30)]
            if frame == 2:
                lines += ["ERROR: texture missing: wall_diffuse.tx", "after the error 1", "after the error 2"]
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName=group, logStreamName=session_id,
                                logEvents=[{"timestamp": now, "message": m} for m in lines])
            if frame != 9:
                sessions[frame] = session_id
            worker.reports[action["sessionActionId"]] = {"completedStatus": "FAILED" if frame == 2 else "SUCCEEDED",
                                                         "processExitCode": 1 if frame == 2 else 0}
    base = f"/farms/{farm['farmId']}/queues/{farm['queueId']}/jobs/{job_id}"
    return {"farm": farm, "job": job_id, "sessions": sessions, "base": base,
            "clean": f"/farms/{farm['farmId']}/queues/{farm['queueId']}/jobs/{clean_job}/sessions/{clean}"}


def session_url(logged, frame: int) -> str:
    return f"{logged['base']}/sessions/{logged['sessions'][frame]}"


def test_a_phrase_is_found_in_a_sessions_log(admin, logged):
    body = admin.request(session_url(logged, 2) + "?q=" + urllib.parse.quote("texture missing"))[2]
    assert "1 line hold" in body and "ERROR: texture missing: wall_diffuse.tx" in body
    assert "0 lines hold" in admin.request(session_url(logged, 2) + "?q=Texture+Missing")[2]  # case-sensitive


def test_the_first_error_is_shown_with_the_lines_around_it(admin, logged):
    body = admin.request(session_url(logged, 2) + "?error=1")[2]
    start = body.index('id="first-error"')
    section = body[start:body.index("</section>", start)]
    assert "<mark>" in section and "ERROR: texture missing" in section
    assert "frame 2 line 29" in section and "after the error 2" in section
    assert "frame 2 line 20" not in section  # five lines before, not the whole log
    assert "No line of this log looks like an error" in admin.request(logged["clean"] + "?error=1")[2]


def test_the_whole_log_downloads_as_a_file(admin, logged):
    status, headers, body = admin.request(session_url(logged, 2) + "/log.txt")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert f'filename="{logged["sessions"][2]}.log"' in headers["content-disposition"]
    lines = body.splitlines()
    frames = [f for f, session in logged["sessions"].items() if session == logged["sessions"][2]]
    assert len(lines) == 30 * len(frames) + 3  # every line the session's tasks wrote, the error's three too
    assert any(line.endswith(" frame 2 line 0") for line in lines)
    assert any(line.endswith(" after the error 2") for line in lines)


def test_a_search_across_the_job_finds_lines_in_each_session_that_has_them(admin, logged):
    body = admin.request(logged["base"] + "/logs?q=" + urllib.parse.quote("line 7"))[2]
    sessions = len(set(logged["sessions"].values()))
    plural = "" if sessions == 1 else "s"
    assert f"3 matching lines in {sessions} of {sessions} session{plural}<" in body
    for frame in (1, 2, 3):
        assert f"frame {frame} line 7" in body and logged["sessions"][frame] in body
    found = admin.request(logged["base"] + "/logs?q=wall_diffuse")[2]
    assert f"1 matching line in 1 of {sessions} session{plural}<" in found


def test_a_user_outside_the_queue_gets_no_log_search_and_no_download(server, logged):
    new_user(server, "logs-outsider", "logs-outsider-pw")
    outsider = Browser(server.endpoint)
    assert outsider.sign_in(username="logs-outsider", password="logs-outsider-pw")[0] == 303
    assert outsider.request(logged["base"] + "/logs?q=line")[0] == 403
    status, _, body = outsider.request(session_url(logged, 2) + "/log.txt")
    assert status == 403 and "texture" not in body
