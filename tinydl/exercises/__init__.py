"""Classroom exercises: students write the article's ops, tinydl grades their own file.

    tinydl exercise list / start / check / hint / reset / try      (students)
    tinydl exercise pack OUT / grade SUBMISSIONS                    (teachers)

Modules, one concern each:
    registry   what an exercise is (`Exercise`), the list of them, lookup by name
    catalogue  the exercises, one module each: stub, hints, checks and `try` side by side
    checks     the pieces checks are made of: hypothesis searches that report the smallest
               counterexample, comparison with the literal formula, gradcheck
    formulas   the literal formulas (loops) the checks compare with
    runner     grading one file: import it by path, phase 0, forbidden calls, the checks
    workspace  the student's folder: stubs, backups, progress (atomic writes)
    trainer    `try`: a small CNN (or GAN) trained with the student's op swapped in
    grading    the teacher's gradebook: each file graded in a child process with limits
    cli        the command line

Needs hypothesis (the `test` or `exercises` extra). Reference solutions live in
`tinydl.exercises.solutions`, which nothing here imports.
"""
from .registry import Exercise, all_exercises, get
from .runner import Verdict, check_file

__all__ = ["Exercise", "Verdict", "all_exercises", "check_file", "get"]
