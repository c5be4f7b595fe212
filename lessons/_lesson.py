"""What every lesson shares: its command line, where figures go, and how they are saved.

Each lesson runs unattended: figures are written to files (matplotlib's Agg backend,
no window needed) and their paths printed. `--quick` makes a lesson finish in seconds
(the tests run every lesson that way).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def parse_args(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    """--quick, --out DIR (default lesson_output/<lesson>), --seed N."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a small run that finishes in seconds")
    parser.add_argument("--out", type=Path, default=None, help="folder for the figures")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    return parser.parse_args(argv)


def output_dir(args: argparse.Namespace, lesson: str) -> Path:
    out = Path(args.out) if args.out else Path("lesson_output") / lesson
    out.mkdir(parents=True, exist_ok=True)
    return out


def save(fig: "plt.Figure", path: Path) -> Path:
    """Write the figure, close it, and say where it went."""
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path}")
    return path
