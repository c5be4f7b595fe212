"""Smoke test of bench/bench_conv.py: `--quick` runs, exits 0 and prints a table row for
each conv layer and pooling shape with a positive time. It checks that the benchmark still
runs against the current tinydl API, not how fast anything is."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_conv.py"

ROWS = [  # (op, shape label) as the benchmark prints them
    ("conv2d L1", "128x28x28x1 * 3x3x1x32 -> 26x26x32"),
    ("correlate2d L1", "128x28x28x1 * 3x3x1x32 -> 26x26x32"),
    ("conv2d L2", "128x13x13x32 * 3x3x32x64 -> 11x11x64"),
    ("correlate2d L2", "128x13x13x32 * 3x3x32x64 -> 11x11x64"),
    ("max_pool2d P1", "128x26x26x32 pool 2x2 -> 13x13x32"),
    ("max_pool2d P2", "128x11x11x64 pool 2x2 -> 5x5x64"),
]


def run_bench(*flags: str) -> str:
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", *flags],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def assert_rows(out: str) -> None:
    assert "2*N*Ho*Wo*kh*kw*Cin*Cout" in out, "the FLOP counting is not stated"
    for op, shape in ROWS:
        for pas in ("fwd", "fwd+bwd"):
            pattern = rf"^{re.escape(op)}\s+{re.escape(shape)}\s+{re.escape(pas)}\s+(\d+\.\d+)\s"
            match = re.search(pattern, out, re.MULTILINE)
            assert match, f"no table row for {op} {shape} {pas} in:\n{out}"
            assert float(match.group(1)) > 0, f"{op} {pas}: a time of zero"


def test_bench_quick_tinydl_only():
    out = run_bench("--no-torch")
    assert_rows(out)
    assert "torch ms" not in out


def test_bench_quick_with_torch_when_installed():
    pytest.importorskip("torch")
    out = run_bench()
    assert_rows(out)
    assert "tinydl/torch" in out and "MISMATCH" not in out
