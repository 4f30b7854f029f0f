"""`farmstead up`: a working render farm on this machine in one command.

Owns: the order of things — the S3 store for job attachments comes up (SeaweedFS under DATA_DIR/s3
unless --s3-endpoint-url names the operator's own), the server (embedded store) comes up, the
administrator's key is read,
the local farm, queue, fleet and their association are created on first run (resumed from
DATA_DIR/up.json afterwards), the AWS profile `farmstead` and the `deadline` CLI's defaults for it
are written, N local workers start, and a few lines say what runs where and what changed in the
user's files. Ctrl-C/SIGTERM stop the workers, then the server, then the S3 store; exit 0.
Must not: run the processes itself (up_processes.py does), edit the user's AWS or deadline files by
hand (aws_profile.py, deadline_config.py), or talk to the store directly: everything goes through
the API, as any client would.
"""

from __future__ import annotations

import configparser
import os
import platform
import sys
from pathlib import Path
from typing import Any

import boto3
import click
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.bootstrap import PROFILE as CREDENTIALS_PROFILE
from farmstead.cli import deadline_config
from farmstead.cli.aws_profile import PROFILE, write_profile
from farmstead.cli.hints import command, short_path
from farmstead.cli.local_farm import LocalFarm
from farmstead.cli.options import data_dir_option, settings_from
from farmstead.cli.up_processes import Child, Stopping, Supervisor, child_env, farmstead_command, port_in_use
from farmstead.cli.up_store import BUCKET, AttachmentStore, ensure_queue_attachments, external, start_embedded
from farmstead.config import Settings
from farmstead.domain.statuses import QueueFleetAssociationStatus

FARM_NAME = "Local farm"
QUEUE_NAME = "Default queue"
FLEET_NAME = "Local fleet"


@click.command()
@click.option("--workers", type=click.IntRange(0, 256), default=2, show_default=True,
              help="How many local `farmstead worker` processes to run.")
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the API listens on.")
@click.option("--port", default=8245, show_default=True, type=click.IntRange(1, 65535))
@click.option("--s3-endpoint-url", default=None, envvar="FARMSTEAD_S3_ENDPOINT_URL",
              help="Your own S3 store for job attachments (MinIO, Ceph RGW, AWS S3), with its key in "
                   "FARMSTEAD_S3_ACCESS_KEY_ID/FARMSTEAD_S3_SECRET_ACCESS_KEY (docs/attachments.md). "
                   "Default: SeaweedFS, started under DATA_DIR/s3.")
@click.option("--s3-port", default=None, type=click.IntRange(1, 65535),
              help="Port of the embedded SeaweedFS's S3 (default: the one it had last time, else --port + 1).")
@click.option("--s3-bucket", default=BUCKET, show_default=True, help="The bucket the queue's attachments go to.")
def up(workers: int, data_dir: Path, host: str, port: int, s3_endpoint_url: str | None, s3_port: int | None,
       s3_bucket: str) -> None:
    """Start the S3 store, the server and local workers; create a farm, queue and fleet on first run."""
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    _lock(data_dir)
    settings = settings_from(data_dir, None)
    if port_in_use(host, port):
        raise click.ClickException(f"port {port} on {host} is in use (another Farmstead server?); "
                                   "choose another with --port")
    endpoint = f"http://{_client_host(host)}:{port}"
    logs = data_dir / "logs"
    supervisor = Supervisor(say=click.echo)
    supervisor.install_signal_handlers()
    code = 0
    store = None
    try:
        store = _start_store(supervisor, data_dir, host, port, s3_endpoint_url, s3_port, s3_bucket, logs)
        server = Child("server", farmstead_command("server", "--host", host, "--port", str(port),
                                                   "--data-dir", str(data_dir)),
                       child_env({**os.environ, **store.server_env}), logs / "server.log")
        click.echo(f"Starting the Farmstead server on {endpoint} …")
        supervisor.start_server(server, f"{endpoint}/health")
        key_id, secret = _admin_credentials(settings)
        client = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                       region_name=settings.region).client(
            "deadline", endpoint_url=endpoint, config=Config(inject_host_prefix=False))
        local, created = ensure_local_farm(client, data_dir, endpoint, settings, workers)
        farm_id, queue_id, _ = local.ids()
        ensure_queue_attachments(client, farm_id, queue_id, store, settings.account_id)
        supervisor.check()
        written = _write_profile(endpoint, settings.region, key_id, secret, store.endpoint)
        started = _start_workers(supervisor, workers, local, endpoint, settings.region, key_id, secret, data_dir,
                                 store.endpoint)
        cli_note = _set_deadline_cli_defaults(local, settings.region)
        _summary(data_dir, endpoint, local, created, started, written, cli_note, store)
        code = supervisor.watch()
    except Stopping:
        pass
    except (ClientError, BotoCoreError) as exc:
        click.echo(f"Setting up the local farm failed: {exc}", err=True)
        code = 1
    except RuntimeError as exc:
        click.echo(str(exc), err=True)
        code = 1
    finally:
        supervisor.shutdown()
        if store is not None and store.seaweedfs is not None:
            store.seaweedfs.remove_sockets()
    click.echo("Farmstead stopped.")
    sys.exit(code)


