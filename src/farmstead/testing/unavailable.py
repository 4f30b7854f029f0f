"""What a test is told when this machine lacks something a Farmstead server of the kind it asked for needs.

Owns: the one exception farmstead.testing raises for "not here" rather than "broken": no PostgreSQL
answers for a server on PostgreSQL, SeaweedFS's `weed` is missing for one with job attachments.
Must not: import pytest. The pytest plugin (pytest_plugin.py) turns this exception into a skip that
says why; outside pytest it is an ordinary error with the same message.
"""

from __future__ import annotations


class Unavailable(RuntimeError):
    """A prerequisite of the requested server is not on this machine; the message says which and how to
    provide it."""
