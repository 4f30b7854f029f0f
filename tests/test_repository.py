"""The checkout stays clean: what Farmstead's commands write by default, run from the repository, is
git-ignored (a `git status` after `make up` or a bare `farmstead worker` shows nothing new). And it is
self-contained: every document a comment, docstring or doc cites is a file of the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
needs_git = pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                               reason="needs a git checkout")


@needs_git
@pytest.mark.parametrize("path", ["farmstead-data/farmstead.db", "farmstead-worker/worker.json",
                                  "farmstead-worker/sessions/s1/out.exr", ".e2e-venvs/deadline-cli/bin/deadline"])
def test_what_the_commands_write_by_default_is_ignored_by_git(path):
    checked = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, capture_output=True)
    assert checked.returncode == 0, f"{path} is not git-ignored"


# --- references to documentation -----------------------------------------------------------------

#: A path-like word ending in `.md`, not preceded by a character that would make it the tail of a
#: longer path or of a URL (`https://host/x/README.md` is someone else's file, not a citation).
_MARKDOWN_REFERENCE = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-][\w.-]*\.md)(?![\w/-])")
#: Markdown files of other projects that may be named in a comment or a doc. Add a name here only
#: for a file that is meant to be outside this repository.
_EXTERNAL_MARKDOWN: frozenset[str] = frozenset()
#: A numbered section (the section sign and a number). No document in this repository numbers its
#: sections, so such a reference can only point at notes kept elsewhere. An RFC's numbered section is
#: public and may be cited ("RFC 3986" right before the sign).
_NUMBERED_SECTION = re.compile("\u00a7\\s*\\d")
_RFC_BEFORE = re.compile(r"RFC\s*\d+\s*$")


def _tracked_text_files() -> list[tuple[str, str]]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, text=True)
    files = []
    for name in listed.stdout.split("\0"):
        path = REPO / name
        if not name or not path.is_file():
            continue
        try:
            files.append((name, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue  # images and other binary files cite nothing
    return files


def _cited_file_exists(citing: str, reference: str) -> bool:
    # A reference may be written from the repository's root (`docs/jobs.md`), relative to the citing
    # file (`jobs.md` inside docs/, `../README.md`), or as a bare page name from code (`jobs.md`).
    candidates = [REPO / reference, (REPO / citing).parent / reference]
    if "/" not in reference:
        candidates.append(REPO / "docs" / reference)
    return any(candidate.resolve().is_file() and candidate.resolve().is_relative_to(REPO)
               for candidate in candidates)


@needs_git
def test_every_markdown_file_that_code_tests_and_docs_cite_is_in_the_repository():
    missing = []
    for name, text in _tracked_text_files():
        for number, line in enumerate(text.splitlines(), 1):
            for match in _MARKDOWN_REFERENCE.finditer(line):
                reference = match.group(1)
                if reference not in _EXTERNAL_MARKDOWN and not _cited_file_exists(name, reference):
                    missing.append(f"{name}:{number} cites {reference}")
    assert missing == [], "cited documents that are not in the repository:\n" + "\n".join(missing)


@needs_git
def test_no_tracked_file_cites_numbered_sections_of_documents_outside_the_repository():
    cited = [f"{name}:{number}: {line.strip()}"
             for name, text in _tracked_text_files()
             for number, line in enumerate(text.splitlines(), 1)
             for match in _NUMBERED_SECTION.finditer(line) if not _RFC_BEFORE.search(line[:match.start()])]
    assert cited == [], "numbered sections of documents that are not in the repository:\n" + "\n".join(cited)
