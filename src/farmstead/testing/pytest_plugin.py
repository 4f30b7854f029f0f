"""Farmstead's pytest plugin (farmstead.testing).

pytest loads it by itself once Farmstead is installed (the `pytest11` entry point `farmstead` in
pyproject.toml); `-p no:farmstead` turns it off.

Owns: turning Unavailable (no PostgreSQL for a server on PostgreSQL, no SeaweedFS for job attachments)
into a skip that says why, wherever a test or fixture meets it.
Must not: hold what a server or worker does; that is in the modules beside it, which need no pytest.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from farmstead.testing.unavailable import Unavailable


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except Unavailable as missing:
        pytest.skip(str(missing))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except Unavailable as missing:
        pytest.skip(str(missing))
