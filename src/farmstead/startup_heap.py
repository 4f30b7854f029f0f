"""Freezing what a long-running process built while starting, so the garbage collector stops walking it.

Owns: the one call the server and the worker make once they are up. A full (generation 2) collection
walks every tracked object: after start-up that is the imported modules, botocore's service models,
SQLAlchemy's and the OpenJD models' objects, hundreds of thousands of them, none of which will
ever be garbage. Such a collection happens whenever enough objects have survived the younger
generations, runs on whichever thread allocated, and so stalls one request or one session action
for all of it (docs/benchmarks.md, "gc.freeze"). `gc.freeze()` moves them to a permanent generation
the collector ignores; what is allocated afterwards is collected as before.
Must not: turn the collector off or change its thresholds (reference cycles made while serving still
have to be found).
"""

from __future__ import annotations

import gc

_frozen = False


def freeze() -> int:
    """Collect once, then freeze every object left; the number frozen (0 when already done:
    a process freezes its start-up heap once)."""
    global _frozen
    if _frozen:
        return 0
    _frozen = True
    gc.collect()  # garbage made while starting is freed, not kept forever
    gc.freeze()
    return gc.get_freeze_count()
