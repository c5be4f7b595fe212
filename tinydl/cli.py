"""The `tinydl` command (declared in setup.cfg; `python -m tinydl` does the same).

    tinydl exercise list | start | check | hint | reset | try | pack | grade  (see --help)
    tinydl lessons list | notebooks DIR                                    (see --help)
"""
from __future__ import annotations

import os
import sys

USAGE = """usage: tinydl COMMAND ...

commands:
  exercise   classroom exercises: write the article's ops yourself, graded on the spot
             (tinydl exercise --help)
  lessons    the lessons as Jupyter notebooks: tinydl lessons notebooks DIR
             (tinydl lessons --help)
"""


def main(argv: list[str] | None = None) -> int:
    """Dispatch `tinydl COMMAND ...`; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 2
    if argv[0] == "exercise":
        from .exercises.cli import main as exercise_main
        try:
            return exercise_main(argv[1:])
        except BrokenPipeError:           # `tinydl exercise list | head` closed the pipe:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # Python docs' recipe
            return 0
    if argv[0] == "lessons":
        from .lessons import main as lessons_main
        return lessons_main(argv[1:])
    print(f"tinydl: unknown command {argv[0]!r}\n{USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
