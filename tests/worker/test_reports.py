"""Session-action reports field by field, as the official agent sends them (docs/compatibility.md)."""

from datetime import UTC, datetime, timedelta

from openjd.sessions import ActionState, ActionStatus

from farmstead.worker import reports

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(seconds=5)


def test_running_reports_carry_updated_at_and_only_truthy_progress():
    assert reports.running(T0, T1) == {"startedAt": T0, "updatedAt": T1}
    status = ActionStatus(state=ActionState.RUNNING, progress=0.0, status_message="warming up")
    assert reports.running(T0, T1, status) == {"startedAt": T0, "updatedAt": T1, "progressMessage": "warming up"}
    status = ActionStatus(state=ActionState.RUNNING, progress=150.0)
    assert reports.running(T0, T1, status)["progressPercent"] == 100.0


def test_success_reports_exit_code_last_status_and_progress():
    status = ActionStatus(state=ActionState.SUCCESS, progress=100.0, status_message="done", exit_code=0)
    assert reports.completed(T0, T1, status) == {
        "startedAt": T0, "completedStatus": "SUCCEEDED", "progressPercent": 100.0, "processExitCode": 0,
        "progressMessage": "done", "endedAt": T1}


def test_success_without_a_process_has_no_exit_code():
    assert reports.completed(T0, T1, ActionStatus(state=ActionState.SUCCESS)) == {
        "startedAt": T0, "completedStatus": "SUCCEEDED", "endedAt": T1}


def test_failure_prefers_the_openjd_fail_message():
    status = ActionStatus(state=ActionState.FAILED, status_message="halfway", fail_message="disk full", exit_code=7)
    assert reports.completed(T0, T1, status) == {
        "startedAt": T0, "completedStatus": "FAILED", "processExitCode": 7, "progressMessage": "disk full",
        "endedAt": T1}


def test_failure_without_a_message_names_the_exit_code():
    status = ActionStatus(state=ActionState.FAILED, exit_code=3)
    assert reports.completed(T0, T1, status)["progressMessage"] == "Process exited with code 3"


def test_cancel_reports_the_signal_exit_code():
    status = ActionStatus(state=ActionState.CANCELED, exit_code=-9)
    assert reports.completed(T0, T1, status) == {
        "startedAt": T0, "completedStatus": "CANCELED", "processExitCode": -9, "endedAt": T1}


def test_timeout_is_reported_as_failed_with_the_agents_message():
    status = ActionStatus(state=ActionState.TIMEOUT, exit_code=-9)
    report = reports.completed(T0, T1, status)
    assert report["completedStatus"] == "FAILED"
    assert report["progressMessage"] == "TIMEOUT - Exceeded the allotted runtime limit."


def test_interrupted_and_never_attempted():
    assert reports.interrupted(T0, T1, "Farmstead worker received signal 15 (SIGTERM)", -15) == {
        "startedAt": T0, "completedStatus": "INTERRUPTED", "processExitCode": -15,
        "progressMessage": "Farmstead worker received signal 15 (SIGTERM)", "endedAt": T1}
    assert reports.never_attempted("earlier action failed") == {
        "completedStatus": "NEVER_ATTEMPTED", "progressMessage": "earlier action failed"}


def test_messages_are_cut_to_the_model_limit():
    status = ActionStatus(state=ActionState.FAILED, fail_message="x" * 5000, exit_code=1)
    assert len(reports.completed(T0, T1, status)["progressMessage"]) == 4096


def test_exit_codes_fold_into_signed_32_bits():
    assert reports.exit_code32(0) == 0
    assert reports.exit_code32(-9) == -9
    assert reports.exit_code32(0xC0000005) == -1073741819  # a Windows access violation
    assert reports.exit_code32(2**40 + 5) == 5


def test_commit_removes_only_what_was_sent():
    store = reports.ActionReports()
    store.put("a", {"startedAt": T0, "updatedAt": T0})
    sent = store.snapshot()
    store.put("a", {"startedAt": T0, "completedStatus": "SUCCEEDED", "endedAt": T1})  # while the call was out
    store.put("b", {"completedStatus": "NEVER_ATTEMPTED", "progressMessage": "x"})
    store.commit(sent)
    assert set(store.snapshot()) == {"a", "b"}
    store.commit(store.snapshot())
    assert len(store) == 0


def test_a_late_progress_update_never_hides_a_completion():
    store = reports.ActionReports()
    store.put("a", {"startedAt": T0, "completedStatus": "SUCCEEDED", "endedAt": T1})
    store.put("a", {"startedAt": T0, "updatedAt": T1})
    assert store.snapshot()["a"]["completedStatus"] == "SUCCEEDED"
