"""What the lesson tests share: running a lesson as a notebook in a real Jupyter kernel or
as a script, reading back what it computed, and the MNIST rule (tests that need the real
data skip without $TINYDL_DATA/mnist, except in CI, where a missing data folder is a
failure).

A lesson is module-level code in jupytext percent cells, so "what it computed" is its
global variables: `run_notebook(stem)` executes the lesson with jupytext -> nbclient in
quick mode, then a last cell pickles every global that is plain data (numbers, arrays,
dicts, lists, strings, tinydl objects), and the test reads them as `run["name"]`. Each
(lesson, options) pair runs once per test session.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib.util
import io
import os
import pathlib
import pickle
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

import pytest

LESSONS = pathlib.Path(__file__).parent.parent / "lessons"
#: The folder holding the tinydl these tests import (site-packages under .ci/run): what
#: a notebook kernel must import too, not the checkout.
TINYDL_HOME = pathlib.Path(importlib.util.find_spec("tinydl").origin).resolve().parents[1]
HAVE_MNIST = (pathlib.Path(os.environ.get("TINYDL_DATA", "/nonexistent")) / "mnist").is_dir()
LESSON_FILES = sorted(LESSONS.glob("[0-9]*.py"))
NOTEBOOK_TIMEOUT = 600   # seconds per cell; quick mode needs a few

_WORK = pathlib.Path(tempfile.mkdtemp(prefix="tinydl-lessons-"))
atexit.register(shutil.rmtree, _WORK, True)

# The last cell of a notebook run: every global that is data, pickled one by one.
DUMP_CELL = """\
import pickle as _pickle, types as _types
_saved = {}
for _name, _value in list(globals().items()):
    if (_name.startswith("_") or _name in ("In", "Out", "exit", "quit", "get_ipython")
            or isinstance(_value, (_types.ModuleType, _types.FunctionType, type))
            or type(_value).__module__ == "__main__"):
        continue
    try:
        _saved[_name] = _pickle.dumps(_value)
    except Exception:
        pass
with open(%r, "wb") as _file:
    _pickle.dump(_saved, _file)
"""


@dataclass
class LessonRun:
    """What one run of a lesson left: its globals, everything it printed, the figures."""
    stem: str
    namespace: dict[str, Any]
    stdout: str
    out: pathlib.Path
    figures: list[pathlib.Path] = field(default_factory=list)
    notebook: Any = None      # the executed notebook (its cells and outputs), for notebook runs

    def __getitem__(self, name: str) -> Any:
        if name not in self.namespace:
            raise KeyError(f"{self.stem} has no global {name!r}; it has "
                           f"{sorted(self.namespace)}")
        return self.namespace[name]

    def __contains__(self, name: str) -> bool:
        return name in self.namespace


def _figures(stdout: str) -> list[pathlib.Path]:
    return [pathlib.Path(p) for p in re.findall(r"^wrote (.+)$", stdout, flags=re.M)]


_notebook_runs: dict[tuple[str, str], LessonRun] = {}


def run_notebook(stem: str, args: str = "", quick: bool = True) -> LessonRun:
    """Execute lessons/<stem>.py as a notebook in a fresh python3 kernel (cwd = lessons/,
    TINYDL_QUICK=1, TINYDL_LESSON_ARGS=args); a failing cell fails the caller with the
    cell's traceback. Cached per (stem, args)."""
    key = (stem, args + ("" if quick else " <full>"))
    if key in _notebook_runs:
        return _notebook_runs[key]
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    out = pathlib.Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=_WORK))
    dump = out / "_namespace.pkl"
    notebook = jupytext.read(LESSONS / f"{stem}.py")
    notebook.cells.append(nbformat.v4.new_code_cell(DUMP_CELL % str(dump)))
    env = dict(os.environ, TINYDL_LESSON_OUT=str(out), TINYDL_LESSON_ARGS=args,
               PYTHONPATH=os.pathsep.join(filter(None, [str(TINYDL_HOME),
                                                        os.environ.get("PYTHONPATH")])))
    env.pop("MPLBACKEND", None)       # the kernel's own inline backend, as for a learner
    if quick:
        env["TINYDL_QUICK"] = "1"
    else:
        env.pop("TINYDL_QUICK", None)
    client = NotebookClient(notebook, timeout=NOTEBOOK_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(LESSONS)}})
    client.execute(env=env)
    stdout = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                     for o in cell.get("outputs", []) if o.get("output_type") == "stream"
                     and o.get("name") == "stdout")
    with open(dump, "rb") as f:
        saved = pickle.load(f)
    namespace = {}
    for name, blob in saved.items():
        try:
            namespace[name] = pickle.loads(blob)
        except Exception:     # e.g. an object of a class the lesson defined
            continue
    run = LessonRun(stem, namespace, stdout, out / stem, _figures(stdout), notebook)
    _notebook_runs[key] = run
    return run


def run_script(stem: str, *args: str, out: pathlib.Path | None = None) -> LessonRun:
    """Run lessons/<stem>.py in this process as `python <stem>.py --quick --out OUT ARGS`
    (runpy, __name__ == '__main__') and keep its globals."""
    out = out if out is not None else pathlib.Path(tempfile.mkdtemp(prefix=f"{stem}-",
                                                                     dir=_WORK))
    path = LESSONS / f"{stem}.py"
    argv = [str(path), "--quick", "--out", str(out), *args]
    buffer = io.StringIO()
    old_argv, old_path = sys.argv, list(sys.path)
    sys.argv = argv
    sys.path.insert(0, str(LESSONS))
    try:
        with contextlib.redirect_stdout(buffer):
            namespace = runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
    stdout = buffer.getvalue()
    return LessonRun(stem, namespace, stdout, out, _figures(stdout))


def run_subprocess(stem: str, *args: str, out: pathlib.Path, timeout: float = 900
                   ) -> LessonRun:
    """`python lessons/<stem>.py ARGS --out OUT` in its own process, from the lessons
    folder, as a learner runs it. Globals are not available (namespace is empty)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("TINYDL_QUICK", None)
    result = subprocess.run([sys.executable, f"{stem}.py", *args, "--out", str(out)],
                            cwd=LESSONS, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{stem}.py failed:\n{result.stdout}\n{result.stderr}"
    return LessonRun(stem, {}, result.stdout, out, _figures(result.stdout))


def lesson_definitions(stem: str):
    """The imports, functions, classes and UPPER_CASE constants of a lesson, without
    running it (lessons/_lesson.py's `definitions`): for the tests of that lesson. The
    networks lessons share come from tinydl.applications, not from here."""
    if str(LESSONS) not in sys.path:
        sys.path.insert(0, str(LESSONS))
    from _lesson import definitions
    return definitions(stem)


def need_mnist() -> None:
    """Skip the calling test without MNIST; fail it in CI (CI=true)."""
    if not HAVE_MNIST:
        assert os.environ.get("CI") != "true", "CI must provide MNIST through TINYDL_DATA"
        pytest.skip("needs MNIST: set TINYDL_DATA to a folder holding mnist/")


def uses_mnist(stem: str) -> bool:
    """Whether a lesson reads MNIST (directly or through a helper module)."""
    text = (LESSONS / f"{stem}.py").read_text(encoding="utf-8")
    return bool(re.search(r"mnist", text, flags=re.I)) and not stem.startswith("00_")
