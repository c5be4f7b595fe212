"""`tinydl exercise ...`: the command line of the exercises (argument parsing and printing only;
the work is done in registry, workspace, runner, trainer and grading)."""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from .checks import MAX_EXAMPLES
from .grading import MEMORY_MB, TIMEOUT
from .registry import Exercise, all_exercises, get
from .runner import CHECK_TIMEOUT
from .workspace import DEFAULT_DIR, PASSED, Workspace, atomic_write

STUDENT_README = """\
# tinydl exercises

Each file here is one exercise: a function or a `Function` subclass to complete. Its
docstring gives the formula (from the article's section named in the table), the shapes
and the layout; its body raises NotImplementedError until you write it. Your code is
graded on your own machine, in seconds, against the literal formula and tinydl's
`gradcheck`: no server, no notebook.

## For students

    tinydl exercise list                 # every exercise and your progress
    tinydl exercise start sigmoid        # writes tinydl-exercises/sigmoid.py (never overwrites)
    tinydl exercise check sigmoid        # grades your file; --verbose shows the full trace
    tinydl exercise hint sigmoid --level 2
    tinydl exercise try sigmoid          # once it passes: a small network learns with your op
    tinydl exercise reset sigmoid        # back up your file and start again from the stub

(`python -m tinydl exercise ...` does the same.) Copy a file from this handout into your
workspace folder (`tinydl-exercises/` by default, or `--dir DIR`), or let `start` write
it. A failing check prints the smallest input it found, what the formula expects, what
your code gave, and the worst element. The same seed always gives the same verdict.
Calling tinydl's own implementation of the op you are asked to write is flagged, not
credited.

## Exercises

| name | what to write | article section |
|---|---|---|
{rows}

Hints, from a nudge to almost the answer, are in HINTS.md (or `tinydl exercise hint`).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinydl exercise",
        description="Classroom exercises: write the article's ops yourself and have them graded "
                    "on the spot, on your own file.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help: str, exercise: bool = True, folder: bool = True):
        p = sub.add_parser(name, help=help, description=help)
        if exercise:
            p.add_argument("name", metavar="NAME", help="the exercise (see `list`)")
        if folder:
            p.add_argument("--dir", default=DEFAULT_DIR,
                           help=f"the workspace folder (default ./{DEFAULT_DIR}/)")
        return p

    add("list", "every exercise: name, title, article section, state in the workspace",
        exercise=False).add_argument("--json", action="store_true",
                                     help="print a JSON list of {name, title, section, state}")
    add("start", "write the exercise's stub into the workspace (never overwrites your file)")
    p = add("check", "grade your file for the exercise (exit 0 only when every check passes)")
    p.add_argument("--verbose", action="store_true", help="show the full trace of a failure")
    p.add_argument("--seed", type=int, default=0, help="seed of the drawn examples (default 0)")
    add("hint", "show a hint (level 1 is a nudge, the last is close to the answer)",
        folder=False).add_argument("--level", type=int, default=1, help="which hint (default 1)")
    add("reset", "back up your file, then write the stub again")
    p = add("try", "train a small network with your op in place of tinydl's")
    p.add_argument("--data", choices=("auto", "mnist", "bars"), default="auto",
                   help="MNIST when on this machine (auto), or lesson 0's generated bars")
    add("pack", "write a student handout (stubs, hints, README; no solutions) into OUT",
        exercise=False, folder=False).add_argument("out", metavar="OUT")
    p = add("grade", "grade a folder of student folders into a gradebook", exercise=False,
            folder=False)
    p.add_argument("submissions", metavar="SUBMISSIONS",
                   help="a folder holding one folder per student, each with NAME.py files")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", metavar="FILE", help="write the gradebook as CSV")
    out.add_argument("--json", metavar="FILE", help="write the gradebook as JSON")
    p.add_argument("--exercises", metavar="A,B", help="grade only these exercises")
    p.add_argument("--timeout", type=float, default=TIMEOUT,
                   help=f"seconds (wall clock and CPU) per student and exercise (default "
                        f"{TIMEOUT:g})")
    p.add_argument("--check-timeout", type=float, default=CHECK_TIMEOUT,
                   help=f"seconds per check (default {CHECK_TIMEOUT:g})")
    p.add_argument("--memory-mb", type=int, default=MEMORY_MB,
                   help=f"memory (address space) per check process, MB (default {MEMORY_MB})")
    p.add_argument("--jobs", type=int, default=1, help="check processes run at once (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the drawn examples (default 0)")
    p.add_argument("--max-examples", type=int, default=None,
                   help=f"examples drawn per check (default {MAX_EXAMPLES}, as `check`)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `tinydl exercise` with `argv` (default sys.argv[1:]); return the exit code."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ValueError as exc:   # an unknown exercise name, a bad folder
        print(f"tinydl exercise {args.command}: {exc}", file=sys.stderr)
        return 2


def _list(args: argparse.Namespace) -> int:
    rows = Workspace(args.dir).listing()
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['state']:<11}  §{r['section']:<8}  {r['title']}")
    return 0


def _start(args: argparse.Namespace) -> int:
    exercise = get(args.name)
    written, path = Workspace(args.dir).start(exercise)
    if not written:
        print(f"{path} already exists: your work is kept, nothing was written. To start over "
              f"from the stub, run `tinydl exercise reset {exercise.name}` (it keeps a backup).")
        return 1
    print(f"wrote {path}\nOpen it, read the docstring, replace each NotImplementedError, then run "
          f"`tinydl exercise check {exercise.name}`.")
    return 0


def _check(args: argparse.Namespace) -> int:
    from .runner import check_file
    exercise, workspace = get(args.name), Workspace(args.dir)
    path = workspace.path(exercise)
    print(f"Checking {path} (exercise {exercise.name}, seed {args.seed})")
    verdict = check_file(exercise, path, seed=args.seed)
    for name in verdict.passed:
        print(f"  ok      {name}")
    if verdict.check:
        print(f"  {verdict.status.upper():<7} {verdict.check}")
    if verdict.message and not verdict.ok:
        print(textwrap.indent(verdict.message, "    "))
    if args.verbose and verdict.trace:
        print("\nFull trace:\n" + verdict.trace)
    workspace.record(exercise, verdict.ok)
    if verdict.ok:
        print(f"Verdict: passed ({verdict.message}). Now `tinydl exercise try {exercise.name}`"
              if exercise.trial else f"Verdict: passed ({verdict.message}).")
        return 0
    print(f"Verdict: {verdict.summary()}")
    return 1


def _hint(args: argparse.Namespace) -> int:
    exercise = get(args.name)
    n = len(exercise.hints)
    if not 1 <= args.level <= n:
        print(f"tinydl exercise hint: --level must be 1..{n} for {exercise.name}, got {args.level}",
              file=sys.stderr)
        return 2
    print(f"Hint {args.level} of {n} for {exercise.name}:")
    print(textwrap.indent(textwrap.fill(exercise.hints[args.level - 1], 88), "  "))
    if args.level < n:
        print(f"(more: --level {args.level + 1})")
    return 0


def _reset(args: argparse.Namespace) -> int:
    backup, path = Workspace(args.dir).reset(get(args.name))
    if backup:
        print(f"kept your file as {backup}")
    print(f"wrote the stub to {path}")
    return 0


def _try(args: argparse.Namespace) -> int:
    from .runner import check_file, load_student
    exercise, workspace = get(args.name), Workspace(args.dir)
    if exercise.trial is None:
        print(f"{exercise.name} has no network to put into: `check` is its whole test.")
        return 0
    path = workspace.path(exercise)
    if workspace.state(exercise) != PASSED:
        verdict = check_file(exercise, path)
        workspace.record(exercise, verdict.ok)
        if not verdict.ok:
            print(f"`try` needs a file that passes `tinydl exercise check {exercise.name}` first; "
                  f"now: {verdict.summary()}")
            return 1
    exercise.trial(load_student(path.resolve()), data=args.data)
    return 0


def _pack(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        print(f"tinydl exercise pack: {out} is not empty; choose a new folder", file=sys.stderr)
        return 1
    exercises = all_exercises()
    for exercise in exercises:
        atomic_write(out / exercise.filename, exercise.stub)
    atomic_write(out / "HINTS.md", hints_markdown(exercises))
    rows = "\n".join(f"| `{e.name}` | {e.title} | §{e.section} |" for e in exercises)
    atomic_write(out / "README.md", STUDENT_README.format(rows=rows))
    print(f"wrote {len(exercises)} stubs, HINTS.md and README.md into {out}")
    return 0


def hints_markdown(exercises: tuple[Exercise, ...]) -> str:
    parts = ["# Hints\n\nRead them one at a time: each says a little more than the one before.\n"]
    for e in exercises:
        parts.append(f"\n## {e.name}: {e.title}\n")
        parts.extend(f"\n{i}. {h}\n" for i, h in enumerate(e.hints, start=1))
    return "".join(parts)


def _grade(args: argparse.Namespace) -> int:
    from .grading import grade_folder, write_gradebook
    names = [n.strip() for n in args.exercises.split(",")] if args.exercises else None
    book = grade_folder(args.submissions, names, timeout=args.timeout, memory_mb=args.memory_mb,
                        seed=args.seed, jobs=args.jobs, check_timeout=args.check_timeout,
                        max_examples=args.max_examples)
    print(book.table())
    for path in write_gradebook(book, args.csv, args.json):
        print(f"wrote {path}")
    return 0


COMMANDS = {"list": _list, "start": _start, "check": _check, "hint": _hint, "reset": _reset,
            "try": _try, "pack": _pack, "grade": _grade}
