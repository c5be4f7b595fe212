"""Lesson 10 (section 5, "demand for data and compute"): the section-4 CNN trained on 600,
6,000 and 60,000 MNIST images: test accuracy and training time against the data.

Section 5 says deep networks need large labelled data sets and much computation. This
lesson measures both for the network of section 4 (lesson 4's `build_model`, Adam 1e-3,
batch 128), trained from scratch on the first n training images and tested on all
10,000 test images:

    n        epochs   optimizer steps
    600        30          150
    6,000      10          470
    60,000      4        1,876

The epoch counts are not equal: the small sets get more passes so that they are not
simply under-trained (600 images × 10 epochs would be 50 steps), and the full set gets
4 instead of lesson 4's 10 so that the default run stays within a few minutes on two cores.
Time grows with the number of images processed (n × epochs), so compute and data go up
together; each tenfold more data removes a large share of the remaining errors.

Measured (full run, seed 0, one BLAS thread, load average ~3.7 on two cores; 2 min 10 s
in all): 600 images 92.4% test accuracy in 6.8 s, 6,000 images 97.5% in 22 s, 60,000
images 98.9% in 95 s (about 380 µs per image and epoch at every size). The test error
fell ×0.33 and then ×0.44 per tenfold more data while the training time rose ×3.3 and
×4.2 (×10 images, fewer epochs).

The other challenges of section 5 have their own lessons (11 explainability, 12 adversarial
examples, 13 membership inference). Two cannot be shown by code here:
* multimodal fusion (learning from images with text, sound or sensor data together)
  needs paired data sets of several kinds and models far beyond what a NumPy engine
  trains in minutes; the idea itself, features of each modality concatenated or
  attended to, is a `Concatenate` of two branches (see the functional API);
* ethics (bias, consent, surveillance, accountability) is about who collects data, who
  is affected and who decides; no accuracy figure answers it. Lesson 13 touches one
  measurable part: a trained model can reveal who was in its training set.

Run:  python lessons/10_data_and_compute.py [--quick] [--sizes 600,6000,60000]
      [--epochs 30,10,4] [--out DIR] [--seed N]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from tinydl.utils import set_random_seed, to_categorical

from _lesson import output_dir, plt, save
from _mnist_cnn import compiled_cnn, mnist_images, test_accuracy


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="100 / 300 / 1,000 images, 2 epochs, 1,000 test images (seconds)")
    parser.add_argument("--sizes", default="600,6000,60000", help="training-set sizes")
    parser.add_argument("--epochs", default="30,10,4", help="epochs for each size")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def run(n: int, epochs: int, data, batch_size: int, seed: int) -> dict:
    """Train a fresh CNN on the first n training images; time it; test it."""
    (x_train, y_train), (x_test, y_test) = data
    set_random_seed(seed)
    model = compiled_cnn()
    start = time.perf_counter()
    model.fit(x_train[:n], to_categorical(y_train[:n], 10), batch_size=batch_size,
              epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    return {"n": n, "epochs": epochs, "steps": epochs * -(-n // batch_size),
            "seconds": seconds, "us_per_image": 1e6 * seconds / (n * epochs),
            "accuracy": test_accuracy(model, x_test, y_test)}


def plot(rows: list[dict], n_test: int, out) -> None:
    n = np.array([r["n"] for r in rows])
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(n, [100 * r["accuracy"] for r in rows], "o-", color="tab:blue")
    for r in rows:
        ax.annotate(f"{100 * r['accuracy']:.1f}%\n({r['epochs']} ep.)", (r["n"], 100 * r["accuracy"]),
                    textcoords="offset points", xytext=(0, -30), ha="center", fontsize=8,
                    color="tab:blue")
    ax.set(xscale="log", xlabel="training images (log scale)",
           title=f"section-4 CNN: more data, more accuracy, more compute ({n_test:,} test images)")
    ax.set_ylabel("test accuracy (%)", color="tab:blue")
    ax.grid(alpha=0.3, which="both")
    twin = ax.twinx()
    twin.plot(n, [r["seconds"] for r in rows], "s--", color="tab:red")
    twin.set(yscale="log")
    twin.set_ylabel("training time (s, log scale)", color="tab:red")
    save(fig, out / "accuracy_and_time_vs_data.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args, "10_data_and_compute")
    sizes = [int(s) for s in args.sizes.split(",")]
    epochs = [int(e) for e in args.epochs.split(",")]
    (x_train, y_train), (x_test, y_test) = mnist_images()
    if args.quick:
        sizes, epochs = [100, 300, 1000], [2, 2, 2]
        x_test, y_test = x_test[:1000], y_test[:1000]
    if len(epochs) == 1:
        epochs = epochs * len(sizes)
    if len(epochs) != len(sizes):
        raise SystemExit(f"--epochs gives {len(epochs)} values for {len(sizes)} sizes")
    data = ((x_train, y_train), (x_test, y_test))

    print(f"{'images':>8} {'epochs':>6} {'steps':>6} {'time (s)':>9} {'µs/image':>9} "
          f"{'test acc':>9} {'test error':>10}")
    rows = []
    for n, e in zip(sizes, epochs):
        r = run(n, e, data, args.batch_size, args.seed)
        rows.append(r)
        print(f"{r['n']:>8,} {r['epochs']:>6} {r['steps']:>6} {r['seconds']:>9.1f} "
              f"{r['us_per_image']:>9.0f} {100 * r['accuracy']:>8.2f}% "
              f"{100 * (1 - r['accuracy']):>9.2f}%", flush=True)
    for a, b in zip(rows, rows[1:]):
        print(f"{a['n']:,} → {b['n']:,} images: test error {100 * (1 - a['accuracy']):.2f}% → "
              f"{100 * (1 - b['accuracy']):.2f}% (×{(1 - b['accuracy']) / max(1 - a['accuracy'], 1e-9):.2f}), "
              f"training time ×{b['seconds'] / a['seconds']:.1f}")
    print("time per image and epoch is about constant: compute grows with data × epochs.")
    plot(rows, len(x_test), out)
    return {"rows": rows}


if __name__ == "__main__":
    main()
