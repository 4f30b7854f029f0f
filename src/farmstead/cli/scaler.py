"""`farmstead scaler`: run `farmstead worker` processes for an auto-scaling fleet, as many as the
server recommends (docs/fleets.md, "Scaling"), as processes on hosts or as Slurm jobs (`--slurm N`).

Owns: the command's flags (the fleet, the places: `--host HOST[:N]` or a `--hosts-file` TOML and the
ssh client configuration to reach them with, or
Slurm's job count and sbatch options; the flags every worker gets), the client it reads the fleet
with, and turning bad flags into a message.
Must not: start or stop processes itself (scaler/pool.py, scaler/slurm.py) or decide the size.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import boto3
import click
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.scaler.loop import Scaler
from farmstead.scaler.places import LOCAL, Place, parse_place, places_from_toml
from farmstead.scaler.pool import WorkerPool
from farmstead.scaler.slurm import SlurmPool
from farmstead.worker.credentials import CLIENT_CONFIG, DEFAULT_REGION


@click.command()
@click.option("--endpoint-url", envvar="FARMSTEAD_ENDPOINT_URL", default=None,
              help="The Farmstead server (default: the AWS configuration's endpoint).")
@click.option("--farm-id", envvar="FARMSTEAD_FARM_ID", required=True, help="farm-…")
@click.option("--fleet-id", envvar="FARMSTEAD_FLEET_ID", required=True,
              help="fleet-… (customer-managed, mode EVENT_BASED_AUTO_SCALING)")
@click.option("--host", "hosts", multiple=True, metavar="HOST[:N]",
              help="Where workers may run, N at most (default 1); `local` is this host, any other name is "
                   "reached with `ssh HOST`. Repeatable. Default: `local:1`.")
@click.option("--hosts-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A TOML file of [[hosts]] tables (host = \"NAME\", workers = N), added to --host.")
@click.option("--ssh-config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="An ssh client configuration file for the hosts (ssh -F FILE) instead of the user's.")
@click.option("--slurm", "slurm_jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Run the workers as Slurm jobs (sbatch), N at most, instead of on --host places.")
@click.option("--sbatch-arg", "sbatch_args", multiple=True, metavar="ARG",
              help="One more sbatch option per worker job (--sbatch-arg=--partition=render). Repeatable.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("farmstead-scaler"),
              show_default=True, help="Where each worker's work dir goes (the same path on every host).")
@click.option("--worker-arg", "worker_args", multiple=True, metavar="ARG",
              help="One more argument for every `farmstead worker` (repeat: --worker-arg=--slots --worker-arg=2).")
@click.option("--interval", type=click.FloatRange(min=0.1), default=15.0, show_default=True,
              help="Seconds between two looks at the fleet's recommended size.")
@click.option("--stop-timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
              help="On exit, how long a worker gets to drain before it is killed.")
@click.option("--profile", default=None, help="AWS profile to read the fleet with (and for local workers).")
@click.option("--region", default=None, help="Signing region (default: the profile's, else us-west-2).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def scaler(endpoint_url: str | None, farm_id: str, fleet_id: str, hosts: tuple[str, ...], hosts_file: Path | None,
           ssh_config: Path | None, slurm_jobs: int | None, sbatch_args: tuple[str, ...], work_dir: Path,
           worker_args: tuple[str, ...], interval: float, stop_timeout: float, profile: str | None, region: str | None,
           verbose: bool) -> None:
    """Keep an auto-scaling fleet's workers at the size the server recommends: start `farmstead worker`
    processes here or over SSH as work queues up, stop (drain) them once they have been idle."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        places = [parse_place(text) for text in hosts]
        if hosts_file is not None:
            places += places_from_toml(hosts_file)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if slurm_jobs is not None and places:
        raise click.UsageError("--slurm runs workers where Slurm puts them: give it or --host/--hosts-file, not both")
    places = places or [Place(LOCAL, 1)]
    args = [*(["--endpoint-url", endpoint_url] if endpoint_url else []), "--farm-id", farm_id, "--fleet-id", fleet_id,
            *(["--profile", profile] if profile else []), *(["--region", region] if region else []), *worker_args]
    session = boto3.Session(profile_name=profile)
    deadline = session.client("deadline", region_name=region or session.region_name or DEFAULT_REGION,
                              endpoint_url=endpoint_url, config=CLIENT_CONFIG)
    pool: WorkerPool | SlurmPool
    if slurm_jobs is not None:
        # The job runs on a cluster node with this Python (a shared install, as the work dir is shared).
        pool = SlurmPool([sys.executable, "-m", "farmstead", "worker"], args, work_dir.absolute(), slurm_jobs,
                         list(sbatch_args))
    else:
        pool = WorkerPool(places, args, work_dir.absolute(),
                          ssh_args=["-F", str(ssh_config.absolute())] if ssh_config is not None else [])
    loop = Scaler(deadline, farm_id, fleet_id, pool, interval, stop_timeout)
    try:
        loop.target()  # a fleet that can't be read or does not auto-scale is said at once, not in the loop
    except (ClientError, BotoCoreError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    loop.run()
