"""`tinydl exercise`: stubs are "not started", reference solutions pass, plausible wrong
solutions fail on the check that names their mistake, broken files get the right verdict,
the handout holds no solution, and the gradebook of three made-up students is as expected;
the loop formulas the checks grade against agree with the tests' own references.

Grading runs in this process (runner.check_file, the same code `tinydl exercise check`
runs in the student's process), except where the behaviour under test needs a child
process: `grade` and the `python -m tinydl` entry point.
"""
import configparser
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl
import tinydl.functional as F
from tinydl import Tensor
from tinydl.ops import _patches
from tinydl.exercises import checks, formulas, get
from tinydl.exercises.cli import main as exercise_main
from tinydl.exercises.grading import grade_file, grade_folder, write_gradebook
from tinydl.exercises.registry import all_exercises
from tinydl.exercises.runner import check_file
from tinydl.exercises.workspace import Workspace, atomic_write
from tinydl.testing import strategies as tst

from reference import conv2d_loops, pool2d_loops

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "tinydl" / "exercises" / "solutions"
NAMES = [e.name for e in all_exercises()]


@pytest.fixture(autouse=True)
def few_examples(monkeypatch):
    """Fewer hypothesis examples and less shrinking than a student's check gets (20 and
    120): the suite's time budget."""
    monkeypatch.setattr(checks, "MAX_EXAMPLES", 8)
    monkeypatch.setattr(checks, "SHRINK_BUDGET", 20)


def solution(name: str) -> str:
    return (SOLUTIONS / f"{name}.py").read_text()


def place(folder: pathlib.Path, name: str, source: str) -> pathlib.Path:
    """Put `source` where a student's file for exercise `name` goes."""
    path = folder / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


def run_cli(*argv: str) -> int:
    return exercise_main(list(argv))


# -- the catalogue ----------------------------------------------------------------------------

def test_at_least_twelve_exercises_each_tied_to_the_article():
    assert len(NAMES) >= 12 and len(set(NAMES)) == len(NAMES)
    for e in all_exercises():
        assert re.fullmatch(r"[0-9.]+(, [0-9.]+)*", e.section), e.section
        assert len(e.hints) >= 2 and e.checks and e.defines
        assert "NotImplementedError" in e.stub and '"""' in e.stub
        assert (SOLUTIONS / e.filename).is_file(), f"no reference solution for {e.name}"


# -- phase 0 and the reference solutions ------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_every_stub_is_not_started_and_check_exits_nonzero(name, tmp_path, capsys):
    assert run_cli("start", name, "--dir", str(tmp_path)) == 0
    assert run_cli("check", name, "--dir", str(tmp_path)) != 0
    out = capsys.readouterr().out
    assert "Verdict: not started" in out and "NotImplementedError" in out


@pytest.mark.parametrize("name", NAMES)
def test_every_reference_solution_placed_in_a_workspace_passes(name, tmp_path, capsys):
    place(tmp_path, name, solution(name))
    assert run_cli("check", name, "--dir", str(tmp_path)) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "Verdict: passed" in out
    assert out.count("  ok  ") == len(get(name).checks)


# -- plausible wrong solutions: (exercise, what is wrong, replace this, by this, failing check);
#    a pair of tuples makes several replacements, in order

