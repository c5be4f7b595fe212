"""The teacher's gradebook: grade a folder of student folders, each exercise in its own process.

    submissions/
        alice/  sigmoid.py  relu.py  conv2d_loops.py ...
        bob/    sigmoid.py ...

`grade_folder` runs, for every student and every exercise file present, a child process
(`python -m tinydl.exercises.grading`) that sets its own limits with resource.setrlimit
(address space = the memory limit, CPU seconds) before it imports the student's file,
grades it with `runner.check_file` and reports the verdict on stdout. The parent also
kills a child that runs past the wall-clock limit. So an endless loop, a crash or a
memory hog in one student's file costs that student that exercise's mark, nothing more;
no student code ever runs in the teacher's process.

The verdict line starts with a random token the parent passes on the child's stdin
(before any student code runs), so that a student's own print cannot pose as a verdict.
This is a guard against accidents, not a sandbox against a determined attacker.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .registry import Exercise, all_exercises, get
from .runner import CHECK_TIMEOUT, Verdict
from .workspace import atomic_write

#: Defaults: wall-clock seconds per exercise, and the child's address-space limit.
TIMEOUT, MEMORY_MB = 60.0, 2048

_ROOT = str(Path(__file__).resolve().parents[2])   # the folder that holds tinydl/


@dataclass
class Gradebook:
    """Student × exercise verdicts."""
    exercises: list[str]
    rows: dict[str, dict[str, Verdict]]

    def score(self, student: str) -> int:
        return sum(v.ok for v in self.rows[student].values())

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["student", *self.exercises, "passed"])
        for student, verdicts in self.rows.items():
            writer.writerow([student, *(verdicts[e].summary() for e in self.exercises),
                             self.score(student)])
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps({
            "exercises": self.exercises,
            "students": {s: {e: {"status": v.status, "check": v.check, "message": v.message}
                             for e, v in verdicts.items()} for s, verdicts in self.rows.items()},
        }, indent=1, ensure_ascii=False) + "\n"

    def table(self) -> str:
        """A plain-text table for the terminal."""
        width = max([len("student"), *map(len, self.rows)]) + 2
        lines = [f"{'student':<{width}}passed  " + "  ".join(self.exercises)]
        for student, verdicts in self.rows.items():
            lines.append(f"{student:<{width}}{self.score(student):>2}/{len(self.exercises):<4}"
                         + "  ".join(f"{e}: {verdicts[e].summary()}" for e in self.exercises))
        return "\n".join(lines)


def grade_file(exercise: Exercise, path: Path, timeout: float = TIMEOUT,
               memory_mb: int = MEMORY_MB, seed: int = 0,
               check_timeout: float = CHECK_TIMEOUT, max_examples: int | None = None,
               shrink_budget: int | None = None) -> Verdict:
    """Grade one student file in a child process; never runs it here.

    Limits: `timeout` wall-clock seconds for the whole exercise (the parent kills the
    child) and as many CPU seconds (RLIMIT_CPU); `memory_mb` of address space
    (RLIMIT_AS); `check_timeout` seconds per check (SIGALRM inside the child, which can
    then still say which check it was). max_examples and shrink_budget override
    tinydl.exercises.checks' MAX_EXAMPLES and SHRINK_BUDGET in the child."""
    if not path.is_file():
        return Verdict(exercise.name, "not started", f"no {path.name}")
    token = secrets.token_hex(16)
    cpu = max(int(timeout), 1)
    command = [sys.executable, "-m", "tinydl.exercises.grading", exercise.name, str(path.resolve()),
               "--seed", str(seed), "--memory-mb", str(memory_mb), "--cpu-seconds", str(cpu),
               "--check-timeout", str(min(check_timeout, timeout))]
    if max_examples:
        command += ["--max-examples", str(max_examples)]
    if shrink_budget:
        command += ["--shrink-budget", str(shrink_budget)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]),
               PYTHONDONTWRITEBYTECODE="1")
    with tempfile.TemporaryDirectory(prefix="tinydl-grade-") as cwd:  # not the student's folder
        try:
            done = subprocess.run(command, input=token + "\n", capture_output=True, text=True,
                                  timeout=timeout, cwd=cwd, env=env)
        except subprocess.TimeoutExpired:
            return Verdict(exercise.name, "timed out", f"still running after {timeout:g} s: "
                           f"stopped (an endless loop?)")
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(token):
            return Verdict(**json.loads(line[len(token):]))
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        if name in ("SIGXCPU", "SIGKILL"):
            return Verdict(exercise.name, "timed out", f"stopped by the CPU-time limit ({cpu} s, "
                           f"{name})")
        return Verdict(exercise.name, "error", f"the check process crashed ({name})")
    tail = (done.stderr.strip().splitlines() or [""])[-1]
    if "MemoryError" in done.stderr:
        return Verdict(exercise.name, "error", f"out of memory (limit {memory_mb} MB)")
    return Verdict(exercise.name, "error", f"the check process ended without a verdict (exit "
                   f"code {done.returncode}) {tail}".strip())


