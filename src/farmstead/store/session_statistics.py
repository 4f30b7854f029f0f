"""Stored results of StartSessionsStatisticsAggregation, kept for GetSessionsStatisticsAggregation.

Owns: the session_statistics_aggregations rows. Must not: compute statistics (domain does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from farmstead.store.schema import session_statistics_aggregations as aggregations


def insert(conn: Connection, **values: Any) -> None:
    conn.execute(aggregations.insert().values(**values))


def get(conn: Connection, farm_id: str, aggregation_id: str, *, created_since: datetime) -> Row | None:
    """The aggregation, unless it is older than `created_since` (results are kept for a limited time)."""
    return conn.execute(sa.select(aggregations).where(
        aggregations.c.aggregation_id == aggregation_id, aggregations.c.farm_id == farm_id,
        aggregations.c.created_at >= created_since)).first()


def delete_created_before(conn: Connection, cutoff: datetime) -> int:
    return conn.execute(aggregations.delete().where(aggregations.c.created_at < cutoff)).rowcount
