"""Small statistics and a plain-text table for benchmark output.

Owns: percentiles, medians and aligned table printing. Must not: measure anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def histogram_percentile(histogram: Mapping[int, int], pct: float) -> float:
    """Nearest-rank percentile of a value -> count histogram (NaN when it is empty)."""
    total = sum(histogram.values())
    if not total:
        return float("nan")
    rank = max(1, math.ceil(pct / 100 * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return float(max(histogram))


def median(values: Sequence[float]) -> float:
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return float("nan")
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def spread(values: Sequence[float]) -> str:
    """'min-max' of the values, to show how noisy a median is."""
    kept = [v for v in values if not math.isnan(v)]
    return f"{min(kept):.2f}-{max(kept):.2f}" if kept else "n/a"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