# ----- the farm -----

def _start_store(supervisor: Supervisor, data_dir: Path, host: str, port: int, endpoint_url: str | None,
                 s3_port: int | None, bucket: str, logs: Path) -> AttachmentStore:
    if endpoint_url:
        return external(endpoint_url, bucket, dict(os.environ))
    if s3_port is None and not (data_dir / "s3" / "ports.json").exists() and port < 65535:
        s3_port = port + 1  # beside the API on a first run; the port is kept in DATA_DIR/s3 afterwards
        if port_in_use(host, s3_port):
            s3_port = None
    click.echo("Starting the S3 store for job attachments (SeaweedFS) …")
    return start_embedded(supervisor, data_dir, host, s3_port, bucket, logs)


def this_host() -> dict:
    """What the fleet declares: this machine's vCPUs, memory, OS family and CPU architecture."""
    system = platform.system()
    os_family = {"Linux": "LINUX", "Darwin": "MACOS", "Windows": "WINDOWS"}.get(system)
    machine = platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "arm64", "aarch64": "arm64"}.get(machine)
    if os_family is None or arch is None:
        raise click.ClickException(f"Deadline Cloud fleets describe Linux, macOS or Windows hosts on x86_64 "
                                   f"or arm64; this one is {system} on {machine}")
    return {"vcpus": os.cpu_count() or 1, "memory_mib": _memory_mib(), "os_family": os_family, "arch": arch}


def _memory_mib() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (AttributeError, ValueError, OSError):
        pass
    if sys.platform == "win32":
        import ctypes

        class MemoryStatus(ctypes.Structure):
            _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                        ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                        ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                        ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                        ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

        status = MemoryStatus(dwLength=ctypes.sizeof(MemoryStatus))
        ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))
        return status.ullTotalPhys // (1024 * 1024)
    return 1024


def fleet_capabilities(host: dict, existing: dict | None = None) -> dict:
    """The host's values as exact ranges: a step's requirement fits the fleet exactly when it fits
    this host (the fleet's whole range must lie inside the step's). Other keys the operator added to
    the fleet (accelerators, custom amounts) are kept."""
    capabilities = dict(existing or {})
    capabilities.update({
        "vCpuCount": {"min": host["vcpus"], "max": host["vcpus"]},
        "memoryMiB": {"min": host["memory_mib"], "max": host["memory_mib"]},
        "osFamily": host["os_family"],
        "cpuArchitectureType": host["arch"],
    })
    return capabilities


