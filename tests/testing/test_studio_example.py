"""docs/testing.md's example, run as a studio runs it: its files written to an empty directory (no
conftest, no ini file) and a fresh `python -m pytest` there, whose `farmstead` fixture comes from the
plugin the installed package registers (entry point `pytest11`); nothing is built or installed."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
#: A fenced block the page names a file for: ```python title="NAME" ... ```
_NAMED_BLOCK = re.compile(r'^```python title="([^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)


def example_files() -> dict[str, str]:
    return dict(_NAMED_BLOCK.findall(DOC.read_text()))


def test_the_installed_package_registers_the_plugin_with_pytest():
    plugins = {entry.name: entry.value for entry in metadata.entry_points(group="pytest11")}
    assert plugins.get("farmstead") == "farmstead.testing.pytest_plugin"


def test_the_documented_example_passes_as_a_studio_runs_it(studio_pytest):
    files = example_files()
    assert sorted(files) == ["shot_submitter.py", "test_shot_submitter.py"]
    done = studio_pytest(files, "-p", "no:xdist")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    # pytest's header lists the plugins installed packages registered: this one is Farmstead's.
    plugins = next(line for line in done.stdout.splitlines() if line.startswith("plugins:"))
    assert f"farmstead-{metadata.version('farmstead')}" in plugins
    assert "4 passed" in done.stdout and "skipped" not in done.stdout


def test_without_the_plugin_the_fixture_is_unknown(studio_pytest):
    """The control: the example passes because of the entry point, not something of this checkout."""
    done = studio_pytest(example_files(), "-p", "no:farmstead", "-p", "no:xdist")
    assert done.returncode == 1
    assert "fixture 'farmstead' not found" in done.stdout
