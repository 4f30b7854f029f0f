"""Reading a row the transaction relies on being there.

Owns: `Missing`, raised when a row that must exist is absent (the caller read or wrote it earlier in
the same transaction, or a foreign key points at it), and `existing`, which turns a lookup's
`Row | None` into the row or raises Missing. Missing is a broken invariant, answered as an internal
error: a row a client names and may not find is the api's ResourceNotFoundException, decided there.
Must not: decide anything, or stand in for a not-found the client can cause.
"""

from __future__ import annotations

from sqlalchemy.engine import Row


class Missing(LookupError):
    """A row that must exist does not."""


def existing(row: Row | None, what: str) -> Row:
    """`row`, or Missing naming `what` ("job job-…")."""
    if row is None:
        raise Missing(f"{what} does not exist")
    return row
