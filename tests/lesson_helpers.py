"""What the lesson tests share: importing a lesson script as a module, and the MNIST rule
(tests that need the real data skip without $TINYDL_DATA/mnist, except in CI, where a
missing data folder is a failure)."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
from types import ModuleType

import pytest

LESSONS = pathlib.Path(__file__).parent.parent / "lessons"
HAVE_MNIST = (pathlib.Path(os.environ.get("TINYDL_DATA", "/nonexistent")) / "mnist").is_dir()


def load_lesson(stem: str) -> ModuleType:
    """Import lessons/<stem>.py (its name starts with a digit, so not by `import`)."""
    sys.path.insert(0, str(LESSONS))  # the lessons import their shared _lesson module
    try:
        spec = importlib.util.spec_from_file_location(f"lesson_{stem}", LESSONS / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(LESSONS))
    return module


def need_mnist() -> None:
    """Skip the calling test without MNIST; fail it in CI (CI=true)."""
    if not HAVE_MNIST:
        assert os.environ.get("CI") != "true", "CI must provide MNIST through TINYDL_DATA"
        pytest.skip("needs MNIST: set TINYDL_DATA to a folder holding mnist/")