def ensure_local_farm(client, data_dir: Path, endpoint: str, settings: Settings,
                      workers: int) -> tuple[LocalFarm, list[str]]:
    """The farm, queue, fleet and association of up.json, creating what is missing; returns the
    state and the names of what was created now."""
    local = LocalFarm.load(data_dir) or LocalFarm()
    local.endpoint, local.region = endpoint, settings.region
    created: list[str] = []
    if not (local.farmId and _exists(client.get_farm, farmId=local.farmId)):
        local.farmId = client.create_farm(displayName=FARM_NAME,
                                          description="Created by `farmstead up`")["farmId"]
        local.queueId = local.fleetId = None
        created.append("farm")
        local.save(data_dir)
    farm = {"farmId": local.farmId}
    if not (local.queueId and _exists(client.get_queue, **farm, queueId=local.queueId)):
        local.queueId = client.create_queue(**farm, displayName=QUEUE_NAME,
                                            jobRunAsUser={"runAs": "WORKER_AGENT_USER"})["queueId"]
        created.append("queue")
        local.save(data_dir)
    host = this_host()
    wanted_max = max(workers, 1)
    fleet = _get(client.get_fleet, **farm, fleetId=local.fleetId) if local.fleetId else None
    if fleet is None:
        local.fleetId = client.create_fleet(
            **farm, displayName=FLEET_NAME, description=f"This host ({platform.node()}), by `farmstead up`",
            roleArn=f"arn:aws:iam::{settings.account_id}:role/FarmsteadLocalFleet",
            minWorkerCount=0, maxWorkerCount=wanted_max,
            configuration={"customerManaged": {"mode": "NO_SCALING",
                                               "workerCapabilities": fleet_capabilities(host)}})["fleetId"]
        created.append("fleet")
        local.save(data_dir)
    else:
        _reconcile_fleet(client, fleet, host, wanted_max)
    ids = {**farm, "queueId": local.queueId, "fleetId": local.fleetId}
    association = _get(client.get_queue_fleet_association, **ids)
    if association is None:
        client.create_queue_fleet_association(**ids)
        created.append("queue-fleet association")
    elif association["status"] != QueueFleetAssociationStatus.ACTIVE:
        # A resumed farm should run jobs: an association someone stopped is started again.
        client.update_queue_fleet_association(**ids, status=QueueFleetAssociationStatus.ACTIVE)
    local.save(data_dir)
    return local, created


def _reconcile_fleet(client, fleet: dict, host: dict, wanted_max: int) -> None:
    """A data dir moved to another host, or more workers than before: the fleet follows."""
    customer = fleet["configuration"].get("customerManaged")
    if customer is None:
        return
    capabilities = fleet_capabilities(host, customer["workerCapabilities"])
    changes: dict[str, Any] = {}
    if capabilities != customer["workerCapabilities"]:
        changes["configuration"] = {"customerManaged": {**customer, "workerCapabilities": capabilities}}
    if fleet["maxWorkerCount"] < wanted_max:
        changes["maxWorkerCount"] = wanted_max
    if changes:
        client.update_fleet(farmId=fleet["farmId"], fleetId=fleet["fleetId"], **changes)


def _get(operation, **ids) -> dict | None:
    try:
        return operation(**ids)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def _exists(operation, **ids) -> bool:
    return _get(operation, **ids) is not None


# ----- credentials, workers, the deadline CLI -----

def _admin_credentials(settings: Settings) -> tuple[str, str]:
    if settings.admin_access_key_id and settings.admin_secret_access_key:
        return settings.admin_access_key_id, settings.admin_secret_access_key
    path = settings.data_dir / "credentials"
    parser = configparser.RawConfigParser()
    parser.read(path)
    if not parser.has_section(CREDENTIALS_PROFILE):
        raise RuntimeError(f"the server wrote no administrator key to {path}")
    section = parser[CREDENTIALS_PROFILE]
    return section["aws_access_key_id"], section["aws_secret_access_key"]


def _write_profile(endpoint: str, region: str, key_id: str, secret: str, s3_endpoint: str) -> str:
    """The summary's profile line; a file we may not write is reported, not fatal."""
    try:
        written = write_profile(endpoint, region, key_id, secret, s3_endpoint=s3_endpoint)
    except OSError as exc:
        return f"not written ({exc}); use AWS_ENDPOINT_URL={endpoint} with the keys in the data dir"
    line = f"{PROFILE} in {_short(written.config)} and {_short(written.credentials)}"
    if not written.changed:
        return line + " (unchanged)"
    line += f" (written: {', '.join(_short(p) for p in written.changed)}"
    if written.backups:
        line += f"; originals kept as {', '.join(_short(p) for p in written.backups)}"
    return line + ")"


def _start_workers(supervisor: Supervisor, count: int, local: LocalFarm, endpoint: str, region: str,
                   key_id: str, secret: str, data_dir: Path, s3_endpoint: str) -> int:
    # Local workers run as the operator, who can read DATA_DIR/credentials anyway: they bootstrap
    # with the administrator's key, from the environment (the standard AWS chain). Attachments go to
    # the store with the queue's keys, which the worker asks Farmstead for.
    env = child_env(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret, AWS_SESSION_TOKEN=None,
                    AWS_PROFILE=None, AWS_DEFAULT_PROFILE=None, AWS_DEFAULT_REGION=region, AWS_REGION=region,
                    AWS_ENDPOINT_URL_S3=s3_endpoint)
    farm_id, _, fleet_id = local.ids()
    for number in range(1, count + 1):
        work_dir = data_dir / "workers" / str(number)
        work_dir.mkdir(parents=True, exist_ok=True)
        supervisor.check()
        supervisor.start_worker(Child(
            f"worker {number}",
            farmstead_command("worker", "--endpoint-url", endpoint, "--farm-id", farm_id,
                              "--fleet-id", fleet_id, "--work-dir", str(work_dir)),
            env, data_dir / "logs" / f"worker-{number}.log"))
    return count


