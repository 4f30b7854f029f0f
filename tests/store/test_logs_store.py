"""store.logs on both stores: ensure_stream for the Deadline side, and event reads across chunk boundaries."""

from __future__ import annotations

from farmstead.store import logs


def test_ensure_stream_creates_group_and_stream_once(store):
    with store.write() as conn:
        logs.ensure_stream(conn, "/aws/deadline/farm-1/queue-1", "session-1", 1_000)
        logs.ensure_stream(conn, "/aws/deadline/farm-1/queue-1", "session-1", 2_000)
        logs.ensure_stream(conn, "/aws/deadline/farm-1/queue-1", "session-2", 3_000)
    with store.read() as conn:
        group = logs.find_group(conn, "/aws/deadline/farm-1/queue-1")
        assert group.creation_time == 1_000 and group.log_group_class == "STANDARD"
        assert logs.find_stream(conn, group.group_key, "session-1").creation_time == 1_000
        assert logs.find_stream(conn, group.group_key, "session-2") is not None


def _filled(store, count: int):
    """`count` events, three per timestamp so ties are ordered by ingestion, in batches."""
    with store.write() as conn:
        logs.ensure_stream(conn, "/g", "s", 0)
        group = logs.find_group(conn, "/g")
        stream = logs.find_stream(conn, group.group_key, "s")
        stamps = [i // 3 for i in range(count)]
        for at in range(0, count, 100):
            chunk = stamps[at:at + 100]
            messages = [f"m{at + i}" for i in range(len(chunk))]
            logs.append_events(conn, group.group_key, stream.stream_key, chunk, messages, 5, 0)
    return group, stream


def test_events_read_in_order_across_chunks_both_ways_and_from_any_gap(store):
    group, stream = _filled(store, 700)  # several growing chunks (64, 128, 256, …)
    with store.read() as conn:
        forward = [r.message for r in logs.iter_events(conn, stream_key=stream.stream_key, forward=True)]
        backward = [r.message for r in logs.iter_events(conn, stream_key=stream.stream_key, forward=False)]
        assert forward == [f"m{i}" for i in range(700)] and backward == forward[::-1]
        rows = list(logs.iter_events(conn, stream_key=stream.stream_key, forward=True))
        middle = rows[350]
        after = [r.message for r in logs.iter_events(conn, stream_key=stream.stream_key, forward=True,
                                                     gap=(middle.timestamp, middle.event_key))]
        before = [r.message for r in logs.iter_events(conn, stream_key=stream.stream_key, forward=False,
                                                      gap=(middle.timestamp, middle.event_key - 1))]
        assert after == forward[351:] and before == forward[:350][::-1]
        windowed = [r.message for r in logs.iter_events(conn, stream_key=stream.stream_key, forward=True,
                                                        start=10, end=12)]
        assert windowed == forward[30:36]


def test_group_reads_filter_terms_case_sensitively(store):
    group, _ = _filled(store, 30)
    with store.write() as conn:
        logs.create_stream(conn, group.group_key, "t", 0)
        other = logs.find_stream(conn, group.group_key, "t")
        logs.append_events(conn, group.group_key, other.stream_key, [4, 5], ["M1 upper", "m1 lower"], 5, 0)
    with store.read() as conn:
        found = [(r.stream_name, r.message) for r in logs.iter_events(conn, group_key=group.group_key, forward=True,
                                                                      all_of=["m1"], none_of=["lower"])]
        assert found == [("s", "m1")] + [("s", f"m{i}") for i in range(10, 20)]
        stream_row = logs.find_stream(conn, group.group_key, "s")
        assert (stream_row.first_event_timestamp, stream_row.last_event_timestamp) == (0, 9)
        assert stream_row.upload_sequence == 1
