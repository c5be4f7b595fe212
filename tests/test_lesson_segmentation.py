"""Lesson 9 (segmentation with a U-Net): runs with --quick, writes its pictures, prints the
baseline of the scenes it used and the final line; a canvas size the U-Net cannot take is
a clear error; the helpers that find edges and touching digits agree with literal loops;
and bench/bench_segmentation.py runs at a tiny size."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lesson_helpers import LESSONS, load_lesson, need_mnist

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_segmentation.py"
FIGURES = ("masks.png", "error_map.png", "iou_per_class.png", "learning_curves.png",
           "class_imbalance.png")
FINAL = re.compile(r"^segmentation: digit_miou (\S+) pixel_acc (\S+) scenes_read (\S+) "
                   r"train_seconds (\S+)$")


@pytest.fixture(scope="module")
def lesson():
    return load_lesson("09_segmentation_unet")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    need_mnist()
    out = tmp_path_factory.mktemp("l09")
    proc = subprocess.run([sys.executable, "09_segmentation_unet.py", "--quick", "--out", str(out)],
                          cwd=LESSONS, env=dict(os.environ, MPLBACKEND="Agg"),
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    return out, proc.stdout


def test_writes_its_figures_and_ends_with_the_result_line(quick):
    out, stdout = quick
    for name in FIGURES:
        assert (out / name).stat().st_size > 1000, name
        assert f"wrote {out / name}" in stdout
    match = FINAL.match(stdout.strip().splitlines()[-1])
    assert match, stdout.strip().splitlines()[-1]
    miou, acc, read, seconds = map(float, match.groups())
    assert 0 <= miou <= 1 and 0 <= acc <= 1 and 0 <= read <= 1 and seconds > 0


def test_baseline_is_the_background_share_of_the_held_out_pixels(quick):
    from tinydl.datasets import mnist_scenes
    _, (_, y_test) = mnist_scenes.load_data(n_train=96, n_test=32, seed=0)  # --quick's scenes
    share = np.count_nonzero(y_test == 10) / y_test.size
    assert 0.9 < share < 1
    assert (f"baseline (background everywhere): pixel accuracy {share:.4f}, digit mean IoU "
            f"0.000") in quick[1]


def test_the_lesson_shows_the_size_error(quick):
    line = next(line for line in quick[1].splitlines() if line.startswith("a 65×85 canvas"))
    assert "height 65: it takes multiples of 4 (nearest: 64 or 68)" in line
    assert "width 85: it takes multiples of 4 (nearest: 84 or 88)" in line


def test_a_canvas_size_the_unet_cannot_take_is_a_clear_error(lesson):
    model = lesson.build_unet((2, 2, 2))
    assert model.predict(np.zeros((1, 64, 84, 1), np.float32)).shape == (1, 64, 84, 11)
    with pytest.raises(ValueError, match=r"height 66: it takes multiples of 4 \(nearest: 64 or "
                                         r"68\); width 84 is fine"):
        model.predict(np.zeros((1, 66, 84, 1), np.float32))


def test_edges_and_touching_digits_against_loops(lesson):
    rng = np.random.default_rng(0)
    y = rng.choice([0, 3, 10], p=[0.08, 0.08, 0.84], size=(8, 7, 9)).astype(np.uint8)
    n, h, w = y.shape
    edges = np.zeros(y.shape, bool)
    contact = np.zeros(y.shape, bool)
    for s in range(n):
        for i in range(h):
            for j in range(w):
                for di in (-1, 0, 1):
                    for dj in (-1, 0, 1):
                        a, b = i + di, j + dj
                        if 0 <= a < h and 0 <= b < w and y[s, a, b] != y[s, i, j]:
                            edges[s, i, j] = True
                            if 10 not in (y[s, a, b], y[s, i, j]):
                                contact[s, i, j] = True
    touch = contact.any(axis=(1, 2))
    np.testing.assert_array_equal(lesson.edge_pixels(y), edges)
    np.testing.assert_array_equal(lesson.contact_pixels(y), contact)
    np.testing.assert_array_equal(lesson.touching(y), touch)
    assert touch.any() and not touch.all()


def test_bench_runs_at_a_tiny_size():
    need_mnist()
    torch = importlib.util.find_spec("torch") is not None
    proc = subprocess.run([sys.executable, str(BENCH), "--scenes", "64", "--rounds", "1",
                           "--filters", "4,8,8", "--profile", "1",
                           *([] if torch else ["--no-torch"])],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    seconds = re.search(r"^tinydl: (\S+) s/epoch .* peak RSS (\d+) MiB", proc.stdout, re.M)
    assert seconds and float(seconds.group(1)) > 0 and int(seconds.group(2)) > 0
    shares = [float(v) for v in re.findall(r"^  up2a \(Conv2D\)\s+\S+\s+\S+\s+(\S+)%$",
                                            proc.stdout, re.M)]
    assert len(shares) == 1 and 0 < shares[0] < 100, proc.stdout
    if torch:
        agree = re.search(r"agree to (\S+) \(tolerance", proc.stdout)
        assert agree and float(agree.group(1)) <= 1e-4, proc.stdout
        assert re.search(r"^ratio tinydl/torch: \d+\.\d+", proc.stdout, re.M)
