"""The student's workspace: a folder (default ./tinydl-exercises/) holding one file per
exercise (NAME.py), the record of what passed (.progress.json) and the backups that
`reset` keeps (.backups/NAME-YYYYmmdd-HHMMSS.py).

Everything written goes through `atomic_write`: a temporary file in the same folder, then
os.replace, so an interrupted write never leaves half a file and never destroys what was
there. A student's file is never overwritten by `start`.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from .. import io
from .registry import Exercise, all_exercises

DEFAULT_DIR = "tinydl-exercises"
PROGRESS = ".progress.json"
BACKUPS = ".backups"

#: The states `tinydl exercise list` shows.
NOT_STARTED, IN_PROGRESS, PASSED = "not started", "in progress", "passed"


def atomic_write(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` to `path` via a temporary file in the same folder and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    io.atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return path


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Workspace:
    """The folder of one student's exercise files."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder if folder is not None else DEFAULT_DIR)

    def path(self, exercise: Exercise) -> Path:
        return self.folder / exercise.filename

    # -- start / reset ----------------------------------------------------------------------

    def start(self, exercise: Exercise) -> tuple[bool, Path]:
        """Write the stub unless the file exists; (written, path)."""
        path = self.path(exercise)
        if path.exists():
            return False, path
        return True, atomic_write(path, exercise.stub)

    def reset(self, exercise: Exercise) -> tuple[Path | None, Path]:
        """Back the student's file up (when there is one), then write the stub again;
        (backup path or None, path)."""
        path, backup = self.path(exercise), None
        if path.exists():
            stamp = time.strftime("%Y%m%d-%H%M%S")
            backup = self.folder / BACKUPS / f"{exercise.name}-{stamp}.py"
            n = 1
            while backup.exists():
                backup = self.folder / BACKUPS / f"{exercise.name}-{stamp}-{n}.py"
                n += 1
            atomic_write(backup, path.read_text(encoding="utf-8"))
        atomic_write(path, exercise.stub)
        self.record(exercise, False)
        return backup, path

    # -- progress ---------------------------------------------------------------------------

    def _progress(self) -> dict[str, Any]:
        try:
            return json.loads((self.folder / PROGRESS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _save_progress(self, progress: dict[str, Any]) -> None:
        atomic_write(self.folder / PROGRESS, json.dumps(progress, indent=1, sort_keys=True) + "\n")

    def record(self, exercise: Exercise, passed: bool) -> None:
        """Remember whether the file as it is now passed (its hash is kept: an edit after
        passing makes it "in progress" again)."""
        path = self.path(exercise)
        progress = self._progress()
        if passed and path.is_file():
            progress[exercise.name] = {"sha256": digest(path.read_text(encoding="utf-8"))}
        elif exercise.name in progress:
            del progress[exercise.name]
        else:
            return
        self._save_progress(progress)

    def state(self, exercise: Exercise) -> str:
        """not started (no file, or the untouched stub) / passed (the file that passed its
        last check, unchanged since) / in progress. Reads files, never runs them."""
        path = self.path(exercise)
        if not path.is_file():
            return NOT_STARTED
        text = path.read_text(encoding="utf-8", errors="replace")
        if text == exercise.stub:
            return NOT_STARTED
        if self._progress().get(exercise.name, {}).get("sha256") == digest(text):
            return PASSED
        return IN_PROGRESS

    def listing(self) -> list[dict[str, str]]:
        """Every exercise as {name, title, section, state}."""
        return [{"name": e.name, "title": e.title, "section": e.section, "state": self.state(e)}
                for e in all_exercises()]
