"""Training on a busy machine: how much slower an epoch gets next to CPU-bound processes.

Times one epoch of two networks (batch 128, Adam 0.001, categorical cross-entropy):
    cnn: the article's section-4 CNN, tinydl.applications.article_cnn (Conv 32 3×3 ReLU →
         MaxPool 2 → Conv 64 3×3 ReLU → MaxPool 2 → Flatten → Dense 128 ReLU → Dropout 0.5
         → Dense 10 softmax);
    mlp: 784-512-512-10 (ReLU, ReLU, softmax);
alone, then next to 1 and next to 2 competing processes (each a single-threaded Python
busy loop, which the benchmark starts before the timed epoch and stops after it), in
tinydl and, when it can be imported, in PyTorch's CPU build. Every timed epoch runs in
its own subprocess, after a warm-up of a few batches. Prints the thread set-up, each
epoch's seconds, the slowdown against the epoch alone, and the fair share: with n
training threads and c competitors on k cores, a fair scheduler gives the training
max(1, (n + c)/k) / max(1, n/k) times its time alone (1.5× and 2× for n = k = 2 and
c = 1, 2). The issue's goals: ≤ 1.8× next to one competitor, ≤ 2.5× next to two.

    python bench/bench_contention.py                         # both models, full MNIST epoch
    python bench/bench_contention.py --samples 2000 --rounds 3
    python bench/bench_contention.py --models mlp --threads 1   # TINYDL_NUM_THREADS=1, torch 1
    python bench/bench_contention.py --synthetic --samples 256  # random images, no MNIST

Needs MNIST (TINYDL_DATA, the cache, or a download) unless --synthetic. Not part of the
tests. Run it on an otherwise idle machine: anything else running counts as a competitor.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

THREAD_VARIABLES = ("TINYDL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS")
BUSY_LOOP = "while True:\n    pass\n"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load(samples: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `samples` training images in [0, 1], (N, 28, 28, 1), and their labels, from
    the file the parent wrote (so that a PyTorch worker never imports tinydl)."""
    data = np.load(os.environ["TINYDL_BENCH_DATA"])
    x, y = data["x"][:samples], data["y"][:samples]
    return (x.reshape(-1, 28, 28, 1) / np.float32(255)).astype(np.float32), y


# -- the workers: one timed epoch each ------------------------------------------------------

def run_tinydl(model_name: str, samples: int, batch_size: int, warmup: int) -> dict:
    from threadpoolctl import threadpool_info

    import tinydl
    from tinydl.applications import article_cnn
    from tinydl.layers import Dense
    from tinydl.models import Sequential
    from tinydl.optimizers import Adam
    from tinydl.utils import set_random_seed, to_categorical

    x, y = load(samples)
    y = to_categorical(y, 10)
    set_random_seed(0)
    if model_name == "cnn":
        model = article_cnn()
    else:
        x = x.reshape(len(x), -1)
        model = Sequential([Dense(512, activation="relu", input_shape=(784,)),
                            Dense(512, activation="relu"), Dense(10, activation="softmax")])
    model.compile(optimizer=Adam(0.001), loss="categorical_crossentropy")
    if warmup:
        model.fit(x[:warmup * batch_size], y[:warmup * batch_size], batch_size=batch_size,
                  epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    threads = getattr(tinydl, "get_num_threads", tinydl.parallel.get_num_threads)()
    blas = [f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info()
            if i["user_api"] == "blas"]
    in_use = getattr(tinydl.parallel, "threads_in_use", lambda: threads)()
    return {"seconds": seconds, "threads": threads,
            "setup": f"tinydl threads {threads} ({in_use} in use); BLAS: "
                     f"{', '.join(blas) or 'not found'}"}


def run_torch(model_name: str, samples: int, batch_size: int, warmup: int) -> dict:
    import torch
    from torch import nn

    if os.environ.get("TINYDL_BENCH_THREADS"):
        torch.set_num_threads(int(os.environ["TINYDL_BENCH_THREADS"]))
    x, y = load(samples)
    torch.manual_seed(0)
    x = torch.tensor(x).permute(0, 3, 1, 2).contiguous()
    y = torch.tensor(y, dtype=torch.long)
    if model_name == "cnn":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(128, 10))  # softmax is inside cross_entropy
    else:
        x = x.reshape(len(x), -1)
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)

    def epoch(order: torch.Tensor) -> None:
        for idx in order.split(batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            optimizer.step()

    model.train()
    epoch(torch.arange(min(warmup * batch_size, len(x))))
    start = time.perf_counter()
    epoch(torch.randperm(len(x)))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "threads": torch.get_num_threads(),
            "setup": f"torch {torch.__version__}, {torch.get_num_threads()} threads"}


def worker(args: argparse.Namespace) -> None:
    framework, model_name = args.worker.split(":")
    run = run_tinydl if framework == "tinydl" else run_torch
    print("RESULT " + json.dumps(run(model_name, args.samples, args.batch_size, args.warmup)))


