"""`farmstead longest`: the running tasks, longest first, flagged where far beyond their step's median
run time (docs/self-managing.md, "Running longest"). On the store, as `blocklist` and `workers` are;
tab-separated, for scripts."""

from __future__ import annotations

import click

from farmstead.cli.options import data_dir_option, database_url_option, opened_store
from farmstead.clock import SystemClock
from farmstead.domain.run_times import FAR_BEYOND_FACTOR
from farmstead.orchestration.running_longest import running_longest


@click.command()
@click.option("--job-id", default=None, help="Only this job's tasks (default: every running task of the store).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@data_dir_option
@database_url_option
def longest(job_id: str | None, limit: int, data_dir, database_url) -> None:
    """Running tasks, longest first; FAR BEYOND marks those over {factor}x their step's median run time."""
    with opened_store(data_dir, database_url) as store, store.read() as conn:
        rows = running_longest(conn, SystemClock().now(), job_id=job_id, limit=limit)
    click.echo("flag\trunning s\tstep median s\tx median\ttask\tjob\thost")
    for row in rows:
        median = "-" if row["median_seconds"] is None else f"{row['median_seconds']:.1f}"
        times = "-" if row["times_median"] is None else f"{row['times_median']:.1f}"
        click.echo("\t".join(("FAR BEYOND" if row["far_beyond"] else "-", f"{row['running_seconds']:.0f}", median,
                              times, row["task_id"], row["job_id"], row["host"] or row["worker_id"])))


longest.help = (longest.help or "").format(factor=f"{FAR_BEYOND_FACTOR:g}")
