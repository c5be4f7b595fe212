"""What an exercise is: the `Exercise` record every module of the catalogue fills in (stub,
hints, checks, the names the student defines and the library names they may not use).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .checks import Check


@dataclass(frozen=True)
class Exercise:
    """One classroom exercise.

    Attributes:
        name: the command-line name and the student's file name (NAME.py).
        title: one line saying what to write.
        section: the article's section it comes from, e.g. "3.1.4".
        stub: the student's file as handed out: docstrings with the formula, shapes and
            layout, bodies that raise NotImplementedError.
        hints: graded hints, the last one close to the answer but never the code.
        checks: run in order; the first failure stops the grading.
        defines: names the student's file must define (e.g. ("Sigmoid",)).
        forbidden: tinydl's own implementations of this op (bare names such as "conv2d",
            "Conv2D"): a student file that reaches them through tinydl is flagged.
        trial: `tinydl exercise try`: trains a small network with the student's op in
            place of tinydl's, prints its progress and returns the final scores;
            called as trial(student_module, data="auto" | "mnist" | "bars"). None: the
            exercise has nothing to train.
    """
    name: str
    title: str
    section: str
    stub: str
    hints: tuple[str, ...]
    checks: tuple[Check, ...]
    defines: tuple[str, ...]
    forbidden: tuple[str, ...] = ()
    trial: Callable[..., dict[str, float]] | None = field(default=None, compare=False)

    @property
    def filename(self) -> str:
        return f"{self.name}.py"
