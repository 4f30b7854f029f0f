"""`farmstead`: the command group and its nouns."""

from __future__ import annotations

import click

from farmstead import __version__
from farmstead.cli import admin, serve


@click.group()
@click.version_option(__version__, prog_name="farmstead")
def cli() -> None:
    """Farmstead: a self-hosted render farm manager that speaks the AWS Deadline Cloud API."""


cli.add_command(serve.server)
cli.add_command(admin.users)
cli.add_command(admin.keys)
cli.add_command(admin.coverage)
cli.add_command(admin.db)


def main() -> None:
    cli()