WRONG = [
    ("sigmoid", "σ' with a sign flipped", "(1 - self.out)", "(1 + self.out)",
     "backward passes gradcheck"),
    ("sigmoid", "σ(-x) instead of σ(x)", "np.where(x >= 0, 1 / (1 + e), e / (1 + e))",
     "np.where(x >= 0, e / (1 + e), 1 / (1 + e))", "forward matches 1/(1+e^-x)"),
    ("sigmoid", "σ' as e^-x / (1 + e^-x)², nan at -1e4",
     "return grad * self.out * (1 - self.out)",
     "x = np.log(self.out / (1 - self.out))\n"
     "        return grad * np.exp(-x) / (1 + np.exp(-x)) ** 2",
     "stable at x = ±1e4"),
    ("relu", "relu'(0) = 1", "self.positive = x > 0", "self.positive = x >= 0",
     "gradient at x = 0 is 0"),
    ("relu", "backward forgets the upstream grad", "return grad * self.positive",
     "return self.positive * 1.0", "backward passes gradcheck"),
    ("dense", "db averaged over the batch", "grad.sum(axis=0)", "grad.mean(axis=0)",
     "backward passes gradcheck (x, W and b)"),
    ("dense", "the bias forgotten", "return x @ W + b", "return x @ W",
     "forward matches z = xW + b"),
    ("mse", "the factor 2 forgotten", "grad * 2 * self.diff", "grad * self.diff",
     "backward passes gradcheck"),
    ("mse", "mean over rows instead of elements", "np.mean(self.diff ** 2)",
     "np.sum(self.diff ** 2) / len(self.diff)", "forward matches (1/n) Σ (y - ŷ)²"),
    ("binary_crossentropy", "the article's bracket slip", "return np.asarray(-terms.mean())",
     "return np.asarray(-(y_true * np.log(y_pred)).mean() "
     "+ ((1 - y_true) * np.log(1 - y_pred)).mean())",
     "forward matches -(1/n) Σ [y log ŷ + (1-y) log(1-ŷ)]"),
    ("binary_crossentropy", "the 1/n forgotten in backward", "/ (p * (1 - p)) / p.size",
     "/ (p * (1 - p))", "backward passes gradcheck"),
    ("softmax_cross_entropy", "softmax without subtracting the maximum",
     "shifted = logits - logits.max(axis=-1, keepdims=True)", "shifted = logits",
     "stable at logits = ±1e4"),
    ("softmax_cross_entropy", "the gradient's sign flipped", "(np.exp(self.log_p) - self.y)",
     "(self.y - np.exp(self.log_p))", "backward passes gradcheck"),
    ("conv2d_loops", "the kernel not flipped (cross-correlation)", "xp[s, px - a, py - bb, c]",
     "xp[s, sh * i + a, sw * j + bb, c]", "one channel, stride 1, 'valid' (the kernel flip)"),
    ("conv2d_loops", "'same' padding off by one (odd pixel first)",
     "return total // 2, total - total // 2", "return total - total // 2, total // 2",
     "'same' padding with an even kernel (the odd pixel after)"),
    ("conv2d_loops", "the output one pixel short", "h_out = (xp.shape[1] - kh) // sh + 1",
     "h_out = (xp.shape[1] - kh) // sh", "one channel, stride 1, 'valid' (the kernel flip)"),
    ("conv2d_im2col", "columns in (c, a, b) order",
     "return windows.reshape(n * h_out * w_out, kh * kw * c)",
     "return windows.transpose(0, 1, 2, 5, 3, 4).reshape(n * h_out * w_out, kh * kw * c)",
     "im2col's patch matrix layout"),
    ("conv2d_im2col", "the kernel not flipped", "w[::-1, ::-1].reshape(-1, c_out)",
     "w.reshape(-1, c_out)", "conv2d: one channel, stride 1, 'valid' (the kernel flip)"),
    ("conv2d_im2col", "conv2d still the loop version (im2col done)",
     ("def conv2d(", '"""Reference solution of exercise `conv2d_im2col`."""'),
     ("def vectorised_conv2d(", '"""im2col vectorised, conv2d with loops."""'
      + solution("conv2d_loops").split('"""', 2)[2]),
     "vectorised (no loop over samples or pixels)"),
    ("conv2d_backward", "dL/dw not flipped back", ".reshape(kh, kw, c_in, c_out)[::-1, ::-1]",
     ".reshape(kh, kw, c_in, c_out)", "dL/dw, the kernel gradient (stride 1, 'valid')"),
    ("conv2d_backward", "the padding cut off on the wrong side",
     "dxp[:, top:dxp.shape[1] - bottom, left:dxp.shape[2] - right, :]",
     "dxp[:, :dxp.shape[1] - top - bottom, :dxp.shape[2] - left - right, :]",
     "all three, with strides and padding"),
    ("max_pool_backward", "ties: the gradient copied to every maximum",
     "routed = np.zeros(self.flat.shape, dtype=grad.dtype)\n"
     "        np.put_along_axis(routed, first, grad[..., None], axis=-1)",
     "routed = (self.flat == self.flat.max(axis=-1, keepdims=True)) * grad[..., None]",
     "ties: the gradient goes to the first maximum only"),
    ("max_pool_backward", "ties: the last maximum wins", "first = self.flat.argmax(axis=-1)",
     "first = self.flat.shape[-1] - 1 - self.flat[..., ::-1].argmax(axis=-1)",
     "ties: the gradient goes to the first maximum only"),
    ("sgd_momentum", "θ moves against the velocity", "return theta + velocity, velocity",
     "return theta - velocity, velocity", "momentum 0 is θ ← θ - α·g"),
    ("sgd_momentum", "momentum applied to the gradient instead of the velocity",
     "momentum * velocity - learning_rate * grad", "momentum * grad - learning_rate * grad",
     "five steps match v ← μv - αg, θ ← θ + v"),
    ("adam", "Adam without bias correction", "m_hat = m / (1 - beta_1 ** t)\n    v_hat = v / "
     "(1 - beta_2 ** t)", "m_hat = m\n    v_hat = v",
     "the first step (bias correction: θ moves by about α)"),
    ("adam", "the step count started at 0", "m / (1 - beta_1 ** t)", "m / (1 - beta_1 ** (t - 1))",
     "the first step (bias correction: θ moves by about α)"),
    ("gan_losses", "the article's saturating generator loss",
     "return softplus(-fake_logits).mean()", "return -softplus(fake_logits).mean()",
     "generator loss is the non-saturating -E[log D(G(z))]"),
    ("gan_losses", "log σ computed naively, -inf at ±1e4",
     "return t.clip(0, None) + (1 + (-t.abs()).exp()).log()", "return (1 + t.exp()).log()",
     "stable at logits = ±1e4"),
    ("own_op", "a wrong derivative", "(1 - self.t ** 2)", "(1 + self.t ** 2)",
     "backward passes gradcheck"),
    ("own_op", "a constant op", ("return x * self.t", "return grad * self.t, grad * self.x"),
     ("return 0.0 * x", "return 0.0 * grad, 0.0 * grad * self.x"),
     "the output depends on the inputs"),
]


