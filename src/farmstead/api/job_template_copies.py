"""CopyJobTemplate: a job's template, copied to an S3 location through the server's S3 store.

The operation is staged (api/registry.py): the job is read and the target checked in a read
transaction, and the S3 write (an STS round trip and a PUT) runs with no transaction held
(attachments/template_copies.py does it, with keys that may put that one object only).
*(choice)* A target inside a job attachment root of one of the farm's queues is refused: those
keys are content-addressed data and manifests the clients trust, not a place for a template.
Must not: write SQL (the store modules do) or talk to S3 itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from farmstead.api.context import Context
from farmstead.api.jobs import require_job
from farmstead.api.registry import operation
from farmstead.attachments import template_copies
from farmstead.protocol import shapes
from farmstead.protocol.errors import ServiceError, access_denied, validation_error
from farmstead.store import queues
from farmstead.store.paging import position_of

_QUEUES_PER_PAGE = 100


def _prepare_copy(ctx: Context, params: shapes.CopyJobTemplateRequest) -> Callable[[], str]:
    row = require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    if not ctx.settings.job_attachments_configured:
        raise validation_error(
            "CopyJobTemplate writes through the server's S3 store, and this server has none configured "
            "(FARMSTEAD_S3_ENDPOINT_URL or FARMSTEAD_S3_ROLE_ARN; docs/attachments.md).",
            [{"name": "targetS3Location", "message": "No S3 storage is configured on this server"}], reason="OTHER")
    bucket, key = params["targetS3Location"]["bucketName"], params["targetS3Location"]["key"]
    for root in _attachment_roots(ctx, params["farmId"]):
        if root[0] == bucket and (not root[1] or key.startswith(f"{root[1]}/")):
            raise access_denied(f"s3://{bucket}/{key} lies in the job attachments of a queue of this farm "
                                f"(s3://{bucket}/{root[1]}/); copy the template somewhere else.")
    settings, template, template_type = ctx.settings, row.template, row.template_type
    session_name = f"{row.job_id}-{ctx.caller.principal_id}"

    def copy() -> str:
        try:
            template_copies.copy_template(settings, bucket=bucket, key=key, template=template,
                                          template_type=template_type, session_name=session_name)
        except template_copies.TemplateCopyError as error:
            if error.reason == "NO_BUCKET":
                raise validation_error(str(error), [{"name": "targetS3Location.bucketName",
                                                     "message": f"No bucket {bucket} in the S3 store"}]) from error
            if error.reason == "REFUSED":
                raise access_denied(str(error)) from error
            raise ServiceError("InternalServerErrorException", str(error)) from error
        return template_type
    return copy


@operation("CopyJobTemplate", access="VIEWER", prepare=_prepare_copy)
def copy_job_template(ctx: Context, params: shapes.CopyJobTemplateRequest) -> shapes.CopyJobTemplateResponse:
    # The copy happened in the prepare stage; this answers what it wrote.
    return {"templateType": ctx.prepared}


def _attachment_roots(ctx: Context, farm_id: str) -> list[tuple[str, str]]:
    """(bucket, root prefix) of each of the farm's queues with job attachments."""
    roots: list[tuple[str, str]] = []
    after: Any = None
    while True:
        rows = queues.page(ctx.conn, farm_id, after, _QUEUES_PER_PAGE, ctx.now)
        for row in rows[:_QUEUES_PER_PAGE]:
            settings = (row.attributes or {}).get("jobAttachmentSettings") or {}
            if settings.get("s3BucketName"):
                roots.append((settings["s3BucketName"], settings.get("rootPrefix", "")))
        if len(rows) <= _QUEUES_PER_PAGE:
            return roots
        after = position_of(rows[_QUEUES_PER_PAGE - 1].created_at, rows[_QUEUES_PER_PAGE - 1].queue_id)
