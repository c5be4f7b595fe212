"""`tinydl lessons`: the lessons as notebooks.

    tinydl lessons list                         # the lessons found, and where
    tinydl lessons notebooks DIR [--lessons SRC] [--force]

Each lesson is a jupytext "percent" script (`# %%` code cells, `# %% [markdown]` prose).
`notebooks` writes one `DIR/<lesson>.ipynb` per lesson with jupytext, and copies the
helper modules the lessons import (`_lesson.py`, ...) beside them, so the notebooks run
from DIR in any Jupyter. A notebook that is already in DIR is left alone (it may hold
your edits) unless `--force`; every file is written through a temporary file and an
atomic rename.

The lessons are the `lessons/` folder of a tinydl checkout: SRC, else `./lessons`, else
the one beside the installed package (an editable install). jupytext is not a runtime
dependency of tinydl: `pip install tinydl[notebooks]` (or `pip install jupytext`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .io import atomic_write

USAGE_EPILOG = "Open a lesson in Jupyter: jupyter lab DIR (or open the .py itself with jupytext)."


def find_lessons(source: str | Path | None = None) -> Path:
    """The folder holding the lesson scripts ([0-9]*.py): `source`, ./lessons, or the
    checkout the package was installed from. Raises FileNotFoundError naming where it
    looked."""
    candidates = ([Path(source)] if source is not None else
                  [Path.cwd() / "lessons", Path.cwd(), Path(__file__).resolve().parents[1] / "lessons"])
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("[0-9]*.py")) and (folder / "_lesson.py").exists():
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"no lessons found (looked in {looked}); run this from a tinydl "
                            "checkout or pass --lessons PATH/TO/lessons")


def lesson_scripts(folder: Path) -> list[Path]:
    """The lessons in reading order (their names start with their number)."""
    return sorted(folder.glob("[0-9]*.py"))


def write_notebooks(source: Path, dest: Path, force: bool = False) -> list[Path]:
    """Write DIR/<stem>.ipynb for every lesson of `source` and copy its helper modules
    (`_*.py`). Returns the notebooks written; existing notebooks are kept unless force."""
    try:
        import jupytext
    except ImportError:
        raise SystemExit("tinydl lessons notebooks needs jupytext: pip install 'tinydl[notebooks]'"
                         " (or pip install jupytext)") from None
    dest.mkdir(parents=True, exist_ok=True)
    for helper in sorted(source.glob("_*.py")):
        text = helper.read_bytes()
        atomic_write(dest / helper.name, lambda f, text=text: f.write(text))
    written = []
    for script in lesson_scripts(source):
        target = dest / f"{script.stem}.ipynb"
        if target.exists() and not force:
            print(f"kept {target} (exists; --force replaces it)")
            continue
        notebook = jupytext.read(script)
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}
        notebook.metadata.setdefault("jupytext", {}).pop("formats", None)
        text = jupytext.writes(notebook, fmt="ipynb").encode("utf-8")
        atomic_write(target, lambda f, text=text: f.write(text))
        print(f"wrote {target}")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """`tinydl lessons ...`; returns the exit code."""
    parser = argparse.ArgumentParser(prog="tinydl lessons", description=__doc__.splitlines()[0],
                                     epilog=USAGE_EPILOG)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the lessons and their folder")
    listing.add_argument("--lessons", default=None, help="the lessons folder")
    notebooks = sub.add_parser("notebooks", help="write one .ipynb per lesson into DIR")
    notebooks.add_argument("dir", type=Path)
    notebooks.add_argument("--lessons", default=None, help="the lessons folder")
    notebooks.add_argument("--force", action="store_true", help="replace existing notebooks")
    args = parser.parse_args(argv)
    try:
        source = find_lessons(args.lessons)
    except FileNotFoundError as exc:
        print(f"tinydl lessons: {exc}", file=sys.stderr)
        return 2
    if args.command == "list":
        print(f"lessons in {source}:")
        for script in lesson_scripts(source):
            print(f"  {script.stem}")
        return 0
    if args.dir.resolve() == source.resolve():
        print("tinydl lessons: DIR must not be the lessons folder itself", file=sys.stderr)
        return 2
    written = write_notebooks(source, args.dir, force=args.force)
    print(f"{len(written)} notebook(s) in {args.dir}; {USAGE_EPILOG}")
    return 0