@pytest.mark.parametrize("name, mistake, old, new, check", WRONG,
                         ids=[f"{w[0]}: {w[1]}" for w in WRONG])
def test_plausible_wrong_solution_fails_on_the_check_naming_it(name, mistake, old, new, check,
                                                               tmp_path):
    source = solution(name)
    for before, after in zip(*((old, new) if isinstance(old, tuple) else ((old,), (new,)))):
        assert before in source, f"the reference solution changed: {before!r} is not in it"
        source = source.replace(before, after)
    path = place(tmp_path, name, source)
    verdict = check_file(get(name), path)
    assert (verdict.status, verdict.check) == ("failed", check), verdict.message
    assert verdict.message


def test_every_exercise_has_at_least_two_wrong_solutions():
    counts = {n: sum(w[0] == n for w in WRONG) for n in NAMES}
    assert min(counts.values()) >= 2, counts


def test_a_failure_prints_the_smallest_counterexample_in_plain_words(tmp_path, capsys):
    place(tmp_path, "relu", solution("relu").replace("return grad * self.positive",
                                                     "return self.positive * 1.0"))
    assert run_cli("check", "relu", "--dir", str(tmp_path)) == 1
    out = capsys.readouterr().out
    assert "ok      forward matches max(0, x)" in out
    assert "FAILED  backward passes gradcheck" in out
    assert "Verdict: failed: backward passes gradcheck" in out
    # the smallest input hypothesis shrinks to: one element
    assert "x = shape (1,), values" in out
    assert "your backward gives" in out and "central differences" in out
    assert "Full trace" not in out
    assert run_cli("check", "relu", "--dir", str(tmp_path), "--verbose") == 1
    assert "Full trace" in capsys.readouterr().out


