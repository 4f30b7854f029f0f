"""The worker's life: its identity, its fleet credentials, the STARTED handshake, the loop, a clean stop.

Owns: the work directory (an exclusive lock so two workers never share an identity, `worker.json`
with the workerId so a restarted worker resumes it, `logs/`, `sessions/`, `worker.log`, and
`instances/`, where process_guard.py records what must die with each instance);
CreateWorker or resuming the saved identity (a worker the server no longer knows is created afresh),
and, when starting fails, not leaving that worker CREATED (deleted when it was made by this start and
the key may delete it, else STOPPED and kept in `worker.json` for the next start to reuse);
AssumeFleetRoleForWorker (credentials.py refreshes it); UpdateWorker STARTED with host properties
and capabilities (after a STATUS_CONFLICT it says STOPPED first, then STARTED again); the fleet's
host configuration script UpdateWorker answers, once per worker identity (host_configuration.py
runs it; on failure the worker says STOPPED and exits 1, as the official agent does); running the
Scheduler, and starting over when the server has marked the worker lost; its work hours (work_hours.py
says when they are): waiting for them before starting, UpdateWorker STOPPING when they end, STOPPED once
the server says it has drained, and starting again when they begin; what it reports of the host (the
whole host or its slot's share, slots.py) and the GPUs its sessions see; and shutdown: on SIGTERM or
SIGINT, UpdateWorker STOPPING (when sessions run), the running actions interrupted and reported,
queued ones NEVER_ATTEMPTED, UpdateWorker STOPPED, exit 0. A second signal kills running actions at
once. Must not: run actions, or interpret UpdateWorkerSchedule answers or sleep schedules itself.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from openjd.sessions import LOG as OPENJD_LOG

from farmstead import startup_heap
from farmstead.protocol.shapes import FleetStatus, UpdatedWorkerStatus
from farmstead.worker import credentials, gpus, host, host_configuration, retries, slots
from farmstead.worker.gpu_holds import GpuHolds
from farmstead.worker.host_stats import DEFAULT_INTERVAL_SECONDS, HostStats, HostStatsLogger
from farmstead.worker.process_guard import ProcessGuard
from farmstead.worker.schedule import Scheduler, WorkerLost, ask_to_be_held
from farmstead.worker.session_logs import LogShipper, SessionLogRouter, StreamHandler
from farmstead.worker.work_hours import WorkHours

log = logging.getLogger("farmstead.worker")

IDENTITY_FILE = "worker.json"
#: Calls made while stopping get this long each: a dead server must not hold the exit hostage.
STOP_CALL_SECONDS = 10.0
#: A second stop signal at least this long after the first kills running actions at once.
HURRY_AFTER_SECONDS = 1.0


class AgentError(Exception):
    """A failure the worker can't ride out (bad ids, refused credentials, a locked work dir)."""


@dataclass
class WorkerOptions:
    farm_id: str
    fleet_id: str
    work_dir: Path
    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None
    custom: host.Custom = field(default_factory=host.Custom)
    #: How long a running action may take to stop on SIGTERM before it is killed.
    shutdown_grace: float = 10.0
    #: One slot of several on this host (slots.py): it reports that slot's share and runs on its GPUs.
    slot: slots.Slot | None = None
    #: When the host may work (a sleep schedule, a workstation's idle rule); None: always.
    hours: WorkHours | None = None
    #: Seconds between host statistics lines in the worker log (worker/host_stats.py); 0: none.
    host_stats_interval: float = DEFAULT_INTERVAL_SECONDS


