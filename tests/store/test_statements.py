"""Statements built once: many rows updated by key in one statement per set of columns, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from farmstead.store import farms
from farmstead.store.schema import farms as farms_table
from farmstead.store.statements import update_many_by_key

NOW = datetime(2026, 12, 7, 3, 0, 0, 654321, tzinfo=UTC)


def _farm(conn, n: int) -> str:
    farm_id = f"farm-{n:032x}"
    farms.insert(conn, farm_id=farm_id, display_name=f"farm {n}", cost_scale_factor=1.0, created_at=NOW,
                 created_by="me")
    return farm_id


def test_update_many_writes_each_rows_own_values_and_leaves_others_alone(store):
    with store.write() as conn:
        ids = [_farm(conn, n) for n in range(5)]
    later = NOW.replace(hour=4)
    with store.write() as conn:
        update_many_by_key(conn, farms_table, "farm_id", [
            (ids[0], {"display_name": "zero", "cost_scale_factor": 2.5, "updated_at": later}),
            (ids[1], {"display_name": "one", "cost_scale_factor": 0.5, "updated_at": None}),
            (ids[2], {"display_name": "two", "cost_scale_factor": 1.5, "updated_at": later}),
            (ids[3], {"description": "only the description"}),  # another set of columns: its own statement
        ])
    with store.read() as conn:
        rows = {row.farm_id: row for row in conn.execute(sa.select(farms_table))}
    assert [(rows[i].display_name, rows[i].cost_scale_factor, rows[i].updated_at) for i in ids[:3]] == [
        ("zero", 2.5, later), ("one", 0.5, None), ("two", 1.5, later)]
    assert (rows[ids[3]].display_name, rows[ids[3]].description) == ("farm 3", "only the description")
    assert (rows[ids[4]].display_name, rows[ids[4]].description) == ("farm 4", None)