def test_a_forward_failure_names_the_worst_element(tmp_path):
    path = place(tmp_path, "dense", solution("dense").replace("return x @ W + b", "return x @ W"))
    message = check_file(get("dense"), path).message
    assert "for the input" in message and "expected (the formula)" in message
    assert "got (your code)" in message and "worst element: index (" in message


def test_same_seed_same_verdict_and_counterexample(tmp_path):
    source = solution("mse").replace("grad * 2 * self.diff", "grad * self.diff")
    path = place(tmp_path, "mse", source)
    first, second = (check_file(get("mse"), path, seed=3) for _ in range(2))
    assert first.status == "failed" and first.to_dict() | {"trace": ""} == second.to_dict() | {
        "trace": ""}


# -- files that are broken, endless, or not the student's own work ------------------------------

def test_syntax_error_is_an_error_with_its_line_number(tmp_path):
    path = place(tmp_path, "relu", solution("relu").replace("def backward(self, grad):",
                                                            "def backward(self, grad)"))
    verdict = check_file(get("relu"), path)
    line = solution("relu").splitlines().index("    def backward(self, grad):") + 1
    assert verdict.status == "error" and f"line {line}" in verdict.message
    assert "syntax error" in verdict.message


def test_import_error_is_an_error_with_its_line_number(tmp_path, capsys):
    place(tmp_path, "relu", "import numpy as np\nimport numpyy\n")
    assert run_cli("check", "relu", "--dir", str(tmp_path)) == 1
    out = capsys.readouterr().out
    assert "Verdict: error" in out and "ModuleNotFoundError" in out and "line 2" in out


def test_missing_names_are_an_error(tmp_path):
    path = place(tmp_path, "relu", solution("relu").replace("class ReLU(", "class Relu("))
    verdict = check_file(get("relu"), path)
    assert verdict.status == "error" and "defines no ReLU" in verdict.message


def test_an_endless_loop_times_out_in_check(tmp_path):
    path = place(tmp_path, "relu", solution("relu").replace(
        "self.positive = x > 0", "while True:\n            pass"))
    verdict = check_file(get("relu"), path, timeout=0.5)
    assert (verdict.status, verdict.check) == ("timed out", "forward matches max(0, x)")


@pytest.mark.parametrize("source", [
    "from tinydl.exercises.solutions.relu import ReLU\n",
    "import tinydl.exercises.solutions.relu as reference\nReLU = reference.ReLU\n",
], ids=["from-import", "import-as"])
def test_a_file_importing_the_reference_is_flagged(source, tmp_path):
    verdict = check_file(get("relu"), place(tmp_path, "relu", source))
    assert verdict.status == "flagged" and "tinydl.exercises.solutions" in verdict.message


@pytest.mark.parametrize("name, source, where", [
    ("relu", "from tinydl.ops.reference.activations import ReluRef as ReLU\n",
     "tinydl.ops.reference.activations.ReluRef"),
    ("conv2d_loops", "import tinydl.ops.reference.conv as mine\n\n"
     "def conv2d(x, w, b=None, strides=1, padding='valid'):\n"
     "    return mine.correlate(x, w[::-1, ::-1], (1, 1), (1, 1), (1, 1))\n",
     "tinydl.ops.reference.conv"),
], ids=["relu", "conv2d-helper"])
def test_a_file_importing_the_reference_kernels_is_flagged(name, source, where, tmp_path):
    # the reference kernels write every op out as its formula reads: they are answers
    verdict = check_file(get(name), place(tmp_path, name, source))
    assert verdict.status == "flagged" and where in verdict.message


