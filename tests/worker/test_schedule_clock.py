"""The worker says in its log when its host's clock is off the server's (the server's Date header)."""

import logging
import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from farmstead.worker.schedule import Scheduler, clock_offset
from farmstead.worker.session_logs import SessionLogRouter


class Server:
    """UpdateWorkerSchedule by script: an empty answer dated by a clock `behind` ours."""

    def __init__(self):
        self.behind = timedelta(0)

    def update_worker_schedule(self, **_):
        date = format_datetime(datetime.now(UTC) - self.behind, usegmt=True)
        return {"ResponseMetadata": {"HTTPHeaders": {"date": date}}, "assignedSessions": {},
                "cancelSessionActions": {}, "updateIntervalSeconds": 2}


def scheduler(tmp_path, server) -> Scheduler:
    return Scheduler(server, {"farmId": "farm-1", "fleetId": "fleet-1", "workerId": "worker-1"}, tmp_path, None,
                     SessionLogRouter(), threading.Event())


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "farmstead.worker" and r.levelno == logging.WARNING]


def test_a_clock_ten_minutes_fast_is_named_in_the_workers_log_once(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="farmstead.worker")
    server = Server()
    server.behind = timedelta(minutes=10)
    worker = scheduler(tmp_path, server)
    worker.sync()
    worker.sync()
    (line,) = warnings(caplog)
    assert re.search(r"this host.s clock is 60\d s ahead of the server.s", line), line
    server.behind = timedelta(0)
    worker.sync()
    assert "agrees with the server's again" in caplog.records[-1].getMessage()


def test_a_good_clock_gets_no_warning(tmp_path, caplog):
    worker = scheduler(tmp_path, Server())
    worker.sync()
    assert warnings(caplog) == []


def test_an_answer_without_a_date_header_measures_nothing():
    assert clock_offset({"ResponseMetadata": {"HTTPHeaders": {}}}, datetime.now(UTC)) is None
    assert clock_offset({}, datetime.now(UTC)) is None
    assert clock_offset({"ResponseMetadata": {"HTTPHeaders": {"date": "yesterday"}}},
                        datetime.now(UTC)) is None