def _set_deadline_cli_defaults(local: LocalFarm, region: str) -> str:
    """The `deadline` CLI's defaults for the profile, written into its settings file whether or not the
    CLI is installed yet (installed later, `deadline bundle submit` works at once); the summary's line."""
    try:
        farm_id, queue_id, _ = local.ids()
        written = deadline_config.point_at(PROFILE, farm_id, queue_id, region)
    except OSError as exc:
        return f"defaults not written ({exc}); give --profile {PROFILE} --farm-id … --queue-id …"
    where = _short(written.path)
    if written.changes:
        line = f"set in {where}: " + "; ".join(written.changes)
        if written.backup is not None:
            line += f" (original kept as {_short(written.backup)})"
    else:
        line = f"{where} already names this farm and queue for profile {PROFILE}"
    if written.kept_profile is not None:
        line += (f"; your default profile stays {written.kept_profile!r}, so use "
                 f"`deadline bundle submit --profile {PROFILE} …` for this farm")
    return line


# ----- what the operator sees -----

def _summary(data_dir: Path, endpoint: str, local: LocalFarm, created: list[str], workers: int,
             written: str, cli_note: str, store: AttachmentStore) -> None:
    shown = _short(data_dir)
    verb = f"created {', '.join(created)}" if created else "resumed"
    # The hints run as printed: a data dir other than the default one is named in them.
    data_dir_words = [] if data_dir == (Path.cwd() / "farmstead-data").resolve() else ["--data-dir", shown]
    worker_line = (f"{workers} local worker{'s' if workers != 1 else ''} (work dirs {shown}/workers/, "
                   f"logs {shown}/logs/worker-N.log)" if workers else "no local workers (--workers 0)")
    lines = [
        f"Farmstead is up (data in {shown}).",
        f"  API      {endpoint}  (log {shown}/logs/server.log)",
        f"  Monitor  {endpoint}/  sign in with the key pair in {shown}/credentials, or set a password: "
        f"{command('users', 'passwd', 'admin', '--data-dir', shown)}",
        f"  Farm     {FARM_NAME} {local.farmId}, queue {QUEUE_NAME} {local.queueId}  [{verb}]",
        f"  Fleet    {FLEET_NAME} {local.fleetId}: {worker_line}",
        f"  S3       {store.endpoint}  job attachments, {'SeaweedFS' if store.embedded else 'your store'}: "
        f"{store.note}" + (f" (log {shown}/logs/s3.log)" if store.embedded else ""),
        f"  Profile  {written}",
        f"  deadline CLI  {cli_note}",
        f"Try:  {command('submit', _example(), '--wait', *data_dir_words)}      "
        f"then: {command('status', *data_dir_words)}",
        "More workers:  " + command("worker", "--endpoint-url", endpoint, "--farm-id", local.farmId,
                                    "--fleet-id", local.fleetId, "--profile", PROFILE),
        "Ctrl-C stops the workers, then the server and the S3 store.",
    ]
    click.echo("\n".join(lines))


def _example() -> str:
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = root / "examples" / "hello"
        if candidate.is_dir():
            return _short(candidate)
    return "path/to/job_bundle"


def _short(path: Path) -> str:
    return short_path(path)


def _client_host(host: str) -> str:
    # A server on every interface is reached locally through loopback.
    if host in ("0.0.0.0", "", "*"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


_held_locks: list = []  # open lock files, kept for the life of the process (closing one releases it)


def _lock(data_dir: Path) -> None:
    """One `up` per data dir: a second one would fight the first over the store and the workers."""
    handle = open(data_dir / "up.lock", "w")
    _held_locks.append(handle)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; the port check still catches most cases
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise click.ClickException(f"another `farmstead up` is running with {data_dir}") from None
