"""`farmstead events`: subscriptions to the farm's events (docs/events.md), by webhook or e-mail, and
their deliveries. Changes are audited (docs/audit.md) without the subscription's secret."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import click

from farmstead.api import audit_trail
from farmstead.cli.options import data_dir_option, database_url_option, opened_store
from farmstead.domain import events as event_types
from farmstead.ids import new_id
from farmstead.store import events as outbox


@click.group()
def events() -> None:
    """The farm's events (shaped as Deadline Cloud's EventBridge events) POSTed to a URL or e-mailed."""


@events.command("subscribe")
@click.option("--farm-id", required=True)
@click.option("--queue-id", default=None, help="Only this queue's events (default: the whole farm's).")
@click.option("--job-id", default=None, help="Only this job's events (a submitter's \"tell me when it ends\").")
@click.option("--detail-type", "detail_types", multiple=True, type=click.Choice(event_types.DETAIL_TYPES),
              help="Only these event types (repeatable; default: all, or for --email the job's end).")
@click.option("--url", default=None, help="Where to POST each event (http:// or https://).")
@click.option("--email", default=None, help="Instead of --url: the address to mail the events that end or "
                                            "fail something to (through the server's SMTP settings).")
@click.option("--secret", default=None, help="The HMAC-SHA256 key for the signature header; default: a new "
                                             "random one, printed once.")
@data_dir_option
@database_url_option
def subscribe(farm_id: str, queue_id: str | None, job_id: str | None, detail_types: tuple[str, ...],
              url: str | None, email: str | None, secret: str | None, data_dir, database_url) -> None:
    """Send the farm's (queue's, job's) events from now on to URL (signed with a secret) or an address."""
    try:
        destination, types = event_types.destination(url, email, list(detail_types))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    subscription_id = new_id("subscription")
    chosen = secret or secrets.token_hex(32)
    entry = audit_trail.local("events subscribe", subscriptionId=subscription_id, farmId=farm_id, queueId=queue_id,
                              jobId=job_id, detailTypes=types, url=destination)
    with opened_store(data_dir, database_url) as store, audit_trail.write(store, entry) as audited:
        outbox.subscribe(audited.conn, subscription_id, farm_id, queue_id, job_id, types, destination, chosen,
                         datetime.now(UTC))
    click.echo(subscription_id)
    if secret is None and not email:
        click.echo(f"secret: {chosen}")


@events.command("list")
@data_dir_option
@database_url_option
def list_subscriptions(data_dir, database_url) -> None:
    """The subscriptions, where each delivers, and whether it is retrying."""
    with opened_store(data_dir, database_url) as store, store.read() as conn:
        rows = outbox.subscriptions(conn)
    click.echo("subscription\tfarm\tqueue\tjob\tdetail-types\turl\tfailed attempts\tnext attempt")
    for sub in rows:
        click.echo("\t".join((sub.subscription_id, sub.farm_id, sub.queue_id or "-", sub.job_id or "-",
                              ",".join(sub.detail_types) or "all", sub.url, str(sub.failed_attempts),
                              sub.next_attempt_at.isoformat(timespec="seconds") if sub.next_attempt_at else "-")))


@events.command("remove")
@click.argument("subscription_id")
@data_dir_option
@database_url_option
def remove(subscription_id: str, data_dir, database_url) -> None:
    """Stop sending events to a subscription (those not yet delivered are dropped for it)."""
    with (opened_store(data_dir, database_url) as store,
          audit_trail.write(store, audit_trail.local("events remove", subscriptionId=subscription_id)) as audited):
        if not outbox.remove(audited.conn, subscription_id):
            raise click.ClickException(f"No subscription {subscription_id}.")
    click.echo(f"{subscription_id} removed.")


@events.command("deliveries")
@click.option("--subscription-id", default=None)
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@data_dir_option
@database_url_option
def deliveries(subscription_id: str | None, limit: int, data_dir, database_url) -> None:
    """The latest delivery attempts, newest first: which event, to which subscription, and how it went."""
    with opened_store(data_dir, database_url) as store, store.read() as conn:
        rows = outbox.attempts(conn, subscription_id, limit)
    click.echo("at\tsubscription\tevent\tdetail-type\tjob\tattempt\toutcome\terror")
    for row in rows:
        click.echo("\t".join((row.at.isoformat(timespec="seconds"), row.subscription_id, row.event_id,
                              row.detail_type, row.job_id or "-", str(row.attempt), row.outcome, row.error or "-")))
