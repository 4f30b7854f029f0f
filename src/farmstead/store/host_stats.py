"""The latest host-metrics line of each worker's log stream (docs/monitoring.md, "Worker host statistics").

Owns: finding, in a fleet's worker log group (/aws/deadline/<farm>/<fleet>, one stream per worker id),
each worker's most recent line that carries host statistics. Bounded: only the last RECENT events of
a stream are looked at (the agents write one such line a minute among their other lines), so a stream
without any (an agent that writes none) costs one short index walk, not a scan of its history.
Must not: parse the line (domain/host_stats.py does).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from farmstead.domain.host_stats import MARKER
from farmstead.domain.log_names import worker_log_group
from farmstead.store.schema import log_events, log_groups, log_streams

#: How far back a stream is searched for a host-metrics line.
RECENT = 200

_recent = (sa.select(log_events.c.timestamp, log_events.c.event_key, log_events.c.message)
           .where(log_events.c.stream_key == sa.bindparam("b_stream_key"))
           .order_by(log_events.c.timestamp.desc(), log_events.c.event_key.desc()).limit(RECENT).subquery())
_LATEST = (sa.select(_recent.c.timestamp, _recent.c.message).where(_recent.c.message.contains(MARKER, autoescape=True))
           .order_by(_recent.c.timestamp.desc(), _recent.c.event_key.desc()).limit(1))


def latest_lines(conn: Connection, farm_id: str, fleet_id: str,
                 worker_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Worker id -> (timestamp in epoch ms, message) of its latest host-metrics line, for those that have one."""
    group_key = conn.execute(sa.select(log_groups.c.group_key)
                             .where(log_groups.c.name == worker_log_group(farm_id, fleet_id))).scalar()
    if group_key is None or not worker_ids:
        return {}
    streams = conn.execute(sa.select(log_streams.c.name, log_streams.c.stream_key)
                           .where(log_streams.c.group_key == group_key, log_streams.c.name.in_(list(worker_ids))))
    found = {}
    for name, stream_key in list(streams):
        row = conn.execute(_LATEST, {"b_stream_key": stream_key}).first()
        if row is not None:
            found[name] = (row.timestamp, row.message)
    return found
