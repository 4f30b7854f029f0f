"""The job page's "Running longest": a task far beyond its step's median run time is flagged."""

from __future__ import annotations

import re

from web.conftest import set_password
from web.test_monitor_http import Browser

from support.long_runs import one_long_run


def test_the_job_page_flags_a_task_running_far_beyond_its_steps_median(server, deadline, farm_id):
    set_password(server, "admin", "longest-admin-pw")
    admin = Browser(server.endpoint)
    assert admin.sign_in(username="admin", password="longest-admin-pw")[0] == 303
    farm, job_id, task_id = one_long_run(deadline, farm_id)
    body = admin.request(f"/farms/{farm_id}/queues/{farm['queueId']}/jobs/{job_id}")[2]
    row = re.search(rf'<tr data-id="{task_id}".*?</tr>', body, re.S).group(0)
    assert 'class="alarm"' in row and "Far beyond its step" in row and "slow-node" in row