def test_a_file_calling_tinydls_own_conv2d_is_flagged(tmp_path):
    source = ("import tinydl.functional as F\n\n"
              "def conv2d(x, w, b=None, strides=1, padding='valid'):\n"
              "    return F.conv2d(x, w, b, strides, padding).data\n")
    verdict = check_file(get("conv2d_loops"), place(tmp_path, "conv2d_loops", source))
    assert verdict.status == "flagged" and "line 4: tinydl.functional.conv2d" in verdict.message


def test_a_hidden_call_of_tinydls_own_op_is_caught_while_it_runs(tmp_path):
    # no tinydl name in the source for the reader to see: the tripwire sees the call
    source = ("import importlib\nfrom tinydl import Function\n\n"
              "class ReLU(Function):\n"
              "    def forward(self, x):\n"
              "        module = importlib.import_module('tinydl.' + 'functional')\n"
              "        op = getattr(module, 're' + 'lu')\n"
              "        self.out = op(x).data\n"
              "        return self.out\n\n"
              "    def backward(self, grad):\n"
              "        return grad * (self.out > 0)\n")
    verdict = check_file(get("relu"), place(tmp_path, "relu", source))
    assert verdict.status == "flagged" and "tinydl.ops.activations.relu" in verdict.message
    import tinydl.functional as F
    assert F.relu.__module__ == "tinydl.ops.activations" and not hasattr(F.relu, "__wrapped__")


# -- the workspace ----------------------------------------------------------------------------

def test_start_never_overwrites_and_reset_keeps_a_backup(tmp_path, capsys):
    assert run_cli("start", "relu", "--dir", str(tmp_path)) == 0
    path = tmp_path / "relu.py"
    assert path.read_text() == get("relu").stub
    path.write_text("# my work\n")
    assert run_cli("start", "relu", "--dir", str(tmp_path)) == 1
    assert path.read_text() == "# my work\n"
    assert "reset" in capsys.readouterr().out
    assert run_cli("reset", "relu", "--dir", str(tmp_path)) == 0
    backups = list((tmp_path / ".backups").glob("relu-*.py"))
    assert [b.read_text() for b in backups] == ["# my work\n"]
    assert path.read_text() == get("relu").stub
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_list_shows_not_started_in_progress_and_passed(tmp_path, capsys):
    place(tmp_path, "relu", solution("relu"))
    place(tmp_path, "sigmoid", "# half done\n")
    run_cli("start", "dense", "--dir", str(tmp_path))
    assert run_cli("check", "relu", "--dir", str(tmp_path)) == 0
    capsys.readouterr()
    assert run_cli("list", "--json", "--dir", str(tmp_path)) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == NAMES
    assert all(set(r) == {"name", "title", "section", "state"} for r in rows)
    states = {r["name"]: r["state"] for r in rows}
    assert (states["relu"], states["sigmoid"], states["dense"], states["mse"]) == (
        "passed", "in progress", "not started", "not started")
    (tmp_path / "relu.py").write_text(solution("relu") + "\n# edited after passing\n")
    assert Workspace(tmp_path).state(get("relu")) == "in progress"


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    path = atomic_write(tmp_path / "relu.py", "old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(path, "new\n")
    assert path.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["relu.py"]


def test_hints_are_graded_and_the_level_is_checked(capsys):
    n = len(get("conv2d_loops").hints)
    for level in range(1, n + 1):
        assert run_cli("hint", "conv2d_loops", "--level", str(level)) == 0
        assert f"Hint {level} of {n}" in capsys.readouterr().out
    assert run_cli("hint", "conv2d_loops", "--level", str(n + 1)) == 2


def test_unknown_exercise_names_the_known_ones(capsys):
    assert run_cli("check", "conv3d") == 2
    err = capsys.readouterr().err
    assert "unknown exercise 'conv3d'" in err and "conv2d_loops" in err


# -- try ----------------------------------------------------------------------------------------

def test_try_trains_a_network_with_the_students_op_and_leaves_tinydl_alone(tmp_path, capsys):
    import tinydl.functional as F
    relu_before = F.relu
    place(tmp_path, "relu", solution("relu"))
    assert run_cli("try", "relu", "--dir", str(tmp_path), "--data", "bars") == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"Test accuracy with your op: ([0-9.]+)%", out).group(1))
    assert accuracy > 60  # chance is 33 %
    assert "generated bars" in out and F.relu is relu_before


