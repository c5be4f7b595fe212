"""Which kernels the ops run: "fast" (tuned NumPy, the default) or "reference" (each op
written as its formula reads, tinydl/ops/reference/).

    tinydl.set_kernels("reference")        # or TINYDL_KERNELS=reference in the environment
    with tinydl.ops.use_kernels("reference"):
        ...                                # one block on the reference kernels

Both give the same values and gradients (tests/test_reference_*.py prove it op by op, and
tests/test_kernels_switch.py trains the same networks on both); the reference is slower.
Each op's public function asks `reference()` once per call and hands the call to
tinydl/ops/reference/ when it is true.
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator

KERNELS = ("fast", "reference")


def _checked(name: object, where: str) -> str:
    if name not in KERNELS:
        raise ValueError(f"{where}: kernels must be one of {', '.join(map(repr, KERNELS))}, "
                         f"got {name!r}")
    return str(name)


_current = _checked(os.environ.get("TINYDL_KERNELS", "fast").strip() or "fast",
                    "TINYDL_KERNELS")


def set_kernels(name: str) -> None:
    """Run every op on the "fast" kernels (the default) or the "reference" ones."""
    global _current
    _current = _checked(name, "set_kernels")


def get_kernels() -> str:
    """The kernels the ops run now: "fast" or "reference"."""
    return _current


def reference() -> bool:
    """True when the ops run the reference kernels."""
    return _current == "reference"


@contextlib.contextmanager
def use_kernels(name: str) -> Iterator[None]:
    """Within the block the ops run `name`'s kernels; the previous choice comes back after."""
    previous = _current
    set_kernels(name)
    try:
        yield
    finally:
        set_kernels(previous)
