"""Every ```python block in docs/*.md runs, and the output a page shows is the output it prints.

The blocks of one page run in order in one shared namespace (a later block may
use names an earlier one defined), as a user pasting them into one session
would.  Each page is one test, run in a fresh temporary directory after
``set_random_seed(0)`` and ``clear_session()`` (so layer names such as
``dense_1`` and the numbers match the text), seeing only microkeras's own layer
classes (a page's ``Linear`` is then the only one, as in the reader's session,
not one of the suite's).

A ```text block right after a python block that prints something is that
block's expected output.  Timings (``0s``, ``183us/step``) are compared as
"some time", and ``...`` in the expected text stands for any text, so a page
may shorten a long message.  Other fences (```bash, or a ```text block after a
block that prints nothing) are shown, not checked.
"""

import contextlib
import io
import pathlib
import re

import pytest

from microkeras.layers import layer as layer_module
from microkeras.utils import clear_session, set_random_seed

DOCS_DIR = pathlib.Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)[^`]*$")
_TIME = re.compile(r"\b\d+(?:\.\d+)?(?:us|ms|s)\b")


def fenced_blocks(text):
    """Return ``[(language, first_line_number, body), ...]`` for each fenced block in ``text``.

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
        blocks.append((language, start + 1, "\n".join(lines[start:i]) + "\n"))
        i += 1
    return blocks


def python_blocks(text):
    """``[(first_line_number, source), ...]`` for the ```python blocks of ``text``, in order."""
    return [(line, body) for language, line, body in fenced_blocks(text) if language == "python"]


def _normalized(text):
    return "\n".join(_TIME.sub("<time>", line.rstrip()) for line in text.strip().splitlines())


def output_matches(printed, shown):
    """Whether ``printed`` is what the page ``shown``, timings aside and ``...`` matching anything."""
    pattern = ".*?".join(re.escape(part) for part in _normalized(shown).split("..."))
    return re.fullmatch(pattern, _normalized(printed), re.DOTALL) is not None


def run_page(path):
    """Execute the python blocks of ``path`` in one namespace and check their shown outputs.

    Raises ``AssertionError`` naming the page and line of the failing block.
    """
    namespace = {"__name__": "__main__"}
    blocks = fenced_blocks(path.read_text(encoding="utf-8"))
    for index, (language, line, source) in enumerate(blocks):
        if language != "python":
            continue
        code = compile(source, f"{path.name}:{line}", "exec")  # tracebacks point into the page
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(code, namespace)
        except Exception as error:
            raise AssertionError(f"{path.name}: the code block starting at line {line} raised "
                                 f"{type(error).__name__}: {error}") from error
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if printed.getvalue().strip() and following and following[0] == "text":
            if not output_matches(printed.getvalue(), following[2]):
                raise AssertionError(f"{path.name}: the output shown at line {following[1]} is not what the "
                                     f"block at line {line} prints:\n{printed.getvalue()}")
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


def test_shown_output_must_match_except_timings_and_ellipses(tmp_path):
    assert output_matches("45/45 - 0s - 183us/step - loss: 0.5\n", "45/45 - 1s - 2ms/step - loss: 0.5")
    assert output_matches("Error: a very long message\n", "Error: a very ...")
    assert not output_matches("loss: 0.5\n", "loss: 0.6")
    page = tmp_path / "drifted.md"
    page.write_text("```python\nprint(1 + 1)\n```\n\n```text\n3\n```\n")
    with pytest.raises(AssertionError, match=r"drifted.md: the output shown at line 6"):
        run_page(page)


def test_docs_directory_has_pages_with_code():
    pages = sorted(DOCS_DIR.glob("*.md"))
    assert pages, f"no documentation pages found in {DOCS_DIR}"
    for page in pages:
        assert python_blocks(page.read_text(encoding="utf-8")), f"{page.name} has no ```python block"


@pytest.mark.parametrize("page", sorted(DOCS_DIR.glob("*.md")), ids=lambda p: p.name)
def test_doc_page_code_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    own = {name: [cls for cls in classes if cls.__module__.startswith("microkeras.")]
           for name, classes in layer_module._LAYER_CLASSES.items()}
    monkeypatch.setattr(layer_module, "_LAYER_CLASSES", own)
    clear_session()
    set_random_seed(0)
    run_page(page)
