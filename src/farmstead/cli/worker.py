"""`farmstead worker`: run this host as a worker of one fleet (the agent lives in farmstead.worker).

Owns: the command's flags and turning failures the worker can't ride out into a message and exit
status 1. Must not: talk to the server itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.worker import host
from farmstead.worker.agent import Agent, AgentError, WorkerOptions, configure_logging


@click.command("worker")
@click.option("--endpoint-url", envvar="FARMSTEAD_ENDPOINT_URL", default=None,
              help="The Farmstead server, e.g. http://127.0.0.1:8245 (default: the AWS configuration's "
                   "endpoint_url for the profile).")
@click.option("--farm-id", required=True, envvar="FARMSTEAD_FARM_ID", help="farm-…")
@click.option("--fleet-id", required=True, envvar="FARMSTEAD_FLEET_ID", help="fleet-… (a customer-managed fleet)")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("farmstead-worker"),
              show_default=True, envvar="FARMSTEAD_WORKER_DIR",
              help="Identity (worker.json), session logs and session working directories; one worker per dir.")
@click.option("--profile", default=None, help="AWS profile with the bootstrap credentials (default: the usual chain).")
@click.option("--region", default=None, help="Signing region (default: the profile's, else us-west-2).")
@click.option("--amount", "amounts", multiple=True, metavar="NAME=VALUE",
              help="A custom amount capability, e.g. licenses=2 (amount.licenses). Repeatable.")
@click.option("--attribute", "attributes", multiple=True, metavar="NAME=V1[,V2]",
              help="A custom attribute capability, e.g. renderer=arnold,karma (attr.renderer). Repeatable.")
@click.option("--capabilities-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TOML with [amounts] and [attributes] tables; flags override it.")
@click.option("--shutdown-grace", type=float, default=10.0, show_default=True,
              help="Seconds a running action gets to stop on SIGTERM before it is killed.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def worker(endpoint_url: str | None, farm_id: str, fleet_id: str, work_dir: Path, profile: str | None,
           region: str | None, amounts: tuple[str, ...], attributes: tuple[str, ...],
           capabilities_file: Path | None, shutdown_grace: float, verbose: bool) -> None:
    """Run jobs for FLEET: register (or resume) a worker, then take and run its sessions until SIGTERM."""
    try:
        custom = host.custom_capabilities(list(amounts), list(attributes),
                                          capabilities_file.read_text() if capabilities_file else None)
    except host.CapabilityError as err:
        raise click.BadParameter(str(err)) from None
    configure_logging(verbose)
    agent = Agent(WorkerOptions(farm_id=farm_id, fleet_id=fleet_id, work_dir=work_dir, endpoint_url=endpoint_url,
                                profile=profile, region=region, custom=custom, shutdown_grace=shutdown_grace))
    agent.install_signal_handlers()
    try:
        code = agent.run()
    except (AgentError, RuntimeError, host.CapabilityError) as err:
        click.echo(f"farmstead worker: {err}", err=True)
        sys.exit(1)
    except (ClientError, BotoCoreError) as err:
        click.echo(f"farmstead worker: {err}", err=True)
        sys.exit(1)
    sys.exit(code)
