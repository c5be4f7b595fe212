"""Every lesson runs unattended with --quick, writes the figures it announces, and
(for lessons that train) learns something."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

from lesson_helpers import LESSONS as LESSON_DIR
from lesson_helpers import need_mnist

LESSONS = sorted(LESSON_DIR.glob("[0-9]*.py"))


def run_lesson(path: pathlib.Path, out: pathlib.Path) -> str:
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, path.name, "--quick", "--out", str(out)],
                            cwd=path.parent, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"{path.name} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_quick_and_writes_its_figures(lesson, tmp_path):
    if "datasets import mnist" in lesson.read_text():
        need_mnist()
    stdout = run_lesson(lesson, tmp_path)
    written = re.findall(r"^wrote (.+)$", stdout, flags=re.M)
    assert written, f"{lesson.name} announced no figure"
    for path in written:
        assert pathlib.Path(path).stat().st_size > 1000, path


def test_lesson_0_learns_the_bars(tmp_path):
    stdout = run_lesson(LESSONS[0], tmp_path)
    last_epoch = [line for line in stdout.splitlines() if re.match(r"^\s+\d+\s", line)][-1]
    test_accuracy = float(last_epoch.split()[3])
    assert test_accuracy > 0.8, stdout  # chance is 1/3
