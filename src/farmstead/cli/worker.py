"""`farmstead worker`: run this host as a worker of one fleet (the agent lives in farmstead.worker).

Owns: the command's flags, its settings file (`--config FILE.toml`: the same settings by their flag
names, plus [amounts] and [attributes] tables; a flag or its environment variable wins over the file),
and turning failures the worker can't ride out into a message and exit status 1; `--slots N` turned
into N `--slot K/N` processes (worker/slot_processes.py runs them) told every setting this one got;
`--schedule` and `--idle-minutes` turned into the worker's work hours (worker/work_hours.py);
`install-service` (cli/services.py) writes a systemd unit that runs it with such a file.
Must not: talk to the server itself.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import click
from botocore.exceptions import BotoCoreError, ClientError

from farmstead.cli.services import install_worker_service
from farmstead.domain.work_schedules import ScheduleError, WorkSchedule, parse_schedule
from farmstead.worker import gpus, host, slot_processes
from farmstead.worker.agent import Agent, AgentError, WorkerOptions, configure_logging, log
from farmstead.worker.input_idle import InputIdleRule, find_source
from farmstead.worker.slots import SlotError, auto_count, parse_slot, parse_slots
from farmstead.worker.work_hours import WorkHours

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
                   "shutdown-grace, slots, schedule, idle-minutes, host-stats-interval, verbose, and "
                   "[amounts]/[attributes] tables. Flags override it.")
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
@click.option("--slots", default="1", show_default=True, envvar="FARMSTEAD_WORKER_SLOTS",
              help="Run up to N sessions at once on this host: N workers, each with a share of its vCPUs, memory "
                   "and GPUs, in <work-dir>/slot-K. 'auto': one per GPU, else one per 8 vCPUs and 16 GiB.")
@click.option("--slot", default=None, metavar="K/N",
              help="Run only slot K of N (what each process of --slots N runs; for one service per slot).")
@click.option("--schedule", default=None, envvar="FARMSTEAD_WORKER_SCHEDULE", metavar="WINDOWS",
              help="Days and hours this host may work, in its local time, e.g. "
                   "'Mon-Fri 19:00-07:00, Sat-Sun 00:00-24:00'. Outside them the worker finishes what it runs, "
                   "takes nothing new and is STOPPED until they begin again (docs/fleets.md).")
@click.option("--idle-minutes", type=click.FloatRange(min=0), default=None, envvar="FARMSTEAD_WORKER_IDLE_MINUTES",
              help="A workstation's rule: take work only after this many minutes without keyboard or mouse input "
                   "(where it can be read: xprintidle, or PS/2 interrupts); it stops taking work when input comes.")
@click.option("--host-stats-interval", type=float, default=60.0, show_default=True,
              envvar="FARMSTEAD_WORKER_HOST_STATS_INTERVAL",
              help="Seconds between the host's CPU, memory, disk and GPU figures in the worker log (0: none).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def worker(ctx: click.Context, endpoint_url: str | None, farm_id: str | None, fleet_id: str | None, work_dir: Path,
           profile: str | None, region: str | None, amounts: tuple[str, ...], attributes: tuple[str, ...],
           capabilities_file: Path | None, shutdown_grace: float, slots: str, slot: str | None,
           schedule: str | None, idle_minutes: float | None, host_stats_interval: float, verbose: bool) -> None:
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
    try:
        one_slot = parse_slot(slot) if slot else None
        count = 1 if one_slot else parse_slots(slots)
    except SlotError as err:
        raise click.BadParameter(str(err)) from None
    try:
        work_schedule = parse_schedule(schedule) if schedule else None
    except ScheduleError as err:
        raise click.BadParameter(str(err), param_hint="--schedule") from None
    configure_logging(verbose, one_slot.label if one_slot else None)
    if count is None:
        count = _auto_slots()
    if count > 1:
        # Each slot a worker process of its own, told everything this one was (flags, the settings
        # file's values and the environment's alike), so none of them reads the file again.
        common = _slot_arguments(endpoint_url, farm_id, fleet_id, profile, region, amounts, attributes,
                                 capabilities_file, shutdown_grace, verbose)
        common += ["--schedule", schedule] if schedule else []
        common += ["--idle-minutes", repr(idle_minutes)] if idle_minutes is not None else []
        common += ["--host-stats-interval", repr(host_stats_interval)]
        commands = [[sys.executable, "-m", "farmstead", "worker", *common, "--slot", f"{number}/{count}",
                     "--work-dir", str(slot_processes.slot_dir(work_dir, number))] for number in range(1, count + 1)]
        sys.exit(slot_processes.SlotProcesses(commands).run())
    hours = _work_hours(work_schedule, idle_minutes)
    agent = Agent(WorkerOptions(farm_id=farm_id, fleet_id=fleet_id, work_dir=work_dir, endpoint_url=endpoint_url,
                                profile=profile, region=region, custom=custom, shutdown_grace=shutdown_grace,
                                slot=one_slot, hours=hours, host_stats_interval=host_stats_interval))
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


def _work_hours(schedule: WorkSchedule | None, idle_minutes: float | None) -> WorkHours | None:
    """When the host may work: its schedule, and the idle rule where the input's idle time can be read."""
    rules: tuple[InputIdleRule, ...] = ()
    if idle_minutes is not None:
        source = find_source()
        if source is None:
            log.warning("--idle-minutes: this host's keyboard and mouse idle time can't be read (no xprintidle with "
                        "a display, no PS/2 interrupts); %s", "the schedule alone decides" if schedule else
                        "the worker takes work at any time")
        else:
            log.info("idle rule: work after %g minutes without input, read from %s", idle_minutes, source.name)
            rules = (InputIdleRule(idle_minutes, source),)
    return WorkHours(schedule, rules) if schedule is not None or rules else None


def _auto_slots() -> int:
    count = auto_count(os.cpu_count() or 1, host.detect_memory_mib(), len(gpus.detect()))
    click.echo(f"farmstead worker: --slots auto: {count} slot(s) on this host", err=True)
    return count


def _slot_arguments(endpoint_url: str | None, farm_id: str, fleet_id: str, profile: str | None,
                    region: str | None, amounts: tuple[str, ...], attributes: tuple[str, ...],
                    capabilities_file: Path | None, shutdown_grace: float, verbose: bool) -> list[str]:
    """The flags every slot process gets: this command's settings, wherever they came from."""
    arguments = ["--farm-id", farm_id, "--fleet-id", fleet_id, "--shutdown-grace", repr(shutdown_grace)]
    for flag, value in (("--endpoint-url", endpoint_url), ("--profile", profile), ("--region", region),
                        ("--capabilities-file", capabilities_file)):
        if value is not None:
            arguments += [flag, str(value)]
    for amount in amounts:
        arguments += ["--amount", amount]
    for attribute in attributes:
        arguments += ["--attribute", attribute]
    return arguments + (["--verbose"] if verbose else [])


worker.add_command(install_worker_service)
