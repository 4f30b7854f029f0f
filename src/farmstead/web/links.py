"""Links into the monitor made by others: GetMonitor's `url` and the links the official CLI builds.

Owns: turning those addresses into redirects to the monitor's own pages. GetMonitor answers
`http://<host>:<port>/monitors/<subdomain>/`: every monitor of this server is this one site, so it
opens the farm list. The `deadline` CLI (0.60.2 on) keeps only the scheme and host of that url and
builds Deadline Cloud monitor's paths on it: `/farms`, `/<region>/farms/<farm>`, and
`/<region>/farms/<farm>/queues/<queue>` with `jobId`, `stepId` and `taskId` in the query to select
a job, a step or a task. The region is the farm's as the client knows it; ids are unique on this
server, so it only has to look like a region.
Must not: read or check anything (the page redirected to signs the visitor in and asks the API,
as the visitor, whether they may see it), or redirect off this site: every id is checked against
the model's pattern before it goes into a path.
"""

from __future__ import annotations

import re
import urllib.parse

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

# The model's id patterns (FarmId, QueueId, JobId, StepId, TaskId).
_IDS = {
    "farm": re.compile(r"farm-[0-9a-f]{32}"), "queue": re.compile(r"queue-[0-9a-f]{32}"),
    "job": re.compile(r"job-[0-9a-f]{32}"), "step": re.compile(r"step-[0-9a-f]{32}"),
    "task": re.compile(r"task-[0-9a-f]{32}-(0|[1-9][0-9]{0,9})"),
}
# us-west-2, eu-central-1, us-gov-west-1, ap-southeast-5, ...
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_SUBDOMAIN = re.compile(r"[a-z0-9-]{1,100}")  # the model's Subdomain pattern, bounded


def routes() -> list[Route]:
    """Mounted after the monitor's own routes: none of these paths is one of its pages."""
    return [
        Route("/monitors/{subdomain}/", _monitor_root),
        Route("/monitors/{subdomain}", _monitor_root),
        Route("/farms", _farm_list),
        Route("/{region}/farms/{farm_id}", _farm),
        Route("/{region}/farms/{farm_id}/queues/{queue_id}", _queue),
    ]


async def _monitor_root(request: Request) -> Response:
    if not _SUBDOMAIN.fullmatch(request.path_params["subdomain"]):
        return _not_a_page()
    return _to("/")


async def _farm_list(request: Request) -> Response:
    return _to("/")


async def _farm(request: Request) -> Response:
    farm_id = request.path_params["farm_id"]
    if not _REGION.fullmatch(request.path_params["region"]) or not _IDS["farm"].fullmatch(farm_id):
        return _not_a_page()
    return _to(f"/farms/{farm_id}")


async def _queue(request: Request) -> Response:
    params = request.path_params
    if not _REGION.fullmatch(params["region"]):
        return _not_a_page()
    target = queue_link_target(params["farm_id"], params["queue_id"], request.query_params.get("jobId"),
                               request.query_params.get("stepId"), request.query_params.get("taskId"))
    return _to(target) if target else _not_a_page()


def queue_link_target(farm_id: str, queue_id: str, job_id: str | None = None, step_id: str | None = None,
                      task_id: str | None = None) -> str | None:
    """The monitor's page for a queue link and its selection (the deepest one given), or None when an
    id is malformed or given without its parent (the CLI never builds such a link)."""
    chain = [("farm", farm_id), ("queue", queue_id), ("job", job_id), ("step", step_id), ("task", task_id)]
    given = [(kind, value) for kind, value in chain if value]
    if [kind for kind, _ in given] != [kind for kind, _ in chain[:len(given)]]:
        return None
    if not all(_IDS[kind].fullmatch(value) for kind, value in given):
        return None
    return "".join(f"/{kind}s/{urllib.parse.quote(value)}" for kind, value in given)


def _to(path: str) -> Response:
    # 302: the target depends on this server's page layout, which may change; never cached for good.
    return RedirectResponse(path, status_code=302)


def _not_a_page() -> Response:
    return PlainTextResponse("Not Found", status_code=404)