def test_try_refuses_a_file_that_does_not_pass(tmp_path, capsys):
    place(tmp_path, "relu", solution("relu").replace("x > 0", "x >= 0"))
    assert run_cli("try", "relu", "--dir", str(tmp_path)) == 1
    assert "needs a file that passes" in capsys.readouterr().out


# -- the teacher's side ---------------------------------------------------------------------------

def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def solution_fragments(name: str) -> set[str]:
    """The code of the reference solution that its stub does not hand out: each line, and
    the expression it returns or assigns, without spaces (boilerplate excepted)."""
    stub = {squeeze(line) for line in get(name).stub.splitlines()}
    fragments = set()
    for line in solution(name).splitlines():
        line = line.strip()
        if (squeeze(line) in stub or line.startswith(("#", '"""', "import ", "from ", "def "))
                or re.fullmatch(r"[\w, ]+ = \w+\.shape", line)):  # shape unpacking
            continue
        for part in (line, re.sub(r"^return ", "", line), line.split(" = ", 1)[-1]):
            if len(squeeze(part)) >= 16:
                fragments.add(squeeze(part))
    return fragments


def test_pack_writes_stubs_hints_and_readme_but_no_solution(tmp_path):
    out = tmp_path / "handout"
    assert run_cli("pack", str(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{n}.py" for n in NAMES] + ["HINTS.md", "README.md"])
    for name in NAMES:
        assert (out / f"{name}.py").read_text() == get(name).stub
    packed = squeeze("\n".join(p.read_text() for p in out.iterdir()))
    leaked = {name: [code for code in solution_fragments(name) if code in packed]
              for name in NAMES}
    assert not any(leaked.values()), f"solution code in the pack: {leaked}"
    readme = (out / "README.md").read_text()
    assert "tinydl exercise check" in readme and all(f"`{n}`" in readme for n in NAMES)
    assert run_cli("pack", str(out)) == 1  # not over a folder that holds something


BROKEN = {
    "endless": solution("relu").replace("self.positive = x > 0", "while True:\n            pass"),
    "syntax": "def oops(:\n",
    # 1.6 GB, never touched: allocated fine without a limit, refused under 1024 MB
    "hog": "import numpy as np\nBIG = np.empty(200_000_000)\n",
    "flagged": "from tinydl.activations import Sigmoid\n",
}


def test_grade_three_made_up_students(tmp_path):
    submissions = tmp_path / "submissions"
    wrong_sigmoid = solution("sigmoid").replace("(1 - self.out)", "(1 + self.out)")
    place(submissions / "alice", "relu", solution("relu"))
    place(submissions / "alice", "sigmoid", wrong_sigmoid)
    place(submissions / "bob", "relu", BROKEN["endless"])
    place(submissions / "bob", "sigmoid", BROKEN["flagged"])
    place(submissions / "carol", "relu", BROKEN["syntax"])
    place(submissions / "carol", "sigmoid", BROKEN["hog"])
    book = grade_folder(submissions, ["relu", "sigmoid", "mse"], memory_mb=1024, jobs=2,
                        check_timeout=3, max_examples=8, shrink_budget=30)
    cells = {s: {e: v.summary() for e, v in row.items()} for s, row in book.rows.items()}
    assert cells == {
        "alice": {"relu": "passed", "sigmoid": "failed: backward passes gradcheck",
                  "mse": "not started"},
        "bob": {"relu": "timed out: forward matches max(0, x)", "sigmoid": "flagged",
                "mse": "not started"},
        "carol": {"relu": "error", "sigmoid": "error", "mse": "not started"},
    }
    assert "ran out of memory" in book.rows["carol"]["sigmoid"].message
    assert "line 1" in book.rows["carol"]["relu"].message
    csv_path, json_path = tmp_path / "book.csv", tmp_path / "book.json"
    write_gradebook(book, str(csv_path), str(json_path))
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "student,relu,sigmoid,mse,passed"
    assert rows[1] == "alice,passed,failed: backward passes gradcheck,not started,1"
    assert json.loads(json_path.read_text())["students"]["bob"]["sigmoid"]["status"] == "flagged"


def test_grade_stops_a_child_that_outlives_the_wall_clock_limit(tmp_path):
    path = place(tmp_path, "relu", solution("relu"))
    verdict = grade_file(get("relu"), path, timeout=0.05)
    assert verdict.status == "timed out" and "0.05 s" in verdict.message


# -- the command ----------------------------------------------------------------------------------

def test_console_script_is_declared_and_python_m_tinydl_runs(tmp_path):
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "tinydl = tinydl.cli:main" in config["options.entry_points"]["console_scripts"]
    # the tinydl these tests import (the installed one under .ci/run), not the checkout
    home = pathlib.Path(tinydl.__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(home))
    done = subprocess.run([sys.executable, "-m", "tinydl", "exercise", "--help"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for command in ("list", "start", "check", "hint", "reset", "try", "pack", "grade"):
        assert command in done.stdout


# -- the formulas the exercises are graded against, against the tests' own references ------

@settings(max_examples=30, deadline=None)
@given(tst.conv_geometries(max_batch=2, max_size=6, max_channels=2, max_kernel=3), st.data())
def test_the_graded_convolution_and_patches_are_the_references(g, data):
    # formulas.py shares no code with tinydl or tests/reference.py on purpose; both loop
    # versions of §3.1.4 must agree, and its patch layout must be tinydl's im2col
    x, w = data.draw(tst.arrays(g.x_shape)), data.draw(tst.arrays(g.w_shape))
    b = data.draw(tst.arrays((g.c_out,)))
    np.testing.assert_allclose(formulas.conv2d(x, w, b, g.strides, g.padding),
                               conv2d_loops(x, w, b, g.strides, g.padding), rtol=1e-12, atol=1e-12)
    sh, sw = (g.strides, g.strides) if isinstance(g.strides, int) else g.strides
    (_, (top, bottom), (left, right)) = formulas.conv_pads(x.shape, g.kh, g.kw, g.strides,
                                                          g.padding)
    xp = formulas.pad_image(x, top, bottom, left, right)
    out_hw = ((xp.shape[1] - g.kh) // sh + 1, (xp.shape[2] - g.kw) // sw + 1)
    np.testing.assert_array_equal(formulas.patches(xp, g.kh, g.kw, g.strides),
                                  _patches.im2col(xp, g.kh, g.kw, (sh, sw), out_hw))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.data())
def test_the_graded_max_pooling_is_the_reference(p, data):
    x = data.draw(tst.distinct_arrays((2, data.draw(st.integers(p, 7)),
                                       data.draw(st.integers(p, 7)), 2)))
    np.testing.assert_array_equal(formulas.max_pool2d(x, p), pool2d_loops(x, p, kind="max"))
    # the backward: each window's gradient at its (first) maximum, as tinydl routes it
    g = data.draw(tst.arrays(formulas.max_pool2d(x, p).shape))
    xt = Tensor(x, requires_grad=True)
    F.max_pool2d(xt, p).backward(g)
    np.testing.assert_array_equal(formulas.max_pool2d_backward(x, p, g), xt.grad)
