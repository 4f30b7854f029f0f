"""An action's output reaches its log as openjd forwards it, without openjd's 1 ms polling: real
processes through openjd-sessions' LoggingSubprocess, with the worker's pump installed."""

from __future__ import annotations

import logging
import os
import signal
import subprocess

import pytest
from openjd.sessions import _subprocess
from openjd.sessions._logging import LogContent, LoggerAdapter

from farmstead.worker import action_output


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def output(self) -> list[str]:
        return [r.getMessage() for r in self.records
                if r.openjd_log_content == LogContent.COMMAND_OUTPUT]  # type: ignore[attr-defined]

    def warnings(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == logging.WARNING]


@pytest.fixture
def records():
    action_output.install()
    logger = logging.getLogger(f"test-action-output-{os.getpid()}")
    handler = Records()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield LoggerAdapter(logger, extra={"session_id": "session-1"}), handler
    logger.removeHandler(handler)


def run(logger: LoggerAdapter, *args: str) -> None:
    process = _subprocess.LoggingSubprocess(logger=logger, args=list(args))
    process.run()
    assert process.exit_code == 0


def test_every_line_is_logged_in_order_the_last_one_without_a_newline_too(records):
    logger, handler = records
    run(logger, "sh", "-c", r"printf 'first\n\nthird\r\n'; sleep 0.3; printf 'last'")
    assert handler.output() == ["first", "", "third", "last"]
    assert handler.warnings() == []


def test_a_quiet_command_is_waited_for_not_polled_every_millisecond(records, monkeypatch):
    logger, _ = records
    polls = []
    real_poll = subprocess.Popen.poll
    monkeypatch.setattr(subprocess.Popen, "poll", lambda self: polls.append(1) or real_poll(self))
    run(logger, "sleep", "1")
    # openjd's own pump polls every millisecond: about a thousand times in this second.
    assert len(polls) < 10 / action_output.WAKE_SECONDS


def test_a_command_whose_leftover_process_keeps_the_output_open_ends_after_openjds_grace(records, monkeypatch):
    logger, handler = records
    monkeypatch.setattr(_subprocess, "STDOUT_END_GRACETIME_SECONDS", 1)
    run(logger, "sh", "-c", "sleep 30 & echo $!")
    leftover = int(handler.output()[0])
    try:
        assert handler.warnings() == [
            "Command exited but STDOUT stream is still open. Waiting gracetime of 1 seconds for the STDOUT stream "
            "to close before ending action.",
            "Gracetime of 1 seconds elapsed but the STDOUT stream is still open. Ending action."]
    finally:
        os.kill(leftover, signal.SIGKILL)
