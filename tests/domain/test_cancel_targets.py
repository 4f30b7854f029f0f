"""The cancel-target vocabulary: every task run status, in the model's order, then the stuck marker."""

from farmstead.domain.cancel_targets import CancelTarget
from farmstead.domain.statuses import TaskRunStatus


def test_a_cancel_target_is_any_task_run_status_or_the_stuck_marker():
    assert [member.value for member in CancelTarget][:-1] == [member.value for member in TaskRunStatus]
    assert CancelTarget.FARMSTEAD_STUCK not in {member.value for member in TaskRunStatus}
