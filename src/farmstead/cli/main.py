"""`farmstead`: the command group and its nouns."""

from __future__ import annotations

import click

from farmstead import __version__
from farmstead.cli import admin, logs, serve, worker


@click.group()
@click.version_option(__version__, prog_name="farmstead")
def cli() -> None:
    """Farmstead: a self-hosted render farm manager that speaks the AWS Deadline Cloud API."""


cli.add_command(serve.server)
cli.add_command(admin.users)
cli.add_command(admin.keys)
cli.add_command(admin.coverage)
cli.add_command(admin.db)
cli.add_command(worker.worker)
cli.add_command(logs.logs)

# `farmstead up`, `submit`, `status`: the local-farm experience (issue 5).
from farmstead.cli import status as _status, submit as _submit, up as _up  # noqa: E402

cli.add_command(_up.up)
cli.add_command(_submit.submit)
cli.add_command(_status.status)


def main() -> None:
    cli()
