"""farmstead.testing is a public package, not a corner of the test suite: importing it needs no
development-only package and no pytest (only its pytest plugin imports pytest), it finds nothing
through the source checkout, and the product never imports it."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import farmstead.testing

SRC = Path(farmstead.__file__).resolve().parent
PACKAGE = SRC / "testing"
PLUGIN = "farmstead.testing.pytest_plugin"


def _modules() -> list[str]:
    return sorted(f"farmstead.testing.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def _dev_only_modules() -> set[str]:
    """The top-level modules of the distributions only the `dev` extra installs (pytest, moto, ...)."""
    dev = {re.split(r"[\s\[<>=;!~]", requirement, maxsplit=1)[0].lower().replace("_", "-")
           for requirement in metadata.requires("farmstead") or [] if 'extra == "dev"' in requirement}
    return {module for module, distributions in metadata.packages_distributions().items()
            if any(distribution.lower().replace("_", "-") in dev for distribution in distributions)}


def test_the_dev_extra_is_read_from_the_installed_metadata():
    assert {"pytest", "moto", "hypothesis"} <= _dev_only_modules()


def test_importing_every_module_and_public_name_imports_no_development_only_package():
    script = ("import json, sys\nimport farmstead.testing as t\n"
              f"for name in {_modules()!r}:\n    if name != {PLUGIN!r}: __import__(name)\n"
              "[getattr(t, name) for name in t.__all__]\nprint(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    imported = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert imported & (_dev_only_modules() | {"pytest", "_pytest"}) == set()


def test_every_public_name_is_where_the_package_says():
    for name in farmstead.testing.__all__:
        assert getattr(farmstead.testing, name) is not None, name


def test_it_finds_nothing_through_the_source_checkout():
    """From an installed wheel there is no tests/ or repository root: no module reads its own path."""
    offenders = [f"{path.name}:{node.lineno}" for path in sorted(PACKAGE.glob("*.py"))
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Name) and node.id == "__file__"]
    assert offenders == []


def test_no_module_of_the_product_imports_it():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(PACKAGE):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(SRC)} imports {name}" for name in names
                          if name == "farmstead.testing" or name.startswith("farmstead.testing.")]
    assert offenders == []
