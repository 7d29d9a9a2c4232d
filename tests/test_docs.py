"""Every ```python block in docs/*.md runs, so the documentation cannot drift from the code.

The blocks of one page run in order in one shared namespace (a later block may
use names an earlier one defined), as a user pasting them into one session
would.  Each page is one test, run in a fresh temporary directory after
``set_random_seed(0)`` and ``clear_session()`` (so layer names such as
``dense_1`` match the text).  Blocks fenced as ```text, ```bash or anything
other than ```python are shown, not run.
"""

import pathlib
import re

import pytest

from microkeras.utils import clear_session, set_random_seed

DOCS_DIR = pathlib.Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)[^`]*$")


def python_blocks(text):
    """Return ``[(first_line_number, source), ...]`` for each fenced ```python block in ``text``.

    A fence opens with three or more backticks and an info string; it closes at
    a line holding at least as many backticks and nothing else.
    """
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i].strip())
        if not opening:
            i += 1
            continue
        ticks, language = opening.group(1), opening.group(2).lower()
        start = i + 1
        i = start
        while i < len(lines) and not (lines[i].strip().startswith(ticks) and set(lines[i].strip()) == {"`"}):
            i += 1
        if language == "python":
            blocks.append((start + 1, "\n".join(lines[start:i]) + "\n"))
        i += 1
    return blocks


def run_page(path):
    """Execute the python blocks of ``path`` in one namespace; raise naming the failing block."""
    namespace = {"__name__": "__main__"}
    for line, source in python_blocks(path.read_text(encoding="utf-8")):
        code = compile(source, f"{path.name}:{line}", "exec")  # tracebacks point into the page
        try:
            exec(code, namespace)
        except Exception as error:
            raise AssertionError(f"{path.name}: the code block starting at line {line} raised "
                                 f"{type(error).__name__}: {error}") from error
    return namespace


def test_block_extractor_runs_python_only_and_keeps_order():
    page = "\n".join([
        "Intro", "```python", "a = 1", "```",
        "```text", "this is not python", "```",
        "```bash", "rm -rf /", "```",
        "````python", "b = a + 1", "```", "c = 3", "````",
    ])
    blocks = python_blocks(page)
    assert [line for line, _ in blocks] == [3, 12]
    assert blocks[0][1] == "a = 1\n"
    assert blocks[1][1] == "b = a + 1\n```\nc = 3\n"


def test_failing_block_fails_with_its_page_and_line(tmp_path):
    page = tmp_path / "broken.md"
    page.write_text("```python\nx = 1\n```\n\n```python\nraise ValueError('boom')\n```\n")
    with pytest.raises(AssertionError, match=r"broken.md: the code block starting at line 6 raised ValueError: boom"):
        run_page(page)


def test_docs_directory_has_pages_with_code():
    pages = sorted(DOCS_DIR.glob("*.md"))
    assert pages, f"no documentation pages found in {DOCS_DIR}"
    for page in pages:
        assert python_blocks(page.read_text(encoding="utf-8")), f"{page.name} has no ```python block"


@pytest.mark.parametrize("page", sorted(DOCS_DIR.glob("*.md")), ids=lambda p: p.name)
def test_doc_page_code_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clear_session()
    set_random_seed(0)
    run_page(page)
