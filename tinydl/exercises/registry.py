"""The exercise catalogue in teaching order, and lookup by name.

Each exercise is defined in one module of `tinydl.exercises.catalogue` (stub, hints,
checks and the `try` run side by side, so a teacher reads one exercise in one place);
what an exercise is, the `Exercise` record, is in exercise.py; this module only collects
them.
"""
from __future__ import annotations

from .catalogue import EXERCISES
from .exercise import Exercise


def all_exercises() -> tuple[Exercise, ...]:
    """Every exercise, in teaching order."""
    return EXERCISES


def get(name: str) -> Exercise:
    """The exercise called `name`; ValueError listing the names otherwise."""
    for exercise in all_exercises():
        if exercise.name == name:
            return exercise
    known = ", ".join(e.name for e in all_exercises())
    raise ValueError(f"unknown exercise {name!r}; expected one of: {known}")
