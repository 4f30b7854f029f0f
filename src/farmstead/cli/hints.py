"""Commands the CLI prints for the user to run next (`Try: …`, `Session logs: …`, `More workers: …`).

Owns: spelling `farmstead` the way it was started here (`make up` runs .venv/bin/farmstead, which may
not be on PATH; `python -m farmstead` needs that same python), and a command line from words, quoted
for a POSIX shell, so every hint runs as printed.
Must not: decide what a command needs; the command printing the hint passes every option it needs.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import click


def invocation() -> str:
    """How to type `farmstead` here."""
    argv0 = sys.argv[0] if sys.argv else "farmstead"
    if argv0.endswith("__main__.py") or argv0 == "-m":
        return f"{shlex.quote(short_path(Path(sys.executable)))} -m farmstead"
    found = shutil.which("farmstead")
    try:
        if found and Path(found).samefile(argv0):
            return "farmstead"
    except OSError:
        pass
    return shlex.quote(argv0) if os.sep in argv0 else "farmstead"


def command(*words: object) -> str:
    """`farmstead WORDS…` as one shell line (each word quoted where it needs to be)."""
    return " ".join([invocation(), *(_quoted(str(word)) for word in words)])


def _quoted(word: str) -> str:
    # `~/` stays outside the quotes, where the shell expands it.
    return "~/" + shlex.quote(word[2:]) if word.startswith("~/") else shlex.quote(word)


def given_options(ctx: click.Context, *names: str) -> list[str]:
    """`--name value` for each of `names` (parameter names) the user gave on the command line, so a
    follow-up command resolves the same farm, queue, profile and endpoint as this one did."""
    words: list[str] = []
    for name in names:
        if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE:
            value = ctx.params[name]
            if value is not None:
                words += [f"--{name.replace('_', '-')}", str(value)]
    return words


def short_path(path: Path) -> str:
    """`path` relative to the current directory (`./x`) or home (`~/x`) when it is inside one."""
    path = Path(path)
    for base, label in ((Path.cwd(), "."), (Path.home(), "~")):
        try:
            relative = path.relative_to(base)
        except ValueError:
            continue
        return "." if str(relative) == "." else f"{label}/{relative}"
    return str(path)
