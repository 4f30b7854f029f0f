"""`farmstead worker`: run this host as a worker of one fleet (the agent lives in farmstead.worker).

Owns: the command's flags, its settings file (`--config FILE.toml`: the same settings by their flag
names, plus [amounts] and [attributes] tables; a flag or its environment variable wins over the file),
and turning failures the worker can't ride out into a message and exit status 1; `install-service`
(cli/services.py) writes a systemd unit that runs it with such a file.
Must not: talk to the server itself.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import click
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.cli.services import install_worker_service
from farmstead.worker import host
from farmstead.worker.agent import Agent, AgentError, WorkerOptions, configure_logging

#: Tables of the settings file that are not flags: the custom capabilities, as --capabilities-file has them.
CAPABILITY_TABLES = ("amounts", "attributes")


def _read_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Load the settings file into click's default_map, so flags and environment variables override it."""
    if value is None:
        return None
    try:
        document = tomllib.loads(value.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise click.BadParameter(f"{value}: {error}", ctx=ctx, param=param) from None
    flags = {p.name: p for p in ctx.command.params if p.name not in ("config", "amounts", "attributes")}
    settings, capabilities = {}, {}
    for key, setting in document.items():
        name = key.replace("-", "_")
        if name in CAPABILITY_TABLES and isinstance(setting, dict):
            capabilities[name] = setting
        elif name in flags and not isinstance(setting, (dict, list)):
            settings[name] = setting
        else:
            known = ", ".join(sorted(k.replace("_", "-") for k in flags) + list(CAPABILITY_TABLES))
            raise click.BadParameter(f"{value}: unknown setting {key!r} (known: {known})", ctx=ctx, param=param)
    ctx.default_map = {**(ctx.default_map or {}), **settings}
    ctx.meta["worker_config_capabilities"] = capabilities
    return value


@click.group("worker", invoke_without_command=True)
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              is_eager=True, expose_value=False, callback=_read_config, envvar="FARMSTEAD_WORKER_CONFIG",
              help="TOML settings file: endpoint-url, farm-id, fleet-id, work-dir, profile, region, "
                   "shutdown-grace, host-stats-interval, verbose, and [amounts]/[attributes] tables. Flags "
                   "override it.")
@click.option("--endpoint-url", envvar="FARMSTEAD_ENDPOINT_URL", default=None,
              help="The Farmstead server, e.g. http://127.0.0.1:8245 (default: the AWS configuration's "
                   "endpoint_url for the profile).")
@click.option("--farm-id", envvar="FARMSTEAD_FARM_ID", help="farm-… (required, here or in --config)")
@click.option("--fleet-id", envvar="FARMSTEAD_FLEET_ID", help="fleet-… (a customer-managed fleet; required)")
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
@click.option("--host-stats-interval", type=float, default=60.0, show_default=True,
              envvar="FARMSTEAD_WORKER_HOST_STATS_INTERVAL",
              help="Seconds between the host's CPU, memory, disk and GPU figures in the worker log (0: none).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def worker(ctx: click.Context, endpoint_url: str | None, farm_id: str | None, fleet_id: str | None, work_dir: Path,
           profile: str | None, region: str | None, amounts: tuple[str, ...], attributes: tuple[str, ...],
           capabilities_file: Path | None, shutdown_grace: float, host_stats_interval: float,
           verbose: bool) -> None:
    """Run jobs for FLEET: register (or resume) a worker, then take and run its sessions until SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    if not farm_id:
        raise click.UsageError("Missing option '--farm-id' (or its setting in --config).")
    if not fleet_id:
        raise click.UsageError("Missing option '--fleet-id' (or its setting in --config).")
    # The settings file's tables as flags that come first, so the flags given win over them.
    tables = ctx.meta.get("worker_config_capabilities", {})
    amounts = (*(f"{name}={value}" for name, value in tables.get("amounts", {}).items()), *amounts)
    attributes = (*(f"{name}={','.join(map(str, value if isinstance(value, list) else [value]))}"
                    for name, value in tables.get("attributes", {}).items()), *attributes)
    try:
        custom = host.custom_capabilities(list(amounts), list(attributes),
                                          capabilities_file.read_text() if capabilities_file else None)
    except host.CapabilityError as err:
        raise click.BadParameter(str(err)) from None
    configure_logging(verbose)
    agent = Agent(WorkerOptions(farm_id=farm_id, fleet_id=fleet_id, work_dir=work_dir, endpoint_url=endpoint_url,
                                profile=profile, region=region, custom=custom, shutdown_grace=shutdown_grace,
                                host_stats_interval=host_stats_interval))
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


worker.add_command(install_worker_service)