# -- the parent: competitors and timed runs --------------------------------------------------

def start_competitors(count: int) -> list[subprocess.Popen]:
    procs = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count)]
    time.sleep(0.3 if procs else 0)      # let them start spinning
    return procs


def stop_competitors(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait()


def timed_epoch(framework: str, model_name: str, competitors: int, args: argparse.Namespace,
                data: str) -> dict:
    env = os.environ | {"TINYDL_BENCH_DATA": data}
    if args.threads:
        env |= {"TINYDL_NUM_THREADS": str(args.threads), "TINYDL_BENCH_THREADS": str(args.threads)}
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", f"{framework}:{model_name}",
           "--samples", str(args.samples), "--batch-size", str(args.batch_size),
           "--warmup", str(args.warmup)]
    procs = start_competitors(competitors)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    finally:
        stop_competitors(procs)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        sys.exit(f"{framework} {model_name} run failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1][len("RESULT "):])


def fair_share(threads: int, competitors: int, k: int) -> float:
    return max(1.0, (threads + competitors) / k) / max(1.0, threads / k)


def write_data(args: argparse.Namespace) -> str:
    if args.synthetic:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, size=(args.samples, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, size=args.samples)
    else:
        from tinydl.datasets import mnist
        (x, y), _ = mnist.load_data()
        x, y = x[:args.samples], y[:args.samples]
    path = os.path.join(tempfile.mkdtemp(prefix="tinydl-bench-"), "train.npz")
    np.savez(path, x=x, y=y)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cnn,mlp", help="comma-separated: cnn, mlp")
    parser.add_argument("--frameworks", default="tinydl,torch",
                        help="comma-separated: tinydl, torch (torch is skipped when missing)")
    parser.add_argument("--competitors", default="0,1,2",
                        help="comma-separated numbers of competing busy processes")
    parser.add_argument("--samples", type=int, default=60000, help="training images per epoch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=3, help="untimed batches before the epoch")
    parser.add_argument("--rounds", type=int, default=1,
                        help="timed epochs per set-up (the median is reported)")
    parser.add_argument("--threads", type=int, default=None,
                        help="TINYDL_NUM_THREADS for tinydl and torch.set_num_threads for "
                             "PyTorch (default: each framework's own default)")
    parser.add_argument("--synthetic", action="store_true",
                        help="random images instead of MNIST (the timing is the same)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    models = args.models.split(",")
    frameworks = args.frameworks.split(",")
    competitor_counts = [int(c) for c in args.competitors.split(",")]
    if "torch" in frameworks:
        try:
            import torch  # noqa: F401  (only to know whether to compare)
        except ImportError:
            frameworks.remove("torch")
            print("PyTorch is not installed: timing tinydl alone (pip install torch to compare)")
    k = cores()
    print(f"cores this process may use: {k} (os.cpu_count() = {os.cpu_count()}); load average "
          f"before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("thread variables: " + (", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARIABLES
                                            if v in os.environ) or "none set")
          + (f"; --threads {args.threads}" if args.threads else ""))
    print(f"{args.samples} samples, batch {args.batch_size}, {args.warmup} warm-up batches, "
          f"{args.rounds} round(s); competitors: single-threaded Python busy loops")
    data = write_data(args)

    seconds: dict[tuple[str, str, int], list[float]] = {}
    setups: dict[tuple[str, str], dict] = {}
    for r in range(args.rounds):
        for model_name in models:
            for framework in frameworks:
                for c in competitor_counts:
                    result = timed_epoch(framework, model_name, c, args, data)
                    seconds.setdefault((model_name, framework, c), []).append(result["seconds"])
                    setups[model_name, framework] = result
                    print(f"round {r + 1}: {model_name} {framework:<6} next to {c}: "
                          f"{result['seconds']:.2f} s ({result['setup']})", flush=True)

    print(f"\n{'model':<5} {'framework':<9} {'competitors':>11} {'s/epoch':>8} {'slowdown':>9} "
          f"{'fair share':>10}")
    for model_name in models:
        for framework in frameworks:
            alone = statistics.median(seconds.get((model_name, framework, 0), [float("nan")]))
            threads = setups[model_name, framework]["threads"]
            for c in competitor_counts:
                median = statistics.median(seconds[model_name, framework, c])
                print(f"{model_name:<5} {framework:<9} {c:>11} {median:>8.2f} "
                      f"{median / alone:>8.2f}× {fair_share(threads, c, k):>9.2f}×")
    print("\nslowdown: the epoch's time over its time alone (no figure without a 0 "
          "competitors run); fair share: what a fair scheduler would cost with that many "
          "training threads; goals: ≤ 1.8× next to 1, ≤ 2.5× next to 2")


if __name__ == "__main__":
    main()
