"""`farmstead server`: the API on one port, on the embedded store or PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable

import click

from farmstead import startup_heap
from farmstead.bootstrap import ensure_admin
from farmstead.cli.options import data_dir_option, database_url_option, settings_from
from farmstead.cli.services import install_server_service
from farmstead.config import address_list

_LDAP_OPTIONS = [
    click.option("--ldap-url", default=None, envvar="FARMSTEAD_LDAP_URL",
                 help="Directory sign-in to the web monitor: ldap://host or ldaps://host (docs/access.md). "
                      "The service account's password comes from FARMSTEAD_LDAP_BIND_PASSWORD."),
    click.option("--ldap-start-tls/--no-ldap-start-tls", default=None, envvar="FARMSTEAD_LDAP_START_TLS",
                 help="StartTLS on an ldap:// URL."),
    click.option("--ldap-ca-file", default=None, envvar="FARMSTEAD_LDAP_CA_FILE",
                 help="The CA certificates (PEM) the directory's certificate is checked against (default: the "
                      "system's)."),
    click.option("--ldap-user-dn-template", default=None, envvar="FARMSTEAD_LDAP_USER_DN_TEMPLATE",
                 help="Bind as this DN, {username} filled in (else search-then-bind)."),
    click.option("--ldap-bind-dn", default=None, envvar="FARMSTEAD_LDAP_BIND_DN",
                 help="The service account that searches users and re-checks sessions."),
    click.option("--ldap-user-base", default=None, envvar="FARMSTEAD_LDAP_USER_BASE",
                 help="Where users are searched."),
    click.option("--ldap-user-filter", default=None, envvar="FARMSTEAD_LDAP_USER_FILTER",
                 help="Who may sign in, {username} filled in (default (uid={username}))."),
    click.option("--ldap-group-base", default=None, envvar="FARMSTEAD_LDAP_GROUP_BASE",
                 help="Search groups here (else the user's memberOf)."),
    click.option("--ldap-group-filter", default=None, envvar="FARMSTEAD_LDAP_GROUP_FILTER",
                 help="A group the user is in, {dn} filled in (default (member={dn}))."),
    click.option("--ldap-admin-group", default=None, envvar="FARMSTEAD_LDAP_ADMIN_GROUP",
                 help="The DN of the group whose members are administrators."),
    click.option("--ldap-recheck-seconds", type=float, default=None, envvar="FARMSTEAD_LDAP_RECHECK_SECONDS",
                 help="Re-check a directory user's session (and login keys) this often (default 60)."),
]

_OIDC_OPTIONS = [
    click.option("--oidc-issuer", default=None, envvar="FARMSTEAD_OIDC_ISSUER",
                 help="OpenID Connect sign-in to the web monitor: the provider's issuer URL (docs/access.md). The "
                      "client secret comes from FARMSTEAD_OIDC_CLIENT_SECRET."),
    click.option("--oidc-client-id", default=None, envvar="FARMSTEAD_OIDC_CLIENT_ID",
                 help="The monitor's client at the provider (authorization code flow with PKCE)."),
    click.option("--oidc-cli-client-id", default=None, envvar="FARMSTEAD_OIDC_CLI_CLIENT_ID",
                 help="The public client `farmstead login --sso` uses (the device flow)."),
    click.option("--oidc-redirect-uri", default=None, envvar="FARMSTEAD_OIDC_REDIRECT_URI",
                 help="The monitor's callback as registered at the provider (default: this server's "
                      "/signin/oidc/callback as the browser reaches it)."),
    click.option("--oidc-scopes", default=None, envvar="FARMSTEAD_OIDC_SCOPES",
                 help="The scopes asked for (default 'openid profile email groups')."),
    click.option("--oidc-username-claim", default=None, envvar="FARMSTEAD_OIDC_USERNAME_CLAIM",
                 help="The ID token claim naming the user (default preferred_username)."),
    click.option("--oidc-groups-claim", default=None, envvar="FARMSTEAD_OIDC_GROUPS_CLAIM",
                 help="The ID token claim listing the user's groups (default groups)."),
    click.option("--oidc-admin-group", default=None, envvar="FARMSTEAD_OIDC_ADMIN_GROUP",
                 help="The group (as the claim names it) whose members are administrators."),
    click.option("--oidc-session-seconds", type=float, default=None, envvar="FARMSTEAD_OIDC_SESSION_SECONDS",
                 help="How long a monitor session signed in through the provider lasts (default 3600)."),
    click.option("--login-credential-seconds", type=int, default=None, envvar="FARMSTEAD_LOGIN_CREDENTIAL_SECONDS",
                 help="How long the keys `farmstead login` hands out last (default 3600)."),
]


def identity_options(command):
    """The options of the identity sources: an LDAP directory, an OpenID provider, `farmstead login`."""
    for option in reversed(_LDAP_OPTIONS + _OIDC_OPTIONS):
        command = option(command)
    return command


@click.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8245, show_default=True, type=int)
@data_dir_option
@database_url_option
@click.option("--worker-timeout-seconds", type=int, default=None, envvar="FARMSTEAD_WORKER_TIMEOUT_SECONDS",
              help="A worker silent this long becomes NOT_RESPONDING (default 60).")
@click.option("--update-interval-seconds", type=int, default=None, envvar="FARMSTEAD_UPDATE_INTERVAL_SECONDS",
              help="How often workers are told to call back (default 2).")
@click.option("--db-pool-size", type=int, default=None, envvar="FARMSTEAD_DB_POOL_SIZE",
              help="PostgreSQL connections this process keeps open (default 10; docs/operations.md).")
@click.option("--db-max-overflow", type=int, default=None, envvar="FARMSTEAD_DB_MAX_OVERFLOW",
              help="Extra PostgreSQL connections it may open at peaks (default 10).")
@click.option("--max-in-flight", type=int, default=None, envvar="FARMSTEAD_MAX_IN_FLIGHT",
              help="API requests in flight at once before ThrottlingException (default 128; 0: no limit; "
                   "docs/operations.md).")
@click.option("--max-in-flight-per-caller", type=int, default=None, envvar="FARMSTEAD_MAX_IN_FLIGHT_PER_CALLER",
              help="User API requests in flight at once per access key (default 32).")
@click.option("--max-queue-seconds", type=float, default=None, envvar="FARMSTEAD_MAX_QUEUE_SECONDS",
              help="How long a user request may wait in line before ThrottlingException (default 1.0).")
@click.option("--s3-endpoint-url", default=None, envvar="FARMSTEAD_S3_ENDPOINT_URL",
              help="Job attachments: the S3-compatible store (MinIO, ...); omit for AWS S3. Its key comes from "
                   "FARMSTEAD_S3_ACCESS_KEY_ID / FARMSTEAD_S3_SECRET_ACCESS_KEY (docs/attachments.md).")
@click.option("--s3-role-arn", default=None, envvar="FARMSTEAD_S3_ROLE_ARN",
              help="Job attachments: the role queue credentials are assumed from (needed on AWS).")
@click.option("--metrics-allow", default=None, envvar="FARMSTEAD_METRICS_ALLOW",
              help="Addresses or CIDR blocks, comma-separated, that may GET /metrics without a key (default: "
                   "loopback only; '' none). The key is FARMSTEAD_METRICS_TOKEN (docs/monitoring.md).")
@identity_options
@click.option("--log-level", default="info", show_default=True)
@click.pass_context
def server(ctx: click.Context, host: str, port: int, data_dir, database_url, worker_timeout_seconds,
           update_interval_seconds, db_pool_size, db_max_overflow, max_in_flight, max_in_flight_per_caller,
           max_queue_seconds, s3_endpoint_url, s3_role_arn, metrics_allow, log_level: str, **identity) -> None:
    """Serve the Deadline Cloud API (`install-service`: a systemd unit that does)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from farmstead.server import create_app

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(data_dir, database_url, host=host, port=port,
                             worker_timeout_seconds=worker_timeout_seconds,
                             update_interval_seconds=update_interval_seconds,
                             db_pool_size=db_pool_size, db_max_overflow=db_max_overflow,
                             max_in_flight=max_in_flight, max_in_flight_per_caller=max_in_flight_per_caller,
                             max_queue_seconds=max_queue_seconds, s3_endpoint_url=s3_endpoint_url,
                             s3_role_arn=s3_role_arn,
                             metrics_allow=None if metrics_allow is None else address_list(metrics_allow),
                             **identity)
    app = create_app(settings)
    click.echo(ensure_admin(app.store, settings, app.clock))
    click.echo(f"Farmstead API on http://{host}:{port} (store: {app.store.dialect}). Use it with:")
    click.echo(f"  export AWS_ENDPOINT_URL=http://{host}:{port} AWS_DISABLE_HOST_PREFIX_INJECTION=true")
    click.echo("  (AWS_ENDPOINT_URL_DEADLINE alone is enough for the deadline API; the worker agent also"
               " uploads logs to the same endpoint)")
    click.echo(f"Web monitor on http://{host}:{port}/ (sign in with an access key pair, or a password set with"
               " `farmstead users passwd NAME`)")
    app.start_background()
    # What starting built (models, the app, its threads' objects) is never garbage: out of the
    # collector's full passes, which would otherwise stall one request each (farmstead.startup_heap).
    logging.getLogger("farmstead.server").info("start-up heap frozen: %d objects out of the collector's full passes",
                                               startup_heap.freeze())
    try:
        # asyncio's own loop, not uvloop: libuv accepts one connection per loop iteration, and as
        # handlers run on the loop an iteration under load serves every ready request (hundreds of
        # ms), so new connections waited 30-60 s in the accept queue while open ones were served.
        # asyncio accepts the whole queue each iteration; it cost ~2 % of GetFarm req/s here.
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
                                loop="asyncio")
        releasing_server(uvicorn, config, app.wakeups.close).run()
    finally:
        app.stop_background()


server.add_command(install_server_service)



def releasing_server(uvicorn, config, release: Callable[[], None]):
    """uvicorn's server (the module passed in: it is imported only to serve), releasing idle workers'
    held calls as soon as it is asked to stop: it waits for the requests in flight before it exits,
    and a held one would otherwise wait out its hold (docs/protocol.md)."""

    class ReleasingServer(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            release()
            super().handle_exit(sig, frame)

    return ReleasingServer(config)
