"""The article's section-4 CNN on the full MNIST set: tinydl against PyTorch, side by side.

Trains the same network (tinydl.applications.article_cnn: Conv 32 3×3 ReLU → MaxPool 2 →
Conv 64 3×3 ReLU → MaxPool 2 → Flatten → Dense 128 ReLU → Dropout 0.5 → Dense 10 softmax;
Adam 0.001; categorical
cross-entropy; batch 128) on the 60,000 training images, once in tinydl and, when PyTorch
is installed, in PyTorch's CPU build twice: as a plain PyTorch process, and with the
malloc thresholds that importing tinydl sets (tinydl/_allocator.py), which make PyTorch
faster too. Each run is its own subprocess (so that the peak memory of one does not count
for another), and the runs alternate so that a slow spell of the machine hits all. Prints, per framework: seconds per epoch,
test accuracy after the last epoch, peak resident memory; then the tinydl/PyTorch ratio
of the epoch time.

    python bench/bench_mnist_cnn.py                          # 3 alternated 1-epoch runs each
    python bench/bench_mnist_cnn.py --epochs 10 --rounds 1   # the article's 10 epochs (accuracy)

Needs MNIST (TINYDL_DATA, the cache, or a download). Not part of the tests.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def load(limit: int | None):
    """MNIST scaled to [0, 1], shaped (N, 28, 28, 1), from the arrays the parent process
    saved (so that the PyTorch worker never imports tinydl, whose import tunes malloc)."""
    data = np.load(os.environ["TINYDL_BENCH_DATA"])
    x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    return (x_train.reshape(-1, 28, 28, 1) / 255.0, y_train), (x_test.reshape(-1, 28, 28, 1) / 255.0, y_test)


def run_tinydl(epochs: int, batch_size: int, limit: int | None) -> dict:
    from tinydl.applications import article_cnn
    from tinydl.callbacks import Callback
    from tinydl.optimizers import Adam
    from tinydl.utils import set_random_seed, to_categorical

    (x_train, y_train), (x_test, y_test) = load(limit)
    set_random_seed(0)
    model = article_cnn()
    model.compile(optimizer=Adam(lr=0.001), loss="categorical_crossentropy", metrics=["accuracy"])

    class Timer(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)

    seconds: list[float] = []
    model.fit(x_train, to_categorical(y_train, 10), batch_size=batch_size, epochs=epochs,
              verbose=0, callbacks=[Timer()])
    from tinydl.parallel import blas_threads, get_num_threads, threads_in_use
    threads = (f"tinydl {get_num_threads()} threads ({threads_in_use()} in use at the last "
               f"epoch), BLAS {blas_threads()}")
    _, acc = model.evaluate(x_test, to_categorical(y_test, 10), batch_size=1000, verbose=0)
    return {"epoch_seconds": seconds, "test_accuracy": float(acc), "threads": threads}


def run_torch(epochs: int, batch_size: int, limit: int | None) -> dict:
    import torch
    from torch import nn

    (x_train, y_train), (x_test, y_test) = load(limit)
    torch.manual_seed(0)
    x_train = torch.tensor(x_train, dtype=torch.float32).permute(0, 3, 1, 2).contiguous()
    x_test = torch.tensor(x_test, dtype=torch.float32).permute(0, 3, 1, 2).contiguous()
    y_train, y_test = torch.tensor(y_train, dtype=torch.long), torch.tensor(y_test, dtype=torch.long)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10))  # softmax is inside cross_entropy
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for idx in torch.randperm(len(x_train)).split(batch_size):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    return {"epoch_seconds": seconds, "test_accuracy": acc, "threads": torch.get_num_threads(),
            "version": torch.__version__}


def worker(name: str, args: argparse.Namespace) -> None:
    if name == "torch+malloc":
        from tinydl._allocator import keep_freed_memory  # PyTorch given tinydl's malloc setting
        keep_freed_memory()
    result = (run_tinydl if name == "tinydl" else run_torch)(args.epochs, args.batch_size, args.limit)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def run_worker(name: str, data: str, epochs: int, batch_size: int, limit: int | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", name, "--epochs", str(epochs),
           "--batch-size", str(batch_size)] + (["--limit", str(limit)] if limit else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | {"TINYDL_BENCH_DATA": data})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        sys.exit(f"{name} run failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1][len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="epochs per run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each framework, alternated (tinydl, torch, torch, tinydl, ...) "
                             "so that a slow spell of the machine hits both")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--worker", choices=["tinydl", "torch", "torch+malloc"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args)

    try:
        import torch  # noqa: F401  (only to know whether to compare)
        frameworks = ["tinydl", "torch", "torch+malloc"]
    except ImportError:
        frameworks = ["tinydl"]
        print("PyTorch is not installed: timing tinydl alone (pip install torch==2.13.0 to compare)")
    from tinydl.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    data = os.path.join(tempfile.mkdtemp(prefix="tinydl-bench-"), "mnist.npz")
    np.savez(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    runs: dict[str, list[dict]] = {name: [] for name in frameworks}
    for r in range(args.rounds):
        for name in (frameworks if r % 2 == 0 else frameworks[::-1]):
            runs[name].append(run_worker(name, data, args.epochs, args.batch_size, args.limit))
            print(f"round {r + 1}: {name:<12} s/epoch "
                  + ", ".join(f"{s:.1f}" for s in runs[name][-1]["epoch_seconds"])
                  + f"; test accuracy {runs[name][-1]['test_accuracy']:.4f}; "
                  + f"threads {runs[name][-1]['threads']}; load {os.getloadavg()[0]:.2f}", flush=True)

    print(f"\n{'framework':<13} {'median s/epoch':>15} {'test acc (last run)':>20} {'peak RSS':>10}")
    medians = {}
    for name, results in runs.items():
        medians[name] = float(np.median([s for r in results for s in r["epoch_seconds"]]))
        print(f"{name:<13} {medians[name]:>15.1f} {results[-1]['test_accuracy']:>20.4f} "
              f"{max(r['peak_rss_mib'] for r in results):>6.0f} MiB")
    for name in ("torch", "torch+malloc"):
        if name in runs:
            print(f"tinydl / {name:<12} epoch time: {medians['tinydl'] / medians[name]:.2f}")
    if "torch" in runs:
        print(f"(PyTorch {runs['torch'][0]['version']}, {runs['torch'][0]['threads']} threads; "
              f"{args.rounds} alternated runs of {args.epochs} epoch(s) each. 'torch' is a plain "
              f"PyTorch process; 'torch+malloc' is PyTorch with the malloc thresholds that "
              f"importing tinydl sets, which speeds PyTorch up too.)")


if __name__ == "__main__":
    main()