class Agent:
    def __init__(self, options: WorkerOptions) -> None:
        self.options = options
        self.work_dir = options.work_dir.resolve()
        self.stop = threading.Event()
        self.hurry = threading.Event()
        self.signal_name = "a stop request"
        self._lock_file: Any = None
        self._shipper: LogShipper | None = None
        self._agent_log: StreamHandler | None = None
        self._router = SessionLogRouter()
        self._scheduler: Scheduler | None = None
        self._worker_log_config: dict[str, Any] = {}
        self._host_configuration: dict[str, Any] | None = None
        self._renewal: tuple[credentials.Clients, dict[str, str]] | None = None
        self._renewed_at = float("-inf")
        #: The worker this start is bringing up (id, and whether this start created it), until it is STARTED.
        self._starting: tuple[str, bool] | None = None
        self._guard: ProcessGuard | None = None
        #: Set to end the watch on the host's work hours (work_hours.py) of the scheduler running now.
        self._hours_watch: threading.Event | None = None
        self._host_stats: HostStatsLogger | None = None

    # --- entry point -----------------------------------------------------------------------------

    def run(self) -> int:
        self._prepare_work_dir()
        # Before any session starts: what an earlier, killed instance left must not run on beside ours.
        try:
            self._guard = ProcessGuard.start(self.work_dir)
        except OSError as error:  # the host's job goes on; only the clean-up after a crash is lost
            log.warning("could not start the process guard (%s): if this worker is killed, its running "
                        "tasks keep running", error)
        try:
            return self._run()
        finally:
            if self._guard is not None:
                self._guard.close()

    def _run(self) -> int:
        bootstrap = credentials.bootstrap_clients(self.options.profile, self.options.region, self.options.endpoint_url)
        detected, gpu_holds = self._this_host()
        capabilities = host.capabilities(detected, self.options.custom)
        properties = host.host_properties()
        scheduler: Scheduler | None = None
        outcome = "signal"
        try:
            while not self.stop.is_set():
                self._starting = None
                if self.options.hours is not None and not self.options.hours.wait_until_available(self.stop):
                    break
                try:
                    worker_id, fleet = self._identity(bootstrap, properties)
                    ids = self._ids(worker_id)
                    clients = fleet.clients()
                    deadline_client = clients.client("deadline")
                    ask_to_be_held(deadline_client)
                    started = self._start(deadline_client, ids, capabilities, properties)
                except BaseException:
                    self._abandon_start(bootstrap)
                    raise
                if not started:
                    self._forget_identity()
                    continue
                self._starting = None
                log.info("worker %s STARTED on fleet %s (%s, %d vCPU, %d MiB)", worker_id, self.options.fleet_id,
                         detected.os_family, detected.vcpus, detected.memory_mib)
                self._renewal = (bootstrap, ids)
                if self._shipper is None:
                    self._shipper = LogShipper(clients.client("logs"), on_denied=self._renew_log_credentials).start()
                else:
                    self._shipper.client = clients.client("logs")  # a new identity signs with its own role
                self._upload_agent_log(ids)
                if self._host_stats is None and self.options.host_stats_interval > 0:  # from the first STARTED on
                    self._host_stats = HostStatsLogger(HostStats(self.work_dir),
                                                       self.options.host_stats_interval).start()
                configured = self._configure_host(deadline_client, ids, fleet)
                if configured is not True:
                    if self._shipper is not None:
                        self._shipper.stop(timeout=5)
                    return 0 if configured == "stopped" else 1
                scheduler = Scheduler(deadline_client, ids, self.work_dir, self._shipper, self._router, self.stop,
                                      process_env=self._guard.environment if self._guard else {}, gpu_holds=gpu_holds)
                self._scheduler = scheduler
                if self.stop.is_set():
                    break
                running = scheduler
                # Its clients, models and threads are built: out of the collector's full passes, which
                # would otherwise stall a session action each (farmstead.startup_heap; once a process).
                frozen = startup_heap.freeze()
                if frozen:
                    log.info("start-up heap frozen: %d objects out of the collector's full passes", frozen)
                resting = self._watch_hours(deadline_client, ids, running)
                try:
                    outcome = running.run()
                    if outcome == "service" and resting.is_set():
                        self._rest(running, deadline_client, ids)
                        scheduler = self._scheduler = None
                        continue  # to wait for the host's next work hours, and start again
                    break
                except WorkerLost as lost:
                    log.warning("the server no longer counts this worker as started (%s); starting again", lost)
                    running.abandon()
                    if lost.deleted:
                        self._forget_identity()
                    self.stop.wait(1.0)  # an operator stopping it again and again must not make this spin
                finally:
                    self._end_watch()
        except retries.Stopped:
            pass
        if self._host_stats is not None:
            self._host_stats.stop()
        if scheduler is not None:
            self._shut_down(scheduler, deadline_client, ids, outcome)
        elif self._shipper is not None:
            self._shipper.stop(timeout=5)
        log.info("worker stopped")
        return 0

    # --- work hours (work_hours.py) ----------------------------------------------------------------

    def _watch_hours(self, client: Any, ids: dict[str, str], scheduler: Scheduler) -> threading.Event:
        """Set from when the host's work hours end while it runs: it has said STOPPING, so the server
        lets its sessions finish what they hold, gives it nothing new, then answers desiredWorkerStatus
        STOPPED (as for a drain: docs/fleets.md, "Sleep schedules")."""
        resting = threading.Event()
        if self.options.hours is None:
            return resting

        def begin_rest() -> None:
            resting.set()
            try:
                retries.call(lambda: client.update_worker(**ids, status=UpdatedWorkerStatus.STOPPING),
                             "UpdateWorker STOPPING", stop=self.stop)
            except retries.Stopped:
                return
            except ClientError as error:  # e.g. lost meanwhile: the scheduler's next call says so
                log.warning("UpdateWorker STOPPING failed: %s", retries.describe(error))
                return
            log.info("worker %s is STOPPING: it finishes what it holds and takes nothing new", ids["workerId"])
            scheduler.wake.set()

        self._hours_watch = self.options.hours.watch(begin_rest)
        return resting

    def _end_watch(self) -> None:
        if self._hours_watch is not None:
            self._hours_watch.set()
            self._hours_watch = None

    def _rest(self, scheduler: Scheduler, client: Any, ids: dict[str, str]) -> None:
        """Drained after its work hours ended: STOPPED until they begin again (no calls meanwhile)."""
        scheduler.drain("The worker's work hours ended", timedelta(seconds=self.options.shutdown_grace), self.hurry)
        self._update_status(client, ids, UpdatedWorkerStatus.STOPPED)
        log.info("worker %s STOPPED until its work hours begin again", ids["workerId"])

    def _this_host(self) -> tuple[host.Detected, GpuHolds | None]:
        """What this worker reports (the whole host, or its slot's share) and, on a GPU host, the record
        through which each session takes its cards (shared with the host's other slots: their work dirs
        are inside the host's)."""
        cards = gpus.detect()
        detected = host.detect(self.work_dir, cards)
        own = cards
        if self.options.slot is not None:
            detected = slots.share(detected, cards, self.options.slot)
            own = slots.gpus_of(cards, self.options.slot)
        if own:
            log.info("This worker's own GPUs (its sessions take these first): %s",
                     ", ".join(f"{card.index} ({card.name})" for card in own))
        if not cards:
            return detected, None
        host_dir = self.work_dir.parent if self.options.slot is not None else self.work_dir
        return detected, GpuHolds(host_dir, cards, own)

    def _ids(self, worker_id: str) -> dict[str, str]:
        return {"farmId": self.options.farm_id, "fleetId": self.options.fleet_id, "workerId": worker_id}

    # --- signals ---------------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        first_at: list[float] = []

        def handler(signum: int, _frame: Any) -> None:
            if self.stop.is_set():
                # Ctrl-C under a supervisor delivers SIGINT from the terminal and SIGTERM from the
                # supervisor together: only a signal that comes later is a request to hurry.
                if time.monotonic() - first_at[0] >= HURRY_AFTER_SECONDS:
                    self.hurry.set()
                return
            first_at.append(time.monotonic())
            self.signal_name = f"signal {signum} ({signal.Signals(signum).name})"
            self.stop.set()
            if self._scheduler is not None:
                self._scheduler.wake.set()  # don't sleep out the rest of the interval

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    # --- work dir and identity -------------------------------------------------------------------

    def _prepare_work_dir(self) -> None:
        for sub in ("logs", "sessions"):
            (self.work_dir / sub).mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.work_dir / "worker.lock", "a+")
        if sys.platform != "win32":  # Windows has no advisory locks: one worker per work dir is on the user
            import fcntl

            try:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise AgentError(f"another worker is running with work dir {self.work_dir}") from None
        file_handler = logging.FileHandler(self.work_dir / "worker.log", encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(file_handler)
        OPENJD_LOG.addHandler(self._router)
        OPENJD_LOG.setLevel(logging.INFO)
        OPENJD_LOG.propagate = False  # session output goes to session logs, not the worker's stderr

    def _saved_identity(self) -> str | None:
        path = self.work_dir / IDENTITY_FILE
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if saved.get("farmId") != self.options.farm_id or saved.get("fleetId") != self.options.fleet_id:
            log.warning("%s belongs to another fleet (%s/%s); creating a new worker", path, saved.get("farmId"),
                        saved.get("fleetId"))
            return None
        return saved.get("workerId")

    def _save_identity(self, worker_id: str, host_configured: bool = False) -> None:
        path = self.work_dir / IDENTITY_FILE
        temporary = path.with_suffix(".tmp")
        saved: dict[str, Any] = {"workerId": worker_id, "farmId": self.options.farm_id,
                                 "fleetId": self.options.fleet_id}
        if host_configured:
            saved["hostConfigurationSucceeded"] = True
        temporary.write_text(json.dumps(saved, indent=2) + "\n")
        os.replace(temporary, path)

    def _host_configured(self, worker_id: str) -> bool:
        try:
            saved = json.loads((self.work_dir / IDENTITY_FILE).read_text())
        except (OSError, ValueError):
            return False
        return saved.get("workerId") == worker_id and saved.get("hostConfigurationSucceeded") is True

    def _forget_identity(self) -> None:
        (self.work_dir / IDENTITY_FILE).unlink(missing_ok=True)

    def _identity(self, bootstrap: credentials.Clients, properties: dict) -> tuple[str, credentials.FleetRole]:
        client = bootstrap.client("deadline")
        fleet_ids = {"farmId": self.options.farm_id, "fleetId": self.options.fleet_id}
        worker_id = self._saved_identity()
        if worker_id is not None:
            self._starting = (worker_id, False)
            try:
                return worker_id, credentials.FleetRole(bootstrap, self._ids(worker_id), self.options.profile,
                                                        self.stop)
            except ClientError as error:
                if retries.error_code(error) != "ResourceNotFoundException":
                    raise AgentError(f"AssumeFleetRoleForWorker: {retries.describe(error)}") from error
                log.warning("the server does not know worker %s any more; creating a new one", worker_id)
                self._forget_identity()
                self._starting = None
        while True:
            try:
                worker_id = retries.call(lambda: client.create_worker(**fleet_ids, hostProperties=properties),
                                         "CreateWorker", stop=self.stop)["workerId"]
                break
            except ClientError as error:
                if retries.error_reason(error) == "STATUS_CONFLICT" and \
                        retries.conflicting_status(error) == FleetStatus.CREATE_IN_PROGRESS:
                    self.stop.wait(5)
                    continue
                raise AgentError(f"CreateWorker: {retries.describe(error)}") from error
        self._save_identity(worker_id)
        self._starting = (worker_id, True)
        log.info("created worker %s", worker_id)
        try:
            return worker_id, credentials.FleetRole(bootstrap, self._ids(worker_id), self.options.profile, self.stop)
        except ClientError as error:
            raise AgentError(f"AssumeFleetRoleForWorker: {retries.describe(error)}") from error

    def _abandon_start(self, bootstrap: credentials.Clients) -> None:
        """Starting failed (or was stopped) before the worker said STARTED: leave nothing CREATED behind.

        A worker this start created is deleted when the key may (DeleteWorker needs MANAGER; a render
        node's key is often only a fleet CONTRIBUTOR), and forgotten. Otherwise it is set STOPPED and
        stays in worker.json, so the next start from this work dir reuses it instead of making another."""
        if self._starting is None:
            return
        worker_id, created = self._starting
        self._starting = None
        client = bootstrap.client("deadline")
        ids = self._ids(worker_id)
        give_up = time.monotonic() + STOP_CALL_SECONDS
        if created:
            try:
                retries.call(lambda: client.delete_worker(**ids), "DeleteWorker", deadline=give_up)
            except Exception as error:  # noqa: BLE001 - stopping it instead is as good for the fleet
                log.info("could not delete worker %s (%s); setting it STOPPED for the next start to reuse",
                         worker_id, retries.describe(error))
            else:
                self._forget_identity()
                log.warning("deleted worker %s, which never started", worker_id)
                return
        try:
            retries.call(lambda: client.update_worker(**ids, status=UpdatedWorkerStatus.STOPPED),
                         "UpdateWorker STOPPED", deadline=give_up)
            log.warning("worker %s did not start; it is STOPPED, and the next start from %s reuses it", worker_id,
                      self.work_dir)
        except Exception as error:  # noqa: BLE001 - the start's own error is the one to report
            log.warning("could not set worker %s STOPPED: %s", worker_id, retries.describe(error))

    # --- status ----------------------------------------------------------------------------------

    def _start(self, client: Any, ids: dict[str, str], capabilities: dict, properties: dict) -> bool:
        """UpdateWorker STARTED; False when the server no longer knows the worker."""
        for _ in range(3):
            try:
                answer = retries.call(lambda: client.update_worker(**ids, status=UpdatedWorkerStatus.STARTED,
                                                                   capabilities=capabilities,
                                                                   hostProperties=properties),
                                      "UpdateWorker STARTED", stop=self.stop)
                self._worker_log_config = answer.get("log") or {}
                self._host_configuration = answer.get("hostConfiguration")
                return True
            except ClientError as error:
                code, reason = retries.error_code(error), retries.error_reason(error)
                if code == "ResourceNotFoundException":
                    return False
                if code == "ConflictException" and reason == "STATUS_CONFLICT":
                    # e.g. STOPPING from a run that died mid-drain: finish that stop, then start again.
                    log.info("worker is %s on the server; stopping it before starting again",
                             retries.conflicting_status(error))
                    retries.call(lambda: client.update_worker(**ids, status=UpdatedWorkerStatus.STOPPED),
                                 "UpdateWorker STOPPED", stop=self.stop)
                    continue
                raise AgentError(f"UpdateWorker STARTED: {retries.describe(error)}") from error
        raise AgentError("UpdateWorker STARTED kept conflicting with the worker's status")

    def _configure_host(self, client: Any, ids: dict[str, str], fleet: credentials.FleetRole) -> bool | str:
        """The fleet's host configuration script, before any work: True when there is none, it
        succeeded, or it succeeded before for this worker (the official agent remembers that too);
        "stopped" when a stop request ended it; False when it failed, the worker now STOPPED."""
        configuration = self._host_configuration
        if not configuration or not configuration.get("scriptBody"):
            return True
        if self._host_configured(ids["workerId"]):
            log.info("The host configuration script ran on this worker before; not running it again.")
            return True
        timeout = int(configuration["scriptTimeoutSeconds"])
        keys = fleet.credentials.get_frozen_credentials()
        if keys.access_key is None or keys.secret_key is None:
            raise AgentError("AssumeFleetRoleForWorker answered credentials without keys")
        fleet_keys = {"access_key": keys.access_key, "secret_key": keys.secret_key}
        if keys.token:
            fleet_keys["token"] = keys.token
        env = host_configuration.environment(ids, timeout, fleet_keys)
        outcome = host_configuration.run(configuration["scriptBody"], timeout, env, self.work_dir, self.stop)
        if outcome.succeeded:
            log.info("Host configuration succeeded; the worker takes work now.")
            self._save_identity(ids["workerId"], host_configured=True)
            return True
        if self.stop.is_set():
            log.info("Stopping on %s during host configuration: %s", self.signal_name, outcome.message)
            self._update_status(client, ids, UpdatedWorkerStatus.STOPPED)
            return "stopped"
        log.error("Host configuration failed: %s. This worker can't run jobs; it stops.", outcome.message)
        self._update_status(client, ids, UpdatedWorkerStatus.STOPPED)
        return False

    def _upload_agent_log(self, ids: dict[str, str]) -> None:
        """Upload the worker's own log to the stream UpdateWorker(STARTED) named (a new one after a new identity)."""
        options = self._worker_log_config.get("options") or {}
        if self._shipper is None or not options.get("logGroupName"):
            return
        target = (options["logGroupName"], options.get("logStreamName") or ids["workerId"])
        if self._agent_log is not None:
            if self._agent_log.target == target:
                return
            log.removeHandler(self._agent_log)
            self._agent_log.close_stream()
        self._agent_log = StreamHandler(self._shipper.open(*target))
        log.addHandler(self._agent_log)

    def _renew_log_credentials(self) -> None:
        """Fresh fleet keys for log uploads (they cover queues associated since the last ones); once a
        minute at most."""
        if self._renewal is None or self._shipper is None or time.monotonic() - self._renewed_at < 60:
            return
        self._renewed_at = time.monotonic()
        bootstrap, ids = self._renewal
        try:
            fleet = credentials.FleetRole(bootstrap, ids, self.options.profile, self.stop)
        except Exception as error:  # noqa: BLE001 - the lines wait; the next denial tries again
            log.warning("could not renew the fleet credentials for log uploads: %s", retries.describe(error))
            return
        self._shipper.client = fleet.clients().client("logs")
        log.info("log uploads were denied; renewed the fleet credentials they use")

    def _update_status(self, client: Any, ids: dict[str, str], status: str) -> None:
        try:
            retries.call(lambda: client.update_worker(**ids, status=status), f"UpdateWorker {status}",
                         deadline=time.monotonic() + STOP_CALL_SECONDS)
        except Exception as error:  # noqa: BLE001 - stopping goes on; the liveness sweep covers the server
            log.warning("UpdateWorker %s failed: %s", status, retries.describe(error))

    def _shut_down(self, scheduler: Scheduler, client: Any, ids: dict[str, str], outcome: str) -> None:
        if outcome == "service":
            log.info("the server asked this worker to stop")
        else:
            log.info("stopping on %s", self.signal_name)
        if scheduler.busy or len(scheduler.reports):
            # STOPPING first: the last reports' call is then answered at once, never held as an
            # idle worker's would be (docs/protocol.md, "Held schedule calls").
            self._update_status(client, ids, UpdatedWorkerStatus.STOPPING)
        message = f"Farmstead worker received {self.signal_name}" if outcome == "signal" \
            else "The service stopped the worker"
        scheduler.drain(message, timedelta(seconds=self.options.shutdown_grace), self.hurry)
        if len(scheduler.reports):
            scheduler.sync(deadline=time.monotonic() + STOP_CALL_SECONDS, apply=False)
        self._update_status(client, ids, UpdatedWorkerStatus.STOPPED)
        log.info("worker %s STOPPED", ids["workerId"])
        if self._agent_log is not None:
            log.removeHandler(self._agent_log)
        if self._shipper is not None:
            self._shipper.stop(timeout=5)


def configure_logging(verbose: bool, label: str | None = None) -> None:
    """Log to stderr; `label` (a slot's) goes on every line, as a host's slots share one stderr."""
    handler = logging.StreamHandler(sys.stderr)
    prefix = f"[{label}] " if label else ""
    handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {prefix}%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
