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
from farmstead.api.members import _associate, _disassociate, _list_members, job_member
from farmstead.api.registry import operation
from farmstead.protocol import shapes


@operation("AssociateMemberToJob", write=True, access="MANAGER")
def associate_member_to_job(ctx: Context,
                            params: shapes.AssociateMemberToJobRequest) -> shapes.AssociateMemberToJobResponse:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    _associate(ctx, params, "JOB", params["jobId"])
    return {}


@operation("DisassociateMemberFromJob", write=True, access="MANAGER")
def disassociate_member_from_job(
        ctx: Context, params: shapes.DisassociateMemberFromJobRequest,
) -> shapes.DisassociateMemberFromJobResponse:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    _disassociate(ctx, params, "JOB", params["jobId"])
    return {}


@operation("ListJobMembers", access="MANAGER")
def list_job_members(ctx: Context, params: shapes.ListJobMembersRequest) -> shapes.ListJobMembersResponse:
    require_job(ctx, params["farmId"], params["queueId"], params["jobId"])
    members, more = _list_members(ctx, params["jobId"], job_member)
    return {"members": members, **more}
