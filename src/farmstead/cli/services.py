"""`farmstead worker install-service` and `farmstead server install-service`: systemd units for a render node
and for the server, which the node's administrator enables.

Owns: the unit text (what it runs, as whom, with which environment file, restart and stop policy) and
writing it. Must not: enable or start anything (the administrator does: `systemctl enable --now`), or
create users.

Why these settings:
* `User=`: a dedicated account, never root; `StateDirectory=` gives it /var/lib/<name> (the work dir or
  the data dir) owned by it, so nothing else needs to be made by hand.
* `KillSignal=SIGTERM` with `KillMode=mixed`: SIGTERM goes to the main process alone, which drains
  (a worker finishes or interrupts its running action within its shutdown grace, reports, ends its
  session processes and says STOPPED; the server finishes its requests); whatever is left when
  `TimeoutStopSec=` runs out gets SIGKILL, the whole cgroup.
* `Restart=on-failure`: exit 1 (a worker that could not reach the server, say) is retried after
  `RestartSec=`; a clean stop (exit 0) is not restarted.
* `EnvironmentFile=-`: secrets (AWS keys, the database URL, the S3 store's key) stay out of the unit
  and out of `ps`; the leading `-` lets the unit start without one.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import click

UNIT_DIRECTORY = Path("/etc/systemd/system")


def farmstead_executable() -> list[str]:
    """The `farmstead` of this installation, as an absolute command (systemd wants absolute paths)."""
    beside = Path(sys.executable).parent / "farmstead"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("farmstead")
    return [found] if found else [sys.executable, "-m", "farmstead"]


def unit_text(*, description: str, exec_start: list[str], user: str, state_directory: str, env_file: Path,
              stop_timeout: int, after_database: bool = False) -> str:
    after = "network-online.target" + (" postgresql.service" if after_database else "")
    return "\n".join([
        "# Written by `farmstead ... install-service`; see docs/deploy.md.",
        "[Unit]",
        f"Description={description}",
        f"After={after}",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=exec",
        f"User={user}",
        f"Group={user}",
        f"StateDirectory={state_directory}",
        f"WorkingDirectory=/var/lib/{state_directory}",
        f"EnvironmentFile=-{env_file}",
        "Environment=PYTHONUNBUFFERED=1",
        f"ExecStart={shlex.join(exec_start)}",
        "KillSignal=SIGTERM",
        "KillMode=mixed",
        f"TimeoutStopSec={stop_timeout}",
        "Restart=on-failure",
        "RestartSec=5",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def write_unit(text: str, output: Path | None, name: str) -> Path:
    path = output if output is not None else UNIT_DIRECTORY / name
    if path.is_dir() or not path.name.endswith(".service"):
        path = path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o644)
    return path


def _next_steps(path: Path, name: str, user: str, env_file: Path) -> str:
    installed = path.parent == UNIT_DIRECTORY
    lines = [f"Wrote {path}."]
    if not installed:
        lines.append(f"Install it with:  sudo cp {path} {UNIT_DIRECTORY / name}")
    lines += [
        f"The unit runs as {user}: create the account once with  "
        f"sudo useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin {user}",
        f"Secrets go in {env_file} (mode 600, root-owned): see docs/deploy.md.",
        f"Then:  sudo systemctl daemon-reload && sudo systemctl enable --now {name}",
    ]
    return "\n".join(lines)


output_option = click.option("--output", type=click.Path(path_type=Path), default=None,
                             help="Where to write the unit: a NAME.service file or a directory "
                                  f"(default {UNIT_DIRECTORY}).")
user_option = click.option("--user", default="farmstead", show_default=True,
                           help="The account the service runs as (never root).")


@click.command("install-service")
@click.option("--config", "config", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The worker's settings file the unit starts it with (farmstead worker --config).")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("/etc/farmstead/worker.env"), show_default=True,
              help="Environment for the worker: its AWS keys, AWS_ENDPOINT_URL_S3.")
@click.option("--name", default="farmstead-worker.service", show_default=True)
@click.option("--stop-timeout", type=click.IntRange(10, 3600), default=90, show_default=True,
              help="Seconds systemd waits after SIGTERM (the worker's shutdown grace plus its reporting).")
@user_option
@output_option
def install_worker_service(config: Path, env_file: Path, name: str, stop_timeout: int, user: str,
                           output: Path | None) -> None:
    """Write a systemd unit that runs `farmstead worker --config CONFIG` as a render node's service."""
    if user == "root":
        raise click.BadParameter("a render node's jobs run as the worker's user: give it an account of its own",
                                 param_hint="--user")
    text = unit_text(description="Farmstead render node (farmstead worker)",
                     exec_start=[*farmstead_executable(), "worker", "--config", str(config.resolve())], user=user,
                     state_directory="farmstead-worker", env_file=env_file, stop_timeout=stop_timeout)
    path = write_unit(text, output, name)
    click.echo(_next_steps(path, name, user, env_file))


@click.command("install-service")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the API listens on (behind a TLS proxy on this host, keep loopback).")
@click.option("--port", default=8245, show_default=True, type=click.IntRange(1, 65535))
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("/etc/farmstead/server.env"), show_default=True,
              help="Environment for the server: FARMSTEAD_DATABASE_URL, FARMSTEAD_S3_*, FARMSTEAD_ADMIN_*.")
@click.option("--name", default="farmstead-server.service", show_default=True)
@user_option
@output_option
def install_server_service(host: str, port: int, env_file: Path, name: str, user: str, output: Path | None) -> None:
    """Write a systemd unit that runs `farmstead server` (data dir /var/lib/farmstead-server)."""
    if user == "root":
        raise click.BadParameter("give the server an account of its own", param_hint="--user")
    text = unit_text(description="Farmstead server (the Deadline Cloud API and web monitor)",
                     exec_start=[*farmstead_executable(), "server", "--host", host, "--port", str(port),
                                 "--data-dir", "/var/lib/farmstead-server"],
                     user=user, state_directory="farmstead-server", env_file=env_file, stop_timeout=30,
                     after_database=True)
    path = write_unit(text, output, name)
    click.echo(_next_steps(path, name, user, env_file))
