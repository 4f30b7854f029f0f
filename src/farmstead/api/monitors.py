"""Monitors: CreateMonitor, GetMonitor, UpdateMonitor, DeleteMonitor, ListMonitors, GetMonitorSettings,
UpdateMonitorSettings. All of them are an administrator's (monitors are account-level resources),
except GetMonitor, which any signed caller may read: a monitor's users (an artist's profile names
its `monitor_id`) read it to link to its pages, as `deadline bundle submit` does for its job URL.

Owns: what a monitor reports: the stored fields, a `url` on this server built from the subdomain, and
the IAM Identity Center application ARN made up at creation. A subdomain belongs to one monitor at
a time; a second claim is a ValidationException on `subdomain` (the model lists no ConflictException
for CreateMonitor or UpdateMonitor, and where the brief and the model disagree the model wins).
Must not: hold SQL (store/monitors.py).
"""

from __future__ import annotations

import secrets

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, changed_columns
from farmstead.api.tags import check_tags, tag_new_resource
from farmstead.config import Settings
from farmstead.ids import new_id
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found, validation_error
from farmstead.store import monitors, tags
from farmstead.store.paging import position_of

#: SettingsMap allows at most 64 entries (model), so a monitor keeps at most that many settings.
MAX_SETTINGS = 64


def monitor_url(settings: Settings, subdomain: str) -> str:
    """Where this server would show the monitor: AWS's `<subdomain>.<region>.deadlinecloud.amazonaws.com`
    names a host on AWS (possibly somebody else's monitor), so a self-hosted server points at itself."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):  # a wildcard bind address is no address to visit
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/monitors/{subdomain}/"


def _application_arn(ctx: Context, instance_arn: str) -> str:
    # arn:<partition>:sso:::instance/ssoins-... -> arn:<partition>:sso::<account>:application/ssoins-.../apl-...
    partition = instance_arn.split(":", 2)[1]
    instance = instance_arn.rsplit("/", 1)[1]
    return f"arn:{partition}:sso::{ctx.arns.account_id}:application/{instance}/apl-{secrets.token_hex(8)}"


def _require_monitor(ctx: Context, monitor_id: str):
    row = monitors.get(ctx.conn, monitor_id)
    if row is None:
        raise not_found("monitor", monitor_id)
    return row


def _require_free_subdomain(ctx: Context, subdomain: str, monitor_id: str | None = None) -> None:
    holder = monitors.id_with_subdomain(ctx.conn, subdomain)
    if holder is not None and holder != monitor_id:
        raise validation_error(f"The subdomain {subdomain} is already used by monitor {holder}.",
                               [{"name": "subdomain", "message": f"Already used by monitor {holder}"}],
                               reason="OTHER")


def monitor_output(ctx: Context, row: Row) -> shapes.GetMonitorResponse:
    """GetMonitorResponse and MonitorSummary carry the same members."""
    return {
        "monitorId": row.monitor_id,
        "displayName": row.display_name,
        "subdomain": row.subdomain,
        "url": monitor_url(ctx.settings, row.subdomain),
        "roleArn": row.role_arn,
        "identityCenterInstanceArn": row.identity_center_instance_arn,
        "identityCenterRegion": row.identity_center_region,
        "identityCenterApplicationArn": row.identity_center_application_arn,
        **audit_fields(row),
    }


@operation("CreateMonitor", write=True, access="ADMIN")
def create_monitor(ctx: Context, params: shapes.CreateMonitorRequest) -> shapes.CreateMonitorResponse:
    _require_free_subdomain(ctx, params["subdomain"])
    check_tags(params.get("tags"))
    monitor_id = new_id("monitor")
    application_arn = _application_arn(ctx, params["identityCenterInstanceArn"])
    monitors.insert(ctx.conn, monitor_id=monitor_id, display_name=params["displayName"],
                    subdomain=params["subdomain"], role_arn=params["roleArn"],
                    identity_center_instance_arn=params["identityCenterInstanceArn"],
                    identity_center_region=params.get("identityCenterRegion"),
                    identity_center_application_arn=application_arn, settings={},
                    created_at=ctx.now, created_by=ctx.who)
    tag_new_resource(ctx, ctx.arns.monitor(monitor_id), params.get("tags"))
    return {"monitorId": monitor_id, "identityCenterApplicationArn": application_arn}


@operation("GetMonitor", access="AUTHENTICATED")
def get_monitor(ctx: Context, params: shapes.GetMonitorRequest) -> shapes.GetMonitorResponse:
    return monitor_output(ctx, _require_monitor(ctx, params["monitorId"]))


@operation("UpdateMonitor", write=True, access="ADMIN")
def update_monitor(ctx: Context, params: shapes.UpdateMonitorRequest) -> shapes.UpdateMonitorResponse:
    monitor_id = params["monitorId"]
    _require_monitor(ctx, monitor_id)
    if "subdomain" in params:
        _require_free_subdomain(ctx, params["subdomain"], monitor_id)
    changes = changed_columns(params, (("displayName", "display_name"), ("subdomain", "subdomain"),
                                       ("roleArn", "role_arn")))
    monitors.update(ctx.conn, monitor_id, **changes, updated_at=ctx.now, updated_by=ctx.who)
    return {}


@operation("DeleteMonitor", write=True, access="ADMIN")
def delete_monitor(ctx: Context, params: shapes.DeleteMonitorRequest) -> shapes.DeleteMonitorResponse:
    monitor_id = params["monitorId"]
    _require_monitor(ctx, monitor_id)
    tags.delete_all(ctx.conn, ctx.arns.monitor(monitor_id))
    monitors.delete(ctx.conn, monitor_id)
    return {}


@operation("ListMonitors", access="ADMIN")
def list_monitors(ctx: Context, params: shapes.ListMonitorsRequest) -> shapes.ListMonitorsResponse:
    after, limit = ctx.page_request()
    rows = monitors.page(ctx.conn, after, limit)
    items, more = ctx.paged(rows, limit, lambda row: monitor_output(ctx, row),
                            lambda r: position_of(r.created_at, r.monitor_id))
    return {"monitors": items, **more}


@operation("GetMonitorSettings", access="ADMIN")
def get_monitor_settings(ctx: Context, params: shapes.GetMonitorSettingsRequest) -> shapes.GetMonitorSettingsResponse:
    return {"settings": dict(_require_monitor(ctx, params["monitorId"]).settings or {})}


@operation("UpdateMonitorSettings", write=True, access="ADMIN")
def update_monitor_settings(ctx: Context,
                            params: shapes.UpdateMonitorSettingsRequest) -> shapes.UpdateMonitorSettingsResponse:
    monitor_id = params["monitorId"]
    merged = dict(_require_monitor(ctx, monitor_id).settings or {})
    for key, value in params["settings"].items():
        if value == "":  # the model: "Send an empty string value to delete a key."
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > MAX_SETTINGS:
        raise validation_error(f"A monitor can hold at most {MAX_SETTINGS} settings; this would make {len(merged)}.",
                               [{"name": "settings", "message": f"At most {MAX_SETTINGS} settings per monitor"}])
    monitors.update(ctx.conn, monitor_id, settings=merged, updated_at=ctx.now, updated_by=ctx.who)
    return {}
