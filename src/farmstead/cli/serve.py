"""`farmstead server`: the API on one port, on the embedded store or PostgreSQL."""

from __future__ import annotations

import logging

import click
import uvicorn

from farmstead.bootstrap import ensure_admin
from farmstead.cli.options import data_dir_option, database_url_option, settings_from
from farmstead.server import create_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8245, show_default=True, type=int)
@data_dir_option
@database_url_option
@click.option("--worker-timeout-seconds", type=int, default=None, envvar="FARMSTEAD_WORKER_TIMEOUT_SECONDS",
              help="A worker silent this long becomes NOT_RESPONDING (default 60).")
@click.option("--update-interval-seconds", type=int, default=None, envvar="FARMSTEAD_UPDATE_INTERVAL_SECONDS",
              help="How often workers are told to call back (default 2).")
@click.option("--log-level", default="info", show_default=True)
def server(host: str, port: int, data_dir, database_url, worker_timeout_seconds, update_interval_seconds,
           log_level: str) -> None:
    """Serve the Deadline Cloud API."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(data_dir, database_url, host=host, port=port,
                             worker_timeout_seconds=worker_timeout_seconds,
                             update_interval_seconds=update_interval_seconds)
    app = create_app(settings)
    click.echo(ensure_admin(app.store, settings, app.clock))
    click.echo(f"Farmstead API on http://{host}:{port} (store: {app.store.dialect}). Use it with:")
    click.echo(f"  export AWS_ENDPOINT_URL=http://{host}:{port} AWS_DISABLE_HOST_PREFIX_INJECTION=true")
    click.echo("  (AWS_ENDPOINT_URL_DEADLINE alone is enough for the deadline API; the worker agent also"
               " uploads logs to the same endpoint)")
    app.start_background()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    finally:
        app.stop_background()
