"""Lesson 9 (segmentation with a U-Net): runs as a notebook in quick mode, writes its
pictures, shows the code of the U-Net it takes from tinydl.applications, prints the
baseline of the scenes it used and the final line computed from its own results; a canvas
size the U-Net cannot take is a clear error; its 1×1 convolution is z = Wx + b at every
pixel; the network without skips gives one class per 2×2 block; the helpers that find
edges, touching digits and one-class blocks agree with literal loops; and
bench/bench_segmentation.py runs at a tiny size, training as the lesson trains."""
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinydl import applications

from lesson_helpers import lesson_definitions, need_mnist, run_notebook

STEM = "09_segmentation_unet"
BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_segmentation.py"
FIGURES = ("masks.png", "error_map.png", "iou_per_class.png", "learning_curves.png",
           "class_imbalance.png")
FINAL = re.compile(r"^segmentation: digit_miou (\S+) pixel_acc (\S+) scenes_read (\S+) "
                   r"train_seconds (\S+)$")


@pytest.fixture(scope="module")
def lesson():
    return lesson_definitions(STEM)


@pytest.fixture(scope="module")
def seg(lesson):
    import _segmentation          # lessons/ is on sys.path once the definitions are read
    return _segmentation


@pytest.fixture(scope="module")
def quick():
    need_mnist()
    return run_notebook(STEM)


def test_writes_its_figures_and_ends_with_the_result_line(quick):
    assert sorted(p.name for p in quick.figures) == sorted(FIGURES)
    for path in quick.figures:
        assert path.stat().st_size > 1000, path
        assert f"wrote {path}" in quick.stdout
    match = FINAL.match(quick.stdout.strip().splitlines()[-1])
    assert match, quick.stdout.strip().splitlines()[-1]
    miou, acc, read, seconds = map(float, match.groups())
    assert 0 <= miou <= 1 and 0 <= acc <= 1 and 0 <= read <= 1 and seconds > 0
    # the line reports the run's own results
    assert (miou, acc, read) == (round(quick["digit_miou"], 4), round(quick["pixel_acc"], 4),
                                 round(quick["scenes_read"], 4))
    assert seconds == round(quick["train_seconds"], 1)
    assert quick["curve"]["seconds"][-1] == quick["train_seconds"]


def test_trains_a_fixed_number_of_epochs(quick):
    """Quick mode: one epoch of the U-Net, one curve point per epoch; the time split
    is printed."""
    assert len(quick["curve"]["digit_miou"]) == 1
    assert re.search(r"^  epoch  1  loss ", quick.stdout, re.M)
    assert re.search(r"^training time: U-Net \d+ s \(\d+% of \d+ s\); no skips \d+ s, "
                     r"three losses \d+ s$", quick.stdout, re.M)


def test_baseline_is_the_background_share_of_the_held_out_pixels(quick):
    from tinydl.datasets import mnist_scenes
    _, (_, y_test) = mnist_scenes.load_data(n_train=96, n_test=32, seed=0)  # quick's scenes
    share = np.count_nonzero(y_test == 10) / y_test.size
    assert 0.9 < share < 1
    assert quick["baseline_pixel_acc"] == pytest.approx(share)
    assert (f"baseline (background everywhere): pixel accuracy {share:.4f}, digit mean IoU "
            f"0.000") in quick.stdout


def test_the_lesson_shows_the_unets_code_and_builds_it_from_the_package(lesson, quick):
    """No U-Net of the lesson's own: it builds tinydl.applications.unet and displays its
    code under the cell (a code block in the notebook)."""
    assert not [name for name in vars(lesson) if "unet" in name.lower()]
    assert lesson.applications is applications
    assert "# tinydl.applications.unet, from tinydl/applications.py line " in quick.stdout
    source = inspect.getsource(applications.unet)
    shown = [output["data"] for cell in quick.notebook.cells if cell.cell_type == "code"
             for output in cell.get("outputs", []) if output.get("output_type") ==
             "display_data" and "def unet(" in output["data"].get("text/plain", "")]
    assert len(shown) == 1 and shown[0]["text/plain"].strip() == source.strip()
    assert "text/html" in shown[0]                            # highlighted
    assert quick["unet"].name == "unet"


def test_the_lesson_shows_the_size_error(quick):
    line = next(line for line in quick.stdout.splitlines() if line.startswith("a 65×85 canvas"))
    assert "height 65: it takes multiples of 4 (nearest: 64 or 68)" in line
    assert "width 85: it takes multiples of 4 (nearest: 84 or 88)" in line


def test_the_1x1_convolution_is_a_dense_layer_at_every_pixel(quick):
    assert quick["conv_vs_dense"].max() < 1e-6


def test_a_canvas_size_the_unet_cannot_take_is_a_clear_error():
    model = applications.unet((2, 2, 2))
    assert model.predict(np.zeros((1, 64, 84, 1), np.float32)).shape == (1, 64, 84, 11)
    with pytest.raises(ValueError, match=r"height 66: it takes multiples of 4 \(nearest: 64 or "
                                         r"68\); width 84 is fine"):
        model.predict(np.zeros((1, 66, 84, 1), np.float32))


