"""`farmstead longest`: running tasks, longest first, flagged far beyond their step's median."""

from __future__ import annotations

from support.long_runs import one_long_run


def test_a_task_running_far_beyond_its_steps_median_is_flagged(server, deadline, farm_id):
    _, job_id, task_id = one_long_run(deadline, farm_id)
    listed = server.cli("longest", "--job-id", job_id)
    (row,) = [line for line in listed.splitlines()[1:]]
    assert row.startswith("FAR BEYOND\t") and task_id in row and "slow-node" in row
