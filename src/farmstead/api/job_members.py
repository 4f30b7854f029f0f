"""Job members: AssociateMemberToJob, DisassociateMemberFromJob, ListJobMembers.

Owns: the three job-member handlers, which find the job (404 naming the farm, queue or job) and
then do exactly what api/members.py does for farms, queues and fleets. A job membership row
carries farm, queue and job ids (resource type JOB); a MANAGER on the job, its queue or its farm
may manage it, and only an OWNER touches OWNER memberships (members.py decides both).
Must not: hold SQL, or repeat members.py's rules (its functions are reused, not copied).
"""

from __future__ import annotations

from farmstead.api.context import Context
from farmstead.api.jobs import require_job
from farmstead.api.members import _associate, _disassociate, _list_members
from farmstead.api.registry import operation


@operation("AssociateMemberToJob", write=True, access="MANAGER")
def associate_member_to_job(ctx: Context, params: dict) -> dict:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    return _associate(ctx, params, "JOB", params["jobId"])


@operation("DisassociateMemberFromJob", write=True, access="MANAGER")
def disassociate_member_from_job(ctx: Context, params: dict) -> dict:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    return _disassociate(ctx, params, "JOB", params["jobId"])


@operation("ListJobMembers", access="MANAGER")
def list_job_members(ctx: Context, params: dict) -> dict:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    return _list_members(ctx, params["jobId"])
