"""`farmstead`: the command group and its nouns.

Each noun's module is imported only when that noun runs: `farmstead users create` has no use for
the server, the worker or OpenJD, and importing them all took a second of every admin command.
"""

from __future__ import annotations

import importlib

import click

from farmstead import __version__

#: name -> "module:attribute" of its click command, in the order `--help` lists them.
COMMANDS = {
    "server": "farmstead.cli.serve:server",
    "users": "farmstead.cli.admin:users",
    "keys": "farmstead.cli.admin:keys",
    "login": "farmstead.cli.login:login",
    "groups": "farmstead.cli.groups:groups",
    "coverage": "farmstead.cli.admin:coverage",
    "db": "farmstead.cli.admin:db",
    "blocklist": "farmstead.cli.blocklist:blocklist",
    "workers": "farmstead.cli.worker_holds:workers",
    "fleets": "farmstead.cli.fleet_costs:fleets",
    "longest": "farmstead.cli.longest:longest",
    "worker": "farmstead.cli.worker:worker",
    "scaler": "farmstead.cli.scaler:scaler",
    "logs": "farmstead.cli.logs:logs",
    "audit": "farmstead.cli.audit:audit",
    "events": "farmstead.cli.events:events",
    # The local-farm experience.
    "up": "farmstead.cli.up:up",
    "submit": "farmstead.cli.submit:submit",
    "job": "farmstead.cli.job:job",
    "status": "farmstead.cli.status:status",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when asked for (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="farmstead")
def cli() -> None:
    """Farmstead: a self-hosted render farm manager that speaks the AWS Deadline Cloud API."""


def main() -> None:
    cli()