def students_in(submissions: Path) -> list[Path]:
    return sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))


def grade_folder(submissions: str | os.PathLike[str], exercises: list[str] | None = None,
                 timeout: float = TIMEOUT, memory_mb: int = MEMORY_MB, seed: int = 0,
                 jobs: int = 1, check_timeout: float = CHECK_TIMEOUT,
                 max_examples: int | None = None, shrink_budget: int | None = None) -> Gradebook:
    """Grade every student folder of `submissions` on `exercises` (default: all), `jobs`
    child processes at a time; the limits are grade_file's."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ValueError(f"grade: {submissions} is not a folder (expected one folder per "
                         f"student, each holding NAME.py files)")
    chosen = [get(n) for n in exercises] if exercises else list(all_exercises())
    students = students_in(submissions)
    jobs_list = [(s, e) for s in students for e in chosen]
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        verdicts = list(pool.map(lambda se: grade_file(
            se[1], se[0] / se[1].filename, timeout, memory_mb, seed, check_timeout,
            max_examples, shrink_budget), jobs_list))
    rows: dict[str, dict[str, Verdict]] = {s.name: {} for s in students}
    for (student, exercise), verdict in zip(jobs_list, verdicts):
        rows[student.name][exercise.name] = verdict
    return Gradebook([e.name for e in chosen], rows)


def write_gradebook(book: Gradebook, csv_path: str | None = None,
                    json_path: str | None = None) -> list[Path]:
    written = []
    if csv_path:
        written.append(atomic_write(csv_path, book.to_csv()))
    if json_path:
        written.append(atomic_write(json_path, book.to_json()))
    return written


# -- the child process ---------------------------------------------------------------------------

def _limit(memory_mb: int, cpu_seconds: int) -> None:
    import resource
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def child_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="grade one file (used by `tinydl exercise grade`)")
    parser.add_argument("exercise")
    parser.add_argument("path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-mb", type=int, default=MEMORY_MB)
    parser.add_argument("--cpu-seconds", type=int, default=int(TIMEOUT))
    parser.add_argument("--check-timeout", type=float, default=CHECK_TIMEOUT)
    parser.add_argument("--max-examples", type=int, default=None)
    parser.add_argument("--shrink-budget", type=int, default=None)
    args = parser.parse_args(argv)
    token = sys.stdin.readline().strip()
    _limit(args.memory_mb, args.cpu_seconds)
    from . import checks
    from .runner import check_file
    checks.MAX_EXAMPLES = args.max_examples or checks.MAX_EXAMPLES
    checks.SHRINK_BUDGET = args.shrink_budget or checks.SHRINK_BUDGET
    verdict = check_file(get(args.exercise), Path(args.path), args.seed, args.check_timeout)
    record: dict[str, Any] = verdict.to_dict()
    record["trace"] = ""
    sys.stdout.flush()
    print(token + json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(child_main())