def test_without_skips_every_2x2_block_gets_one_class(seg):
    """The no-skip network's full-size output is nearest-upsampled from half size and then
    only 1×1 convolutions follow: the class probabilities are equal within each 2×2 block.
    The U-Net's are not."""
    import tinydl
    x = np.random.default_rng(0).random((2, 16, 20, 1), dtype=np.float32)
    for skips in (False, True):
        tinydl.utils.set_random_seed(0)
        probs = applications.unet((4, 4, 4), skips=skips).predict(x)
        blocks = probs.reshape(2, 8, 2, 10, 2, 11)
        same = np.allclose(blocks, blocks[:, :, :1, :, :1], atol=1e-7)
        assert same is not skips
        if not skips:
            assert seg.blocks_of_two(probs.argmax(-1)) == 1.0


def test_edges_touching_digits_and_blocks_against_loops(seg):
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
    np.testing.assert_array_equal(seg.edge_pixels(y), edges)
    np.testing.assert_array_equal(seg.contact_pixels(y), contact)
    np.testing.assert_array_equal(seg.touching(y), touch)
    assert touch.any() and not touch.all()

    masks = rng.choice([1, 10], p=[0.1, 0.9], size=(5, 6, 8))
    masks[0, :2, :2] = 1                      # at least one block of one class, one mixed
    masks[0, 2:4, :2] = [[1, 10], [10, 10]]
    one_class = [len(set(masks[s, i:i + 2, j:j + 2].ravel())) == 1
                 for s in range(5) for i in range(0, 6, 2) for j in range(0, 8, 2)]
    assert 0 < np.mean(one_class) < 1
    assert seg.blocks_of_two(masks) == pytest.approx(np.mean(one_class))


def test_example_scenes_show_touching_and_misread_ones(seg):
    touch = np.array([0, 0, 0, 0, 0, 0, 1, 0, 1, 1], bool)
    right = np.array([1, 1, 1, 1, 1, 1, 1, 0, 1, 0], bool)
    assert seg.example_scenes(touch, right) == [0, 1, 2, 6, 8, 7]
    assert seg.example_scenes(touch[:2], right[:2]) == [0, 1]


@pytest.fixture(scope="module")
def tiny_bench():
    """bench/bench_segmentation.py on 64 scenes, filters 4,8,8, one round, one profiled step
    (with the PyTorch twin when torch is installed)."""
    need_mnist()
    torch = importlib.util.find_spec("torch") is not None
    proc = subprocess.run([sys.executable, str(BENCH), "--scenes", "64", "--rounds", "1",
                           "--filters", "4,8,8", "--profile", "1",
                           *([] if torch else ["--no-torch"])],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    return proc.stdout, torch


def test_bench_runs_at_a_tiny_size(tiny_bench):
    stdout, torch = tiny_bench
    seconds = re.search(r"^tinydl: (\S+) s/epoch .* peak RSS (\d+) MiB", stdout, re.M)
    assert seconds and float(seconds.group(1)) > 0 and int(seconds.group(2)) > 0
    shares = [float(v) for v in re.findall(r"^  up2a \(Conv2D\)\s+\S+\s+\S+\s+(\S+)%$",
                                            stdout, re.M)]
    assert len(shares) == 1 and 0 < shares[0] < 100, stdout
    if torch:
        agree = re.search(r"agree to (\S+) \(tolerance", stdout)
        assert agree and float(agree.group(1)) <= 1e-4, stdout
        assert re.search(r"^ratio tinydl/torch: \d+\.\d+", stdout, re.M)


def test_bench_trains_the_unet_as_the_lesson_trains_it(lesson, tiny_bench):
    """The bench writes the lesson's main loss out (it reads no lesson file): its tinydl
    epoch, from the same seed on the same scenes, ends at the loss of the lesson's
    `compiled(unet, MAIN_LOSS)` fitted here (printed to 4 decimals; threads may round the
    last one differently). Any other loss, weight or learning rate misses by far more."""
    from tinydl.datasets import mnist_scenes
    from tinydl.utils import set_random_seed

    stdout, _ = tiny_bench
    printed = re.search(r"^  round 1 tinydl\s+\S+ s/epoch  loss (\S+)", stdout, re.M)
    assert printed, stdout
    assert f"Adam {lesson.LOSSES[lesson.MAIN_LOSS][2]:g}," in stdout
    (x, y), _ = mnist_scenes.load_data(n_train=64, n_test=1, seed=0)   # the bench's scenes
    set_random_seed(0)                                   # the bench's --seed 0, round 0
    model, class_weight = lesson.compiled(applications.unet((4, 8, 8)), lesson.MAIN_LOSS)
    history = model.fit(x[..., None], y, batch_size=32, epochs=1, verbose=0,
                        class_weight=class_weight)
    assert float(printed.group(1)) == pytest.approx(history.history["loss"][-1], abs=2e-4)
