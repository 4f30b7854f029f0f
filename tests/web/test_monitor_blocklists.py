"""The monitor shows who is blocklisted on a job and why, which jobs blocked each worker on the
fleet page, and lets a MANAGER clear one worker (docs/self-managing.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from web.conftest import new_user, set_password
from web.test_monitor_http import Browser

from farmstead.testing.scripted_worker import ScriptedWorker
from support.worker_jobs import submit


@pytest.fixture(scope="module")
def admin(server) -> Browser:
    set_password(server, "admin", "blocklist-admin-pw")
    browser = Browser(server.endpoint)
    assert browser.sign_in(username="admin", password="blocklist-admin-pw")[0] == 303
    return browser


@pytest.fixture
def blocked(deadline, farm_id) -> dict:
    """A job whose queue blocklists after one failure, and a worker that failed it once."""
    from farmstead.testing.scripted_worker import LINUX_FLEET
    from support.worker_jobs import ROLE

    queue_id = deadline.create_queue(farmId=farm_id, displayName="q",
                                     tags={"farmstead:blocklistAfterFailures": "1"})["queueId"]
    fleet_id = deadline.create_fleet(farmId=farm_id, displayName="f", roleArn=ROLE, maxWorkerCount=10,
                                     configuration=LINUX_FLEET)["fleetId"]
    deadline.create_queue_fleet_association(farmId=farm_id, queueId=queue_id, fleetId=fleet_id)
    farm = {"farmId": farm_id, "queueId": queue_id, "fleetId": fleet_id}
    job_id = submit(deadline, farm, "1-3", maxRetriesPerTask=5, nameOverride="blocked job")
    bad = ScriptedWorker(deadline, farm_id, fleet_id, host_name="bad-node")
    ScriptedWorker(deadline, farm_id, fleet_id, host_name="good-node")  # exists: the job need not fall back
    (session,) = bad.poll()["assignedSessions"].values()
    action = session["sessionActions"][0]
    ended = datetime.now(UTC)
    bad.reports = {action["sessionActionId"]: {"startedAt": ended - timedelta(seconds=1), "endedAt": ended,
                                               "completedStatus": "FAILED", "processExitCode": 7}}
    bad.poll()
    return {**farm, "job_id": job_id, "worker_id": bad.worker_id,
            "task_id": action["definition"]["taskRun"]["taskId"]}


def _job_page(blocked: dict) -> str:
    return f"/farms/{blocked['farmId']}/queues/{blocked['queueId']}/jobs/{blocked['job_id']}"


def _blocklist_section(body: str) -> str:
    return re.search(r'<h2 id="blocklist">.*?<h2>Parameters', body, re.S).group(0)


def test_the_job_page_lists_a_blocklisted_worker_with_the_failed_runs_that_put_it_there(admin, blocked):
    section = _blocklist_section(admin.request(_job_page(blocked))[2])
    assert "bad-node" in section and blocked["worker_id"] in section and "good-node" not in section
    assert "(exit 7)" in section and 'value="clear_blocklist"' in section


def test_the_fleet_page_says_which_jobs_blocked_a_worker(admin, blocked):
    body = admin.request(f"/farms/{blocked['farmId']}/fleets/{blocked['fleetId']}")[2]
    row = re.search(rf'<tr data-id="{blocked["worker_id"]}".*?</tr>', body, re.S).group(0)
    assert "Blocklisted on" in row and "blocked job" in row


def test_a_manager_clears_a_worker_from_the_blocklist_and_it_gets_the_job_again(admin, deadline, blocked):
    page = _job_page(blocked)
    form = [("csrf", admin.csrf(page)), ("back", page), ("confirmed", "1"), ("kind", "worker"),
            ("action", "clear_blocklist"), ("farm_id", blocked["farmId"]), ("queue_id", blocked["queueId"]),
            ("job_id", blocked["job_id"]), ("item", blocked["worker_id"])]
    status, headers, _ = admin.request("/actions", form)
    assert (status, headers["location"]) == (303, page)
    body = admin.request(page)[2]
    assert "1 of 1 worker done" in body
    assert "No worker is blocklisted on this job." in _blocklist_section(body)
    worker = {"farmId": blocked["farmId"], "fleetId": blocked["fleetId"], "workerId": blocked["worker_id"]}
    assigned = deadline.update_worker_schedule(**worker, updatedSessionActions={})["assignedSessions"]
    assert [s["jobId"] for s in assigned.values()] == [blocked["job_id"]]


def test_a_viewer_sees_the_blocklist_but_may_not_clear_it(server, deadline, blocked, unique_name):
    name = unique_name("blocklist-viewer")
    principal = new_user(server, name, "blocklist-viewer-pw")
    deadline.associate_member_to_farm(farmId=blocked["farmId"], principalId=principal, principalType="USER",
                                      identityStoreId="d-0000000000", membershipLevel="VIEWER")
    viewer = Browser(server.endpoint)
    viewer.sign_in(username=name, password="blocklist-viewer-pw")
    page = _job_page(blocked)
    section = _blocklist_section(viewer.request(page)[2])
    assert "bad-node" in section and 'value="clear_blocklist"' not in section
    form = [("csrf", viewer.csrf(page)), ("back", page), ("confirmed", "1"), ("kind", "worker"),
            ("action", "clear_blocklist"), ("farm_id", blocked["farmId"]), ("queue_id", blocked["queueId"]),
            ("job_id", blocked["job_id"]), ("item", blocked["worker_id"])]
    viewer.request("/actions", form)
    assert "bad-node" in _blocklist_section(viewer.request(page)[2])  # refused: still blocklisted
