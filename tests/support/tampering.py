"""Forged values for tests that check a server refuses what it did not issue.

A forgery must differ from the real value. Overwriting a character with a fixed one ("x" + token[1:])
leaves the value unchanged whenever it already had that character there (1 run in 64 for a base64
token), and the test then fails for no reason. `altered` always changes the character it touches.
"""

from __future__ import annotations

_REPLACEMENTS = "AB01xy"


def altered(text: str, at: int = 0) -> str:
    """`text` with the character at index `at` (negative counts from the end) replaced by another one
    of the same kind (a letter by a letter, a digit by a digit), so the result is still well formed."""
    index = at % len(text)
    current = text[index]
    pool = "0123456789" if current.isdigit() else ("ABCDEF" if current.isupper() else "abcdef") \
        if current.isalpha() else _REPLACEMENTS
    replacement = next(c for c in pool if c != current)
    return text[:index] + replacement + text[index + 1:]
