"""Keyset paging for list queries: stable under concurrent inserts, cheap on deep pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa


def keyset_page(query: sa.Select[Any], created_at: sa.ColumnElement[Any], key: sa.ColumnElement[Any], after: Any,
                limit: int) -> sa.Select[Any]:
    """Order by (created_at, key) and continue after the position a previous page ended at.

    The position is `[created_at ISO string, key]` as produced by `position_of`, so it survives
    the trip through a pagination token.
    """
    if after is not None:
        at, last = datetime.fromisoformat(after[0]), after[1]
        query = query.where(sa.or_(created_at > at, sa.and_(created_at == at, key > last)))
    return query.order_by(created_at, key).limit(limit + 1)


def position_of(created_at: datetime, key: str) -> list[str]:
    return [created_at.isoformat(), key]
