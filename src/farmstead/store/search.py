"""Search queries over jobs, steps, tasks and workers: a domain `SearchQuery` turned into SQLAlchemy Core.

Owns: which column each search field reads (a worker's STATUS is the status GetWorker shows,
derived here in SQL from the stored status and its open sessions), the SQL for every filter and
sort (parameter values are read from the JSON `parameters` columns with SQLAlchemy's portable JSON
paths), the count of `totalResults` (capped at MAX_RESULTS) and the offset page. Both dialects
give the same answers: absent values sort last in either direction, text sorts case-insensitively
and then byte-wise.
Must not: decide which fields or operators exist (domain/search.py), or check access and
existence (api/search.py does before calling).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.domain import worker_states
from farmstead.domain.search import (
    VOCABULARY,
    CreatorFirst,
    FieldOrder,
    FieldTest,
    Group,
    Kind,
    ParameterOrder,
    ParameterTest,
    Resource,
    SearchQuery,
    TermTest,
)
from farmstead.domain.statuses import WorkerStatus
from farmstead.store.schema import jobs, sessions, steps, tasks, workers

#: Search answers reach at most this far: totalResults stops counting here and no page goes past it.
MAX_RESULTS = 10_000


@dataclass(frozen=True)
class Scope:
    """Where to look: these queues of the farm, optionally one job of them; or (workers) these fleets."""

    farm_id: str
    queue_ids: tuple[str, ...] = ()
    job_id: str | None = None
    fleet_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Source:
    """How one resource is searched: its rows, field columns, searched texts, parameters and order."""

    select: Callable[[], sa.Select]
    within: Callable[[sa.Select, Scope], sa.Select]
    columns: dict[str, sa.ColumnElement]
    texts: tuple[sa.ColumnElement, ...]
    parameters: sa.Column | None
    creator: sa.ColumnElement | None  # whose job it is, for userJobsFirst (workers have none)
    natural: tuple[sa.ColumnElement, ...]


_AUDIT = ("created_at", "created_by", "updated_at", "updated_by")


def _in_queues(select: sa.Select, scope: Scope) -> sa.Select:
    select = select.where(jobs.c.farm_id == scope.farm_id, jobs.c.queue_id.in_(scope.queue_ids))
    return select if scope.job_id is None else select.where(jobs.c.job_id == scope.job_id)


def _in_fleets(select: sa.Select, scope: Scope) -> sa.Select:
    return select.where(workers.c.farm_id == scope.farm_id, workers.c.fleet_id.in_(scope.fleet_ids))


# The status GetWorker shows (api/workers.py `shown_status`): a STARTED worker is RUNNING while it
# holds an open session and IDLE otherwise; every other stored status is shown as it is. Filters and
# sorts read this, so a search for RUNNING finds exactly the workers GetWorker calls RUNNING.
_HOLDS_SESSION = sa.exists().where(sessions.c.worker_id == workers.c.worker_id, sessions.c.ended_at.is_(None))
_SHOWN_STATUS = sa.case((workers.c.status != WorkerStatus.STARTED, workers.c.status),
                        (_HOLDS_SESSION, sa.literal(worker_states.SHOWN_BUSY)),
                        else_=sa.literal(worker_states.SHOWN_IDLE))
_HOST_NAME = workers.c.host_properties["hostName"].as_string()

# What a job search answers with (JobSearchSummary): not the template, nor the JSON documents only GetJob
# shows (a real job's queue environments and parameter definitions are its largest), read and decoded for
# each of a page's rows for nothing.
_JOB_SUMMARY = tuple(column for column in jobs.c if column.name not in (
    "template", "parameter_definitions", "queue_environments", "attachments", "description"))

_SOURCES: dict[Resource, _Source] = {
    Resource.JOBS: _Source(
        select=lambda: sa.select(*_JOB_SUMMARY),
        within=_in_queues,
        columns={"JOB_ID": jobs.c.job_id, "QUEUE_ID": jobs.c.queue_id, "NAME": jobs.c.name,
                 "PRIORITY": jobs.c.priority, "LIFECYCLE_STATUS": jobs.c.lifecycle_status,
                 "TASK_RUN_STATUS": jobs.c.task_run_status, "TARGET_TASK_RUN_STATUS": jobs.c.target_task_run_status,
                 "TASK_FAILURE_RETRY_COUNT": jobs.c.task_failure_retry_count,
                 "MAX_FAILED_TASKS_COUNT": jobs.c.max_failed_tasks_count,
                 "MAX_RETRIES_PER_TASK": jobs.c.max_retries_per_task,
                 "STARTED_AT": jobs.c.started_at, "ENDED_AT": jobs.c.ended_at,
                 **{c.upper(): jobs.c[c] for c in _AUDIT}},
        texts=(jobs.c.name, jobs.c.job_id),
        parameters=jobs.c.parameters,
        creator=jobs.c.created_by,
        natural=(jobs.c.created_at, jobs.c.job_id),
    ),
    Resource.STEPS: _Source(
        select=lambda: sa.select(steps, jobs.c.queue_id).join(jobs, jobs.c.job_id == steps.c.job_id),
        within=_in_queues,
        columns={"STEP_ID": steps.c.step_id, "JOB_ID": steps.c.job_id, "QUEUE_ID": jobs.c.queue_id,
                 "NAME": steps.c.name, "LIFECYCLE_STATUS": steps.c.lifecycle_status,
                 "TASK_RUN_STATUS": steps.c.task_run_status, "TARGET_TASK_RUN_STATUS": steps.c.target_task_run_status,
                 "TASK_FAILURE_RETRY_COUNT": steps.c.task_failure_retry_count,
                 "STARTED_AT": steps.c.started_at, "ENDED_AT": steps.c.ended_at,
                 **{c.upper(): steps.c[c] for c in _AUDIT}},
        texts=(steps.c.name, steps.c.step_id),
        parameters=None,
        creator=jobs.c.created_by,
        natural=(jobs.c.created_at, jobs.c.job_id, steps.c.step_index),
    ),
    Resource.TASKS: _Source(
        select=lambda: (sa.select(tasks, jobs.c.queue_id)
                        .join(steps, steps.c.step_id == tasks.c.step_id)
                        .join(jobs, jobs.c.job_id == tasks.c.job_id)),
        within=_in_queues,
        columns={"TASK_ID": tasks.c.task_id, "STEP_ID": tasks.c.step_id, "JOB_ID": tasks.c.job_id,
                 "QUEUE_ID": jobs.c.queue_id, "RUN_STATUS": tasks.c.run_status,
                 "TARGET_RUN_STATUS": tasks.c.target_run_status, "FAILURE_RETRY_COUNT": tasks.c.failure_retry_count,
                 "STARTED_AT": tasks.c.started_at, "ENDED_AT": tasks.c.ended_at,
                 # Tasks are created with their step (as GetTask reports).
                 "CREATED_AT": steps.c.created_at, "CREATED_BY": steps.c.created_by,
                 "UPDATED_AT": tasks.c.updated_at, "UPDATED_BY": tasks.c.updated_by},
        texts=(tasks.c.task_id, steps.c.name),
        parameters=tasks.c.parameters,
        creator=jobs.c.created_by,
        natural=(jobs.c.created_at, jobs.c.job_id, steps.c.step_index, tasks.c.task_index),
    ),
    Resource.WORKERS: _Source(
        select=lambda: sa.select(workers),
        within=_in_fleets,
        columns={"WORKER_ID": workers.c.worker_id, "FLEET_ID": workers.c.fleet_id, "STATUS": _SHOWN_STATUS,
                 "HOST_NAME": _HOST_NAME, **{c.upper(): workers.c[c] for c in _AUDIT}},
        texts=(workers.c.worker_id, _HOST_NAME),
        parameters=None,
        creator=None,
        natural=(workers.c.created_at, workers.c.worker_id),  # ListWorkers' order
    ),
}

# TaskParameterValue / JobParameter members holding one number, and those holding one text.
_NUMBER_MEMBERS = ("int", "float")
_TEXT_MEMBERS = ("string", "path", "int", "float", "chunkInt", "bool", "rangeExpr")


def columns_of(resource: Resource) -> dict[str, sa.ColumnElement]:
    """The column each search field of the resource reads (a test holds it to the domain vocabulary)."""
    return _SOURCES[resource].columns


def search(conn: Connection, resource: Resource, scope: Scope, query: SearchQuery,
           offset: int, limit: int) -> tuple[list[Row], int]:
    """(the rows at positions offset..offset+limit-1, totalResults capped at MAX_RESULTS)."""
    source = _SOURCES[resource]
    filtered = source.within(source.select(), scope)
    if query.where is not None:
        filtered = filtered.where(_condition(source, query.where))
    counted = filtered.with_only_columns(sa.literal(1), maintain_column_froms=True).limit(MAX_RESULTS).subquery()
    total = conn.execute(sa.select(sa.func.count()).select_from(counted)).scalar_one()
    limit = min(limit, MAX_RESULTS - offset)
    if limit <= 0 or offset >= total:
        return [], total
    ordered = filtered.order_by(*_order_keys(conn, resource, query)).offset(offset).limit(limit)
    return list(conn.execute(ordered)), total


# --- filters -----------------------------------------------------------------------------------------

def _condition(source: _Source, condition) -> sa.ColumnElement:
    if isinstance(condition, Group):
        parts = [_condition(source, member) for member in condition.members]
        return sa.and_(*parts) if condition.operator == "AND" else sa.or_(*parts)
    if isinstance(condition, FieldTest):
        return _field_test(source.columns[condition.field], condition)
    if isinstance(condition, TermTest):
        return sa.and_(*[sa.or_(*[sa.func.lower(text).contains(fragment, autoescape=True) for text in source.texts])
                         for fragment in condition.fragments])
    if isinstance(condition, ParameterTest):
        return _parameter_test(_parameters_of(source), condition)
    raise TypeError(f"not a search condition: {condition!r}")


def _field_test(column: sa.ColumnElement, test: FieldTest) -> sa.ColumnElement:
    values = test.values
    # An absent value (never started, never updated) differs from every value, so it passes the
    # negative tests, and it is neither greater nor less than anything.
    match test.operator:
        case "EQUAL":
            return column == values[0]
        case "NOT_EQUAL":
            return sa.or_(column.is_(None), column != values[0])
        case "ANY_EQUALS":
            return column.in_(values)
        case "ALL_NOT_EQUALS":
            return sa.or_(column.is_(None), column.not_in(values))
    return _compare(column, test.operator, values[0])


def _compare(left, operator: str, right) -> sa.ColumnElement:
    match operator:
        case "EQUAL":
            return left == right
        case "NOT_EQUAL":
            return left != right
        case "GREATER_THAN":
            return left > right
        case "GREATER_THAN_EQUAL_TO":
            return left >= right
        case "LESS_THAN":
            return left < right
        case "LESS_THAN_EQUAL_TO":
            return left <= right
    raise ValueError(f"unknown operator {operator}")


def _parameter_number(column: sa.Column, name: str) -> sa.ColumnElement:
    return sa.func.coalesce(*[sa.cast(column[(name, member)].as_string(), sa.Float) for member in _NUMBER_MEMBERS])


def _parameter_text(column: sa.Column, name: str) -> sa.ColumnElement:
    return sa.func.coalesce(*[column[(name, member)].as_string() for member in _TEXT_MEMBERS])


def _parameter_test(column: sa.Column, test: ParameterTest) -> sa.ColumnElement:
    """Numbers compare as numbers when the filter value is one too; everything else as text.

    Items without the parameter (or with a list value) never match, whatever the operator.
    """
    text = _parameter_text(column, test.name)
    as_text = sa.and_(text.is_not(None), _compare(text, test.operator, test.text))
    if test.number is None:
        return as_text
    number = _parameter_number(column, test.name)
    return sa.or_(sa.and_(number.is_not(None), _compare(number, test.operator, test.number)),
                  sa.and_(number.is_(None), as_text))


# --- order -------------------------------------------------------------------------------------------

def _order_keys(conn: Connection, resource: Resource, query: SearchQuery) -> list[sa.ColumnElement]:
    source = _SOURCES[resource]
    keys: list[sa.ColumnElement] = []
    for order in query.order:
        if isinstance(order, FieldOrder):
            is_text = VOCABULARY[resource][order.field].kind is Kind.TEXT
            keys += _directed(conn, source.columns[order.field], order.descending, text=is_text)
        elif isinstance(order, ParameterOrder):
            number = _parameter_number(_parameters_of(source), order.name)
            text = _parameter_text(_parameters_of(source), order.name)
            keys.append(_absent_last(text))
            keys += _directed(conn, number, order.descending)
            keys += _directed(conn, text, order.descending, text=True)
        elif isinstance(order, CreatorFirst) and order.created_by and source.creator is not None:
            keys.append(sa.case((source.creator.in_(order.created_by), 0), else_=1))
    # The resource's own order settles ties, so pages never overlap or skip.
    return keys + list(source.natural)


def _parameters_of(source: _Source) -> sa.Column[Any]:
    if source.parameters is None:  # domain/search.py refuses parameter filters and orders for such a resource
        raise TypeError("this resource has no parameters to search")
    return source.parameters


def _absent_last(expression: sa.ColumnElement) -> sa.ColumnElement:
    return sa.case((expression.is_(None), 1), else_=0)


def _directed(conn: Connection, expression: sa.ColumnElement, descending: bool,
              text: bool = False) -> list[sa.ColumnElement]:
    """Keys sorting by `expression`, absent values last either way (SQLite and PostgreSQL disagree
    on where NULLs go, so it is spelled out); text case-insensitively, then byte-wise."""
    direction = sa.desc if descending else sa.asc
    # A NOT NULL column has no absent values: without the CASE an index on it can serve the order
    # (SearchJobs newest first over 100,000 jobs: ~1.5 s with it, a few ms without, on SQLite).
    keys = [] if isinstance(expression, sa.Column) and not expression.nullable else [_absent_last(expression)]
    if text:
        keys.append(direction(_bytewise(conn, sa.func.lower(expression))))
        keys.append(direction(_bytewise(conn, expression)))
    else:
        keys.append(direction(expression))
    return keys


def _bytewise(conn: Connection, expression: sa.ColumnElement) -> sa.ColumnElement:
    # PostgreSQL sorts text by the database's locale; SQLite byte-wise. "C" makes them agree.
    return sa.collate(expression, "C") if conn.dialect.name == "postgresql" else expression

