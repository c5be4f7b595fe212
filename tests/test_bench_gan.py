"""Smoke tests of bench/bench_gan.py: the tinydl path runs end to end (1 epoch on 256
images, a classifier with untrained weights so no lesson-4 run is needed) and writes a
sane JSON; and, when PyTorch is installed, `--check` shows that the PyTorch twin is the
same GAN (its first step from the shared initial weights, on the same batch and noise,
lands on tinydl's weights). They check that the benchmark runs, not how fast anything is."""
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tinydl.applications import article_cnn

from lesson_helpers import need_mnist

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_gan.py"
SCORES = ("confident", "class_entropy", "frechet")


def run_bench(*flags, timeout=120):
    proc = subprocess.run([sys.executable, str(BENCH), *flags], capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


def finite_numbers(value, where="result"):
    """Every number in a JSON tree, with its path; booleans are not numbers here."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from finite_numbers(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from finite_numbers(item, f"{where}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield where, value


def test_tinydl_one_epoch_writes_a_sane_json(tmp_path):
    need_mnist()
    classifier = tmp_path / "untrained_cnn.weights.npz"
    article_cnn().save_weights(str(classifier))
    out = tmp_path / "out"
    stdout = run_bench("--frameworks", "tinydl", "--epochs", "1", "--limit", "256",
                       "--samples", "300", "--classifier", str(classifier), "--out", str(out))
    assert "the issue's targets" in stdout and "median" in stdout

    result = json.loads((out / "bench_gan.json").read_text())
    assert set(result) >= {"config", "machine", "frameworks", "summary"}
    assert list(result["frameworks"]) == ["tinydl"]
    run = result["frameworks"]["tinydl"]
    assert set(run) >= {"epoch_seconds", "scores", "history", "warnings"}
    assert len(run["epoch_seconds"]) == 1 and run["epoch_seconds"][0] > 0
    assert set(run["scores"]) == set(SCORES)
    assert all(len(run["scores"][key]) == 1 for key in SCORES)
    confident, entropy = run["scores"]["confident"][0], run["scores"]["class_entropy"][0]
    assert 0 <= confident <= 1
    assert 0 <= entropy <= math.log(10) + 1e-9
    assert run["scores"]["frechet"][0] >= 0
    assert set(run["history"]) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    for where, number in finite_numbers(result):
        assert math.isfinite(number), f"{where} = {number}"
    summary = result["summary"]
    assert set(summary) >= {"median_seconds", "final", "frechet", "targets"}
    assert "ratio_tinydl_over_torch" not in summary       # no torch, no ratio
    assert result["config"]["train_images"] == 256 and result["config"]["test_images"] == 300
    assert (out / "scores.png").stat().st_size > 0
    assert (out / "samples" / "tinydl" / "epoch_001.png").stat().st_size > 0


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")
def test_torch_twin_takes_the_same_first_step(tmp_path):
    need_mnist()
    stdout = run_bench("--check", "--out", str(tmp_path))
    assert "AGREE" in stdout
    report = json.loads((tmp_path / "check.json").read_text())
    assert report["agree"] and report["steps"] == 1
    step = report["values"][0]
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"):
        assert step["relative_difference"][key] < 1e-5, (key, step)
    assert len(report["weights"]) == 12                  # 3 Dense layers in each player
    for name, weight in report["weights"].items():
        assert weight["max_abs_change"] > 1e-4, f"{name} did not move"   # Adam's first step: ±2e-4
        assert weight["max_abs_difference"] <= 1e-5, (name, weight)
