"""Grade one student file: import it by path, refuse what must not be credited, run the checks.

The order (`check_file`):

0. Phase 0. No file, or a file whose first check still raises NotImplementedError: "not
   started". A syntax error, or an exception while importing the file: "error", with the
   line number. A file that reaches tinydl's own implementation of the op it was asked
   to write (`import tinydl.functional as F; F.conv2d(...)`), or anything in
   tinydl.exercises (the grader, the reference solutions): "flagged", not credited. The
   source is read for this before it runs; tripwires on those tinydl functions catch the
   calls that reading cannot see (getattr, strings, __import__).
1. The exercise's checks, in order, each under a time limit (SIGALRM, in the main thread);
   the first failing check stops the grading: "failed", with its name and message.

Only the student's file is imported, into a fresh module object each time (never put in
sys.modules, never the reference solution). `tinydl exercise grade` runs this in a child
process per student and exercise; `tinydl exercise check` runs it in the student's own
process, on their own file.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import itertools
import signal
import sys
import threading
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import numpy as np

from .checks import CheckFailure, explain, where_in
from .exercise import Exercise

#: Seconds each check (and the import of the student's file) may take.
CHECK_TIMEOUT = 10.0

#: The verdicts, from best to worst.
STATUSES = ("passed", "failed", "not started", "error", "timed out", "flagged")

#: tinydl modules whose functions and classes the tripwires watch.
WATCHED_MODULES = ("tinydl.activations", "tinydl.functional", "tinydl.losses", "tinydl.ops",
                   "tinydl.ops.activations", "tinydl.ops.batch_norm", "tinydl.ops.conv",
                   "tinydl.ops.conv_transpose", "tinydl.ops.math", "tinydl.ops.pooling",
                   "tinydl.ops._input_grad", "tinydl.ops._patches", "tinydl.optimizers",
                   "tinydl.layers", "tinydl.gan", "tinydl.ops.reference.activations",
                   "tinydl.ops.reference.conv", "tinydl.ops.reference.losses",
                   "tinydl.ops.reference.math", "tinydl.ops.reference.pooling")

#: Packages that hold answers: the exercises themselves and the reference kernels (each
#: op written out as its formula reads). A student file that imports from them is flagged.
ANSWERS = ("tinydl.exercises", "tinydl.ops.reference")

_module_ids = itertools.count()


class CheckTimeout(BaseException):
    """A check ran past its time limit (a BaseException, so that `except Exception` in
    the student's code or in hypothesis cannot swallow it)."""


@dataclass
class Verdict:
    """What grading one file found.

    status: one of STATUSES. check: the failing check's name (failed / timed out).
    message: the explanation in plain words. passed: the checks that passed, in order.
    trace: the full traceback of the failure (shown by --verbose).
    """
    exercise: str
    status: str
    message: str = ""
    check: str | None = None
    passed: list[str] = field(default_factory=list)
    trace: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "passed"

    def summary(self) -> str:
        """One gradebook cell: 'passed', 'failed: <check>', 'timed out: <check>', ..."""
        return f"{self.status}: {self.check}" if self.check else self.status

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- phase 0: reading the file before running it --------------------------------------------

def syntax_message(exc: SyntaxError, path: Path) -> str:
    where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
    text = (exc.text or "").rstrip("\n")
    caret = f"\n    {text}\n    {' ' * max((exc.offset or 1) - 1, 0)}^" if text else ""
    return f"syntax error in {path.name}, {where}: {exc.msg}{caret}"


def scan_forbidden(tree: ast.AST, forbidden: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, dotted name) for every place the source reaches `forbidden` names through
    tinydl (`tinydl.functional.conv2d`, `F.conv2d` after `import tinydl.functional as F`,
    `from tinydl.ops.conv import Conv2D`) or imports anything from tinydl.exercises or from
    the reference kernels."""
    aliases: dict[str, str] = {}   # local name -> dotted tinydl path
    hits: list[tuple[int, str]] = []

    def flag(line: int, dotted: str) -> None:
        parts = dotted.split(".")
        if parts[0] != "tinydl":
            return
        if dotted.startswith(ANSWERS) or set(parts[1:]) & set(forbidden):
            hits.append((line, dotted))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    aliases[a.name.split(".")[0]] = a.name.split(".")[0]
                flag(node.lineno, a.name)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                flag(node.lineno, f"{node.module}.{a.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                chain.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                flag(node.lineno, ".".join([aliases[inner.id], *reversed(chain)]))
    return sorted(set(hits))


@contextlib.contextmanager
def tripwires(names: tuple[str, ...]) -> Iterator[list[str]]:
    """While active, every call of a tinydl function, or creation of a tinydl class, named
    in `names` is recorded (and still carried out) in the yielded list."""
    calls: list[str] = []
    undo: list[tuple[Any, str, Any]] = []   # (owner, attribute, what to put back or None)
    seen: dict[int, Any] = {}
    for module_name in WATCHED_MODULES if names else ():
        module = importlib.import_module(module_name)
        for name in names:
            obj = module.__dict__.get(name)
            if obj is None:
                continue
            label = f"{getattr(obj, '__module__', module_name)}.{name}"
            if isinstance(obj, type):
                if id(obj) not in seen:
                    seen[id(obj)] = obj
                    undo.append((obj, "__init__", obj.__dict__.get("__init__")))
                    obj.__init__ = _recording(obj.__init__, label, calls)
            else:
                if id(obj) not in seen:
                    seen[id(obj)] = _recording(obj, label, calls)
                undo.append((module, name, obj))
                setattr(module, name, seen[id(obj)])
    try:
        yield calls
    finally:
        for owner, attribute, original in reversed(undo):
            if original is None:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)


def _recording(fn: Any, label: str, calls: list[str]) -> Any:
    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(label)
        return fn(*args, **kwargs)
    recorded.__wrapped__ = fn
    return recorded


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise CheckTimeout in the block after `seconds` (main thread, POSIX; elsewhere no
    limit: `grade` still enforces one from outside)."""
    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise CheckTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_student(path: Path) -> ModuleType:
    """Execute the student's file as a brand-new module (a fresh namespace every call)."""
    name = f"tinydl_student_{path.stem}_{next(_module_ids)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the whole grading of one file ------------------------------------------------------------

def check_file(exercise: Exercise, path: str | Path, seed: int = 0,
               timeout: float | None = CHECK_TIMEOUT) -> Verdict:
    """Grade the student's file at `path` for `exercise` (see the module docstring)."""
    path = Path(path).resolve()
    name = exercise.name
    if not path.is_file():
        return Verdict(name, "not started",
                       f"there is no {path}; run `tinydl exercise start {name}` first")
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return Verdict(name, "error", syntax_message(exc, path), trace=traceback.format_exc())
    except (OSError, UnicodeDecodeError) as exc:
        return Verdict(name, "error", f"cannot read {path}: {exc}")
    hits = scan_forbidden(tree, exercise.forbidden)
    if hits:
        where = "; ".join(f"line {line}: {dotted}" for line, dotted in hits)
        return Verdict(name, "flagged", f"your file uses tinydl's own implementation instead of "
                       f"yours ({where}). Write the op yourself; it is not credited.")
    modules_before = set(sys.modules)
    with warnings.catch_warnings(), np.errstate(all="ignore"), \
            tripwires(exercise.forbidden) as calls:
        warnings.simplefilter("ignore")
        verdict = _run(exercise, path, seed, timeout)
    if calls or _imported_solutions(modules_before):
        called = ", ".join(sorted(set(calls))) or "tinydl.exercises.solutions"
        return Verdict(name, "flagged", f"while being checked, your code called tinydl's own "
                       f"implementation ({called}) instead of yours; it is not credited.",
                       passed=verdict.passed)
    return verdict


def _imported_solutions(before: set[str]) -> bool:
    return any(m.startswith("tinydl.exercises.solutions") for m in set(sys.modules) - before)


def _run(exercise: Exercise, path: Path, seed: int, timeout: float | None) -> Verdict:
    name = exercise.name
    try:
        with time_limit(timeout):
            module = load_student(path)
    except CheckTimeout:
        return Verdict(name, "timed out", f"importing {path.name} took longer than {timeout:g} "
                       f"s (an endless loop at the top level?)", trace=traceback.format_exc())
    except KeyboardInterrupt:
        raise
    except MemoryError:
        return Verdict(name, "error", f"importing {path.name} ran out of memory",
                       trace=traceback.format_exc())
    except BaseException as exc:  # noqa: BLE001  (SystemExit too: the student's exit())
        return Verdict(name, "error", f"importing {path.name} failed: "
                       f"{explain(exc, str(path))}", trace=traceback.format_exc())
    missing = [n for n in exercise.defines if not hasattr(module, n)]
    if missing:
        return Verdict(name, "error", f"{path.name} defines no {', '.join(missing)} (the stub's "
                       f"names must stay; `tinydl exercise reset {name}` shows the stub again)")
    passed: list[str] = []
    for check in exercise.checks:
        try:
            with time_limit(timeout):
                check.run(module, seed)
        except NotImplementedError as exc:
            if not passed:
                return Verdict(name, "not started", f"{path.name} still raises "
                               f"NotImplementedError{where_in(exc, str(path))}: fill in the "
                               f"stub (`tinydl exercise hint {name}` helps)",
                               check=None, trace=traceback.format_exc())
            return Verdict(name, "failed", f"still raises NotImplementedError"
                           f"{where_in(exc, str(path))}", check.name, passed,
                           traceback.format_exc())
        except CheckFailure as exc:
            return Verdict(name, "failed", str(exc), check.name, passed, traceback.format_exc())
        except CheckTimeout:
            return Verdict(name, "timed out", f"the check did not finish in {timeout:g} s (an "
                           f"endless loop, or a very slow loop?)", check.name, passed,
                           traceback.format_exc())
        except KeyboardInterrupt:
            raise
        except MemoryError:
            return Verdict(name, "error", "your code ran out of memory", check.name, passed,
                           traceback.format_exc())
        except BaseException as exc:  # noqa: BLE001
            return Verdict(name, "failed", explain(exc, str(path)), check.name, passed,
                           traceback.format_exc())
        passed.append(check.name)
    return Verdict(name, "passed", f"all {len(passed)} checks passed", None, passed)
