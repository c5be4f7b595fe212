"""Every lesson is a course a learner can step through: it executes top to bottom as a
notebook in a real Jupyter kernel (quick mode), writes and shows the figures it announces,
is built of short prose and code cells, quotes the article only with the article's own
words, and ends with things to try. `tinydl lessons notebooks` writes notebooks that run
where they are written. Every lesson as a script: `pytest -m slow`."""
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from lesson_helpers import (LESSON_FILES, LESSONS, need_mnist, run_notebook, run_subprocess,
                            uses_mnist)

STEMS = [p.stem for p in LESSON_FILES]
ARTICLE = LESSONS.parent.parent / "shared" / "seed" / "000_e5f49ae61b057a08.txt"
CJK = re.compile(r"[\u4e00-\u9fff]")
MAX_LINES = 300
MAX_CODE_CELL = 30        # lines of a code cell ("about 25")
MAX_PROSE_CELL = 12       # lines of a markdown cell after the first (a quote takes 3-4)


def cells(path: pathlib.Path) -> list[tuple[str, list[str]]]:
    """(kind, lines) of each percent cell: kind 'markdown' or 'code'; the header is skipped."""
    result: list[tuple[str, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            result.append(("markdown" if "[markdown]" in line else "code", []))
        elif result:
            result[-1][1].append(line)
    return [(kind, _strip(lines)) for kind, lines in result]


def _strip(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return lines


@pytest.mark.parametrize("stem", STEMS)
def test_lesson_is_a_course_of_short_cells(stem):
    path = LESSONS / f"{stem}.py"
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LINES, f"{stem}: {len(text.splitlines())} lines"
    assert "def main(" not in text and "__main__" not in text, f"{stem}: a main() wall"
    parsed = cells(path)
    markdown = [lines for kind, lines in parsed if kind == "markdown"]
    code = [lines for kind, lines in parsed if kind == "code"]
    assert len(markdown) >= 6, f"{stem}: {len(markdown)} markdown cells"
    assert parsed[0][0] == "markdown", f"{stem}: starts with code, not with its title"
    for lines in code:
        assert len(lines) <= MAX_CODE_CELL, f"{stem}: a code cell of {len(lines)} lines:\n" + \
            "\n".join(lines[:5])
    for lines in markdown[1:]:
        assert len(lines) <= MAX_PROSE_CELL, f"{stem}: a prose cell of {len(lines)} lines:\n" + \
            "\n".join(lines[:5])
        assert all(not line or line.startswith("#") for line in lines), f"{stem}: prose not commented"
    assert CJK.search(text), f"{stem}: no Chinese term or quote"
    assert "try it yourself" in "\n".join(markdown[-1]).lower(), f"{stem}: no closing exercises"


@pytest.mark.parametrize("stem", STEMS)
def test_every_quote_is_the_articles_own_text(stem):
    """A 「…」 quote in a lesson is a sentence of the article, character for character
    (a quote shortened with …… is checked piece by piece)."""
    if not ARTICLE.exists():
        pytest.skip(f"the article is not at {ARTICLE}")
    article = re.sub(r"\s+", "", ARTICLE.read_text(encoding="utf-8"))
    text = (LESSONS / f"{stem}.py").read_text(encoding="utf-8")
    prose = "".join(line.lstrip("#> ") for line in text.splitlines())
    for quote in re.findall(r"「(.+?)」", prose):
        for piece in filter(None, re.sub(r"\s+", "", quote).split("……")):
            assert piece in article, f"{stem}: 「{quote}」 is not the article's text"


@pytest.mark.parametrize("stem", STEMS)
def test_lesson_runs_as_a_notebook_and_shows_its_figures(stem):
    if uses_mnist(stem):
        need_mnist()
    run = run_notebook(stem)             # a failing cell raises CellExecutionError here
    assert run.figures, f"{stem} announced no figure"
    for path in run.figures:
        assert path.stat().st_size > 1000, path
    shown = sum("image/png" in output.get("data", {}) for cell in run.notebook.cells
                if cell.cell_type == "code" for output in cell.get("outputs", []))
    assert shown >= len(run.figures), f"{stem}: {len(run.figures)} figures, {shown} shown"


def test_lesson_0_learns_the_bars():
    run = run_notebook("00_tiny_cnn_on_generated_bars")
    assert run["test_accuracy"] > 0.8, run.stdout       # chance is 1/3
    assert f"test accuracy {run['test_accuracy']:.3f}" in run.stdout


def test_lesson_0_runs_as_a_script(tmp_path):
    run = run_subprocess("00_tiny_cnn_on_generated_bars", "--quick", out=tmp_path)
    assert {p.name for p in run.figures} == {"curves.png", "kernels_and_samples.png"}
    assert all(p.parent == tmp_path for p in run.figures)


@pytest.mark.slow
@pytest.mark.parametrize("stem", STEMS)
def test_lesson_runs_as_a_script(stem, tmp_path):
    if uses_mnist(stem):
        need_mnist()
    run = run_subprocess(stem, "--quick", out=tmp_path)
    assert run.figures and all(p.stat().st_size > 1000 for p in run.figures)


def test_quick_mode_and_options_come_from_the_environment_in_a_kernel(tmp_path):
    """In a kernel there is no command line: TINYDL_QUICK and TINYDL_LESSON_ARGS."""
    code = ("import sys; sys.argv = ['ipykernel_launcher.py', '-f', 'k.json'];"
            "import ipykernel; from _lesson import Lesson;"
            "l = Lesson('x', epochs=10, dcgan=False); print(l.quick, l.epochs, l.dcgan, l.out)")
    env = dict(os.environ, TINYDL_QUICK="1", TINYDL_LESSON_ARGS="--epochs 3 --dcgan",
               TINYDL_LESSON_OUT=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], cwd=LESSONS, env=env,
                            capture_output=True, text=True, check=True)
    assert result.stdout.split()[-4:] == ["True", "3", "True", str(tmp_path / "x")]


def test_show_source_prints_the_code_and_in_a_notebook_displays_it(tmp_path, monkeypatch,
                                                                  capsys):
    """`Lesson.show_source(obj)`: a line naming obj and its file, then its code, printed
    in a script; in a notebook the code is displayed as a highlighted block instead."""
    import inspect

    from tinydl.applications import unet

    monkeypatch.syspath_prepend(str(LESSONS))
    import _lesson

    monkeypatch.setattr(sys, "argv", ["x.py", "--out", str(tmp_path)])
    lesson = _lesson.Lesson("x")
    capsys.readouterr()
    assert lesson.show_source(unet) == inspect.getsource(unet)
    lines = capsys.readouterr().out.splitlines()
    line = inspect.getsourcelines(unet)[1]
    assert lines[0] == f"# tinydl.applications.unet, from tinydl/applications.py line {line}:"
    assert "\n".join(lines[1:]) == inspect.getsource(unet).rstrip() + "\n"   # a blank line

    import IPython.display
    shown = []
    monkeypatch.setattr(_lesson, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", shown.append)
    lesson.show_source(_lesson.Lesson.show_source)
    line = inspect.getsourcelines(_lesson.Lesson.show_source)[1]
    assert capsys.readouterr().out.splitlines() == [
        f"# _lesson.Lesson.show_source, from lessons/_lesson.py line {line}:"]
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Code)
    assert shown[0].data == inspect.getsource(_lesson.Lesson.show_source)
    html = shown[0]._repr_html_()                       # highlighted: a span per token
    assert '<span class="k">def</span>' in html and ">show_source</span>" in html


def test_lesson_helper_imports_and_shows_source_without_ipython(tmp_path):
    code = ("import sys; sys.modules['IPython'] = None; sys.argv = ['x.py', '--out', %r];"
            "from _lesson import Lesson; from tinydl.applications import article_cnn;"
            "Lesson('x').show_source(article_cnn)" % str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], cwd=LESSONS, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert "def article_cnn(" in result.stdout


def test_tinydl_lessons_notebooks_writes_notebooks_that_run_where_they_are(tmp_path):
    from nbclient import NotebookClient
    import nbformat
    from tinydl.cli import main

    dest = tmp_path / "notebooks"
    assert main(["lessons", "notebooks", str(dest), "--lessons", str(LESSONS)]) == 0
    written = sorted(p.stem for p in dest.glob("*.ipynb"))
    assert written == STEMS
    assert (dest / "_lesson.py").exists()
    notebook = nbformat.read(dest / "00_tiny_cnn_on_generated_bars.ipynb", as_version=4)
    kinds = [c.cell_type for c in notebook.cells]
    assert kinds.count("markdown") >= 6 and kinds[0] == "markdown"
    env = dict(os.environ, TINYDL_QUICK="1", TINYDL_LESSON_OUT=str(tmp_path / "out"))
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(dest)}}).execute(env=env)
    assert (tmp_path / "out" / "00_tiny_cnn" / "curves.png").stat().st_size > 1000

    # a notebook the learner edited is kept, unless --force
    target = dest / "00_tiny_cnn_on_generated_bars.ipynb"
    target.write_text(json.dumps({"edited": True}))
    assert main(["lessons", "notebooks", str(dest), "--lessons", str(LESSONS)]) == 0
    assert json.loads(target.read_text()) == {"edited": True}
    assert main(["lessons", "notebooks", str(dest), "--lessons", str(LESSONS), "--force"]) == 0
    assert "cells" in json.loads(target.read_text())


def test_tinydl_lessons_says_where_it_looked(tmp_path, capsys):
    from tinydl.cli import main

    assert main(["lessons", "notebooks", str(tmp_path / "nb"), "--lessons", str(tmp_path)]) == 2
    assert "no lessons found" in capsys.readouterr().err
    assert main(["lessons", "notebooks", str(LESSONS), "--lessons", str(LESSONS)]) == 2
