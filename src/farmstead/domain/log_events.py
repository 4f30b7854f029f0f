"""Rules for log events: what a PutLogEvents batch may hold, and what a filter pattern means.

Owns: the batch constraints of the `logs` model's PutLogEvents documentation (chronological order,
1,048,576 bytes counted as UTF-8 message bytes plus 26 per event, at most a 24 hour span among the
accepted events, events more than 2 hours ahead or 14 days behind rejected while the rest are
kept) and the term filter patterns Farmstead understands.
Must not: touch storage or raise API errors: problems are `LogRuleError`s that the logs handlers
turn into InvalidParameterException.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
TOO_NEW_MS = 2 * 3600 * 1000
TOO_OLD_MS = 14 * 24 * 3600 * 1000


class LogRuleError(ValueError):
    """A request the rules refuse as a whole; the message is what the caller is told."""


@dataclass(frozen=True)
class BatchVerdict:
    """Which events of a batch are stored: `events[start:end]`; the rest is reported as rejected."""

    start: int
    end: int
    too_old_end: int | None  # index of the last event older than 14 days (they form a prefix)
    too_new_start: int | None  # index of the first event more than 2 hours ahead (a suffix)


def event_bytes(message: str) -> int:
    return len(message.encode("utf-8")) + EVENT_OVERHEAD_BYTES


def judge_batch(timestamps: Sequence[int], messages: Sequence[str], now_ms: int) -> BatchVerdict:
    """Raise LogRuleError for a batch refused whole, else say which events are kept."""
    for i in range(1, len(timestamps)):
        if timestamps[i] < timestamps[i - 1]:
            raise LogRuleError("Log events in a single PutLogEvents request must be in chronological order.")
    size = sum(event_bytes(m) for m in messages)
    if size > MAX_BATCH_BYTES:
        raise LogRuleError(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    # Sorted input makes the too-old events a prefix and the too-new ones a suffix.
    start = 0
    while start < len(timestamps) and timestamps[start] < now_ms - TOO_OLD_MS:
        start += 1
    end = len(timestamps)
    while end > start and timestamps[end - 1] > now_ms + TOO_NEW_MS:
        end -= 1
    if end > start and timestamps[end - 1] - timestamps[start] > MAX_BATCH_SPAN_MS:
        raise LogRuleError("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    return BatchVerdict(start, end, start - 1 if start else None, end if end < len(timestamps) else None)


@dataclass(frozen=True)
class TermFilter:
    """A term pattern: every `all_of` term, at least one `any_of` term (if any), no `none_of` term.

    Terms are case-sensitive substrings of the message, as in CloudWatch Logs.
    """

    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()

    def matches(self, message: str) -> bool:
        return (all(t in message for t in self.all_of)
                and (not self.any_of or any(t in message for t in self.any_of))
                and not any(t in message for t in self.none_of))


_TOKEN = re.compile(r'([?-]?)(?:"([^"]*)"|(\S+))')


def parse_filter_pattern(pattern: str | None) -> TermFilter:
    """`ERROR`, `ERROR Exception`, `"exact phrase"`, `?ERROR ?WARN`, `ERROR -Retrying`.

    JSON (`{ ... }`), space-delimited (`[ ... ]`) and regex (`%...%`) patterns are refused rather
    than matched wrongly.
    """
    text = (pattern or "").strip()
    if not text:
        return TermFilter()
    if text[0] in "{[" or (len(text) > 1 and text[0] == "%" and text[-1] == "%"):
        raise LogRuleError("Farmstead supports only term filter patterns (words, \"quoted phrases\", ?any, -excluded);"
                           " JSON, space-delimited and regular expression patterns are not supported.")
    all_of: list[str] = []
    any_of: list[str] = []
    none_of: list[str] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TOKEN.match(text, position)
        if match is None or (match[2] is None and match[3] is None):
            raise LogRuleError(f"Invalid filter pattern: {pattern}")
        term = match[2] if match[2] is not None else match[3]
        if match[3] is not None and '"' in term:
            raise LogRuleError(f"Invalid filter pattern (unbalanced quotes): {pattern}")
        if term:
            {"": all_of, "?": any_of, "-": none_of}[match[1]].append(term)
        position = match.end()
    return TermFilter(tuple(all_of), tuple(any_of), tuple(none_of))
