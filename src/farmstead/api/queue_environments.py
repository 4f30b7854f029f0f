"""Queue environments: Create/Get/Update/Delete/ListQueueEnvironments.

Owns: validating the template as the declared templateType with openjd-model
(domain/queue_environment_templates.py; staged, api/registry.py: the check runs in a worker thread
before the write transaction, which then checks nothing changed meanwhile), naming the environment
after its template, one name per queue, and listing in entering order (priority 0 first, ties by
creation; store/queue_environments.py).
Must not: write SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Row

from farmstead.api.context import Context
from farmstead.api.registry import operation
from farmstead.api.resources import audit_fields, require_queue
from farmstead.domain.queue_environment_templates import TemplateError, environment_name
from farmstead.ids import new_id
from farmstead.protocol import shapes
from farmstead.protocol.errors import not_found, throttled, validation_error
from farmstead.store import farms, queue_environments, queues


def _refuse(name: str, message: str):
    return validation_error(message, [{"name": name, "message": message}])


def _summary(row: Row) -> shapes.QueueEnvironmentSummary:
    return {"queueEnvironmentId": row.queue_environment_id, "name": row.name, "priority": row.priority}


def _name_of(template: str, template_type: str) -> str:
    try:
        return environment_name(template, template_type)
    except TemplateError as error:
        raise _refuse("template", str(error)) from None


def _check_name_free(ctx: Context, queue_id: str, name: str, own_id: str | None = None) -> None:
    """One environment per name in a queue: a session enters environments by name, and two of the
    same name would be indistinguishable in its log. The model lists no ConflictException for these
    operations, so a clash is a ValidationException on the template (where the name comes from)."""
    holder = queue_environments.named(ctx.conn, queue_id, name)
    if holder is not None and holder != own_id:
        raise _refuse("template", f"The queue already has an environment named {name!r} ({holder}).")


def _prepare_create(ctx: Context, params: shapes.CreateQueueEnvironmentRequest) -> Callable[[], str]:
    require_queue(ctx, params["farmId"], params["queueId"])
    template, template_type = params["template"], params["templateType"]
    return lambda: _name_of(template, template_type)


@operation("CreateQueueEnvironment", write=True, access="ADMIN", prepare=_prepare_create)
def create_queue_environment(ctx: Context,
                             params: shapes.CreateQueueEnvironmentRequest) -> shapes.CreateQueueEnvironmentResponse:
    farm_id, queue_id = params["farmId"], params["queueId"]
    require_queue(ctx, farm_id, queue_id)
    name = ctx.prepared
    _check_name_free(ctx, queue_id, name)
    queue_environment_id = new_id("queueenv")
    queue_environments.insert(ctx.conn, queue_environment_id=queue_environment_id, farm_id=farm_id,
                              queue_id=queue_id, name=name, priority=params["priority"],
                              template_type=params["templateType"], template=params["template"],
                              created_at=ctx.now, created_by=ctx.who)
    return {"queueEnvironmentId": queue_environment_id}


def _require_environment(ctx: Context, params: Mapping[str, Any]) -> Row:
    require_queue(ctx, params["farmId"], params["queueId"])
    row = queue_environments.get(ctx.conn, params["farmId"], params["queueId"], params["queueEnvironmentId"])
    if row is None:
        raise not_found("queue-environment", params["queueEnvironmentId"])
    return row


@operation("GetQueueEnvironment")
def get_queue_environment(ctx: Context,
                          params: shapes.GetQueueEnvironmentRequest) -> shapes.GetQueueEnvironmentResponse:
    row = _require_environment(ctx, params)
    return {**_summary(row), "templateType": row.template_type, "template": row.template, **audit_fields(row)}


def _prepare_update(ctx: Context,
                    params: shapes.UpdateQueueEnvironmentRequest) -> Callable[[], tuple[str, str, str]] | None:
    row = _require_environment(ctx, params)
    if "template" not in params and "templateType" not in params:
        return None
    # Either one alone still has to make a valid pair with the other as stored.
    template = params.get("template", row.template)
    template_type = params.get("templateType", row.template_type)
    return lambda: (template, template_type, _name_of(template, template_type))


@operation("UpdateQueueEnvironment", write=True, access="ADMIN", prepare=_prepare_update)
def update_queue_environment(ctx: Context,
                             params: shapes.UpdateQueueEnvironmentRequest) -> shapes.UpdateQueueEnvironmentResponse:
    row = _require_environment(ctx, params)
    changes: dict[str, Any] = {}
    if ctx.prepared is not None:
        template, template_type, name = ctx.prepared
        if (template, template_type) != (params.get("template", row.template),
                                         params.get("templateType", row.template_type)):
            raise throttled("The environment's template changed while the new one was checked; retry.")
        if name != row.name:
            _check_name_free(ctx, row.queue_id, name, row.queue_environment_id)
        changes.update(template=template, template_type=template_type, name=name)
    if "priority" in params:
        changes["priority"] = params["priority"]
    queue_environments.update(ctx.conn, row.queue_environment_id, **changes, updated_at=ctx.now, updated_by=ctx.who)
    return {}


@operation("DeleteQueueEnvironment", write=True, access="ADMIN")
def delete_queue_environment(ctx: Context,
                             params: shapes.DeleteQueueEnvironmentRequest) -> shapes.DeleteQueueEnvironmentResponse:
    farm_id, queue_id = params["farmId"], params["queueId"]
    # The model lists no ResourceNotFoundException here: deleting what is not there succeeds.
    if not farms.exists(ctx.conn, farm_id) or queues.get(ctx.conn, farm_id, queue_id) is None:
        return {}
    row = queue_environments.get(ctx.conn, farm_id, queue_id, params["queueEnvironmentId"])
    if row is not None:
        queue_environments.delete(ctx.conn, row.queue_environment_id)
    return {}


@operation("ListQueueEnvironments")
def list_queue_environments(ctx: Context,
                            params: shapes.ListQueueEnvironmentsRequest) -> shapes.ListQueueEnvironmentsResponse:
    queue_id = params["queueId"]
    require_queue(ctx, params["farmId"], queue_id)
    after, limit = ctx.page_request()
    rows = queue_environments.page(ctx.conn, queue_id, after, limit)
    items, more = ctx.paged(rows, limit, _summary, queue_environments.position_of)
    return {"environments": items, **more}
