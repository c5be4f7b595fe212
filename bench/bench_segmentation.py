"""One training epoch of lesson 9's U-Net in tinydl and in a PyTorch twin, alternating.

The parent process generates the digit scenes once (tinydl.datasets.mnist_scenes), builds
the lesson's U-Net (tinydl.applications.unet) and saves its freshly initialised weights.
Then, for --rounds rounds, it runs one epoch in a tinydl worker and one in a PyTorch
worker, each its own subprocess (so each reports its own peak resident memory, and a slow
spell of the machine hits both frameworks):

* tinydl: the lesson's model and its main loss (lesson 9's "weighted + Dice", written out
  in `compiled_unet`: per-pixel sparse cross-entropy with the background weighted 0.1 plus
  soft Dice over the ten digit classes, Adam 3e-3; tests/test_lesson_segmentation.py checks
  that it trains as the lesson's does), `fit(..., epochs=1, batch_size=32,
  class_weight={10: 0.1})`;
* PyTorch: the same layers in NCHW (Conv2d with padding 1 for 'same' 3×3, ReLU,
  MaxPool2d(2), nearest Upsample(2), torch.cat on the channels in the same order), the SAME
  initial weights (tinydl's kernels (kh, kw, C_in, C_out) flipped in both spatial axes,
  since tinydl's Conv2D is a true convolution, and transposed to (C_out, C_in, kh, kw)),
  the same loss written out,
  L = Σ w·CE / #pixels + 1 − mean_k (2Σ w p t + 1)/(Σ w p + Σ w t + 1),
  Adam(lr=3e-3, eps=1e-7), batch 32, the data reshuffled each epoch,
  torch.set_num_threads = tinydl's thread count. The PyTorch worker never imports tinydl
  (importing tinydl tunes malloc, which would speed PyTorch up too).

Before its epoch each worker computes the class probabilities of the first scenes with the
initial weights; the parent checks that both frameworks agree (the twin is the same
network). Only the epoch's training loop is timed.

    python bench/bench_segmentation.py                      # 3 rounds, 6,000 scenes
    python bench/bench_segmentation.py --rounds 1 --scenes 640
    python bench/bench_segmentation.py --no-torch
    python bench/bench_segmentation.py --rounds 1 --profile 10   # + per-layer profile

Prints the thread set-up and load average, each epoch's seconds, the medians (s/epoch),
the ratio tinydl/PyTorch (> 1: tinydl is slower) and the peak resident memory of each.
Needs MNIST (TINYDL_DATA). tests/test_lesson_segmentation.py runs a tiny version.
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _shared import load_average, peak_rss_mib

ROOT = Path(__file__).resolve().parents[1]
BACKGROUND, CLASSES, BG_WEIGHT, LR = 10, 11, 0.1, 3e-3
CHECK_SCENES = 4
#: the two frameworks' initial class probabilities must agree to this
CHECK_ATOL = 1e-4


def use_this_checkout() -> None:
    """Put the checkout first on sys.path (tinydl worker and parent only), so that
    `python bench/bench_segmentation.py` measures this checkout's tinydl, not whichever
    tinydl is installed (or none)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def compiled_unet(filters: tuple[int, int, int]):
    """Lesson 9's U-Net compiled with the lesson's main loss, "weighted + Dice": sparse
    cross-entropy + soft Dice over the digit classes, Adam(LR); returns the model and the
    class_weight to fit with, {BACKGROUND: BG_WEIGHT} (tinydl worker and parent only)."""
    from tinydl.applications import unet
    from tinydl.losses import combine, dice
    from tinydl.optimizers import Adam

    loss = combine({"sparse_categorical_crossentropy": 1.0,
                    functools.partial(dice, ignore_classes=[BACKGROUND]): 1.0})
    model = unet(filters)
    model.compile(optimizer=Adam(learning_rate=LR), loss=loss)
    return model, {BACKGROUND: BG_WEIGHT}


# -- workers ---------------------------------------------------------------------------------

def run_tinydl(work: Path, args: argparse.Namespace) -> dict:
    use_this_checkout()
    import tinydl
    data = np.load(work / "data.npz")
    x, y = data["x"], data["y"]
    tinydl.utils.set_random_seed(args.seed + args.round)
    model, class_weight = compiled_unet(args.filters)
    model.load_weights(str(work / "init.weights.npz"))
    probs = model.predict(x[:CHECK_SCENES])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0,
                        class_weight=class_weight)
    seconds = time.perf_counter() - start
    np.save(work / "tinydl_probs.npy", probs)
    return {"seconds": seconds, "loss": history.history["loss"][-1],
            "threads": tinydl.get_num_threads()}


def torch_unet(filters: tuple[int, int, int]):
    import torch
    from torch import nn
    f1, f2, f3 = filters

    class UNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            conv = lambda cin, cout, k=3: nn.Conv2d(cin, cout, k, padding=k // 2)
            self.down1, self.down2a, self.down2b = conv(1, f1), conv(f1, f2), conv(f2, f2)
            self.bottom_a, self.bottom_b = conv(f2, f3), conv(f3, f3)
            self.up2a, self.up2b = conv(f3 + f2, f2), conv(f2, f2)
            self.up1, self.classes = conv(f2 + f1, f1, 1), conv(f1, CLASSES, 1)

        def forward(self, x):                      # NCHW; returns the logits
            relu, pool = torch.relu, nn.functional.max_pool2d
            up = lambda t: nn.functional.interpolate(t, scale_factor=2, mode="nearest")
            full = relu(self.down1(x))
            half = relu(self.down2b(relu(self.down2a(pool(full, 2)))))
            z = relu(self.bottom_b(relu(self.bottom_a(pool(half, 2)))))
            z = torch.cat([up(z), half], dim=1)
            z = relu(self.up2b(relu(self.up2a(z))))
            z = torch.cat([up(z), full], dim=1)
            return self.classes(relu(self.up1(z)))

    return UNet()


def torch_loss(logits, labels):
    """Σ w·CE / #pixels + soft Dice over the digit classes with the same weights, as
    tinydl's combine({sparse CE, dice(ignore_classes=[10])}) with class_weight {10: 0.1}."""
    import torch
    w = torch.where(labels == BACKGROUND, BG_WEIGHT, 1.0)
    ce = (torch.nn.functional.cross_entropy(logits, labels, reduction="none") * w).mean()
    p = torch.softmax(logits, dim=1) * w[:, None]
    t = torch.nn.functional.one_hot(labels, CLASSES).permute(0, 3, 1, 2).float()
    axes = (0, 2, 3)
    d = (2 * (p * t).sum(axes) + 1) / (p.sum(axes) + (t * w[:, None]).sum(axes) + 1)
    return ce + 1 - d[:BACKGROUND].mean()


def run_torch(work: Path, args: argparse.Namespace) -> dict:
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed + args.round)
    data = np.load(work / "data.npz")
    x = torch.from_numpy(np.ascontiguousarray(data["x"].transpose(0, 3, 1, 2)))
    y = torch.from_numpy(data["y"].astype(np.int64))
    model = torch_unet(args.filters)
    weights = np.load(work / "init.weights.npz")
    with torch.no_grad():
        for key in weights.files:                       # "{i}_{layer}/{kernel|bias}"
            if "/" not in key:                          # tinydl's own entries
                continue
            layer, kind = key.split("_", 1)[1].split("/")
            value = weights[key]
            if kind == "kernel":
                getattr(model, layer).weight.copy_(torch.from_numpy(
                    np.ascontiguousarray(value[::-1, ::-1].transpose(3, 2, 0, 1))))
            else:
                getattr(model, layer).bias.copy_(torch.from_numpy(value))
        probs = torch.softmax(model(x[:CHECK_SCENES]), dim=1).permute(0, 2, 3, 1).numpy()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7)
    order = torch.randperm(len(x))
    start = time.perf_counter()
    total = 0.0
    for b in range(0, len(x), args.batch_size):
        idx = order[b:b + args.batch_size]
        optimizer.zero_grad()
        loss = torch_loss(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
        total += float(loss) * len(idx)
    seconds = time.perf_counter() - start
    np.save(work / "torch_probs.npy", probs)
    return {"seconds": seconds, "loss": total / len(x), "threads": torch.get_num_threads(),
            "torch": torch.__version__}


def profile_tinydl(work: Path, args: argparse.Namespace) -> dict:
    """Where a tinydl training step spends its time, per layer and op: every Function's
    forward (timed in Function.apply) and backward (each subclass's backward wrapped) is
    charged to the layer whose call created it ("(loss)" outside any layer); what is left
    of the steps' wall time is the optimizer and the bookkeeping."""
    use_this_checkout()
    import tinydl
    from tinydl import autograd
    from tinydl.layers.layer import Layer
    data = np.load(work / "data.npz")
    x, y = data["x"][:args.batch_size * (args.profile + 1)], data["y"]
    model, class_weight = compiled_unet(args.filters)
    model.fit(x[:args.batch_size], y[:args.batch_size], batch_size=args.batch_size,
              verbose=0, class_weight=class_weight)                      # warm-up step
    where, times = ["(loss)"], {}

    def charge(key, seconds):
        times[key] = times.get(key, 0.0) + seconds

    layer_call = Layer.__call__

    def call(self, *a, **k):
        outer, where[0] = where[0], f"{self.name} ({type(self).__name__})"
        try:
            return layer_call(self, *a, **k)
        finally:
            where[0] = outer
    apply = autograd.Function.apply.__func__

    def timed_apply(cls, *a, **k):
        tic = time.perf_counter()
        out = apply(cls, *a, **k)
        charge((where[0], cls.__name__, "forward"), time.perf_counter() - tic)
        if out._fn is not None:
            out._fn._profile_key = (where[0], cls.__name__, "backward")
        return out

    def wrap(backward):
        def timed(self, grad):
            tic = time.perf_counter()
            out = backward(self, grad)
            if hasattr(self, "_profile_key"):       # not an op called inside another op
                charge(self._profile_key, time.perf_counter() - tic)
            return out
        return timed
    classes, stack = [], [autograd.Function]
    while stack:
        cls = stack.pop()
        classes.append(cls)
        stack.extend(cls.__subclasses__())
    for cls in classes:
        if "backward" in cls.__dict__:
            cls.backward = wrap(cls.__dict__["backward"])
    Layer.__call__ = call
    autograd.Function.apply = classmethod(timed_apply)
    tic = time.perf_counter()
    model.fit(x[args.batch_size:], y[args.batch_size:len(x)], batch_size=args.batch_size,
              verbose=0, shuffle=False, class_weight=class_weight)
    total = time.perf_counter() - tic
    rows = sorted(([*key, seconds] for key, seconds in times.items()), key=lambda r: -r[3])
    return {"steps": args.profile, "total": total, "rows": rows,
            "threads": tinydl.get_num_threads()}


def print_profile(result: dict) -> None:
    steps, total = result["steps"], result["total"]
    print(f"profile of {steps} tinydl training steps (batch of the lesson's size, "
          f"{result['threads']} thread(s)): {1e3 * total / steps:.0f} ms per step")
    by_layer: dict[str, list[float]] = {}
    for layer, _, kind, seconds in result["rows"]:
        pair = by_layer.setdefault(layer, [0.0, 0.0])
        pair[kind == "backward"] += seconds
    print(f"  {'layer':<34} {'forward ms':>10} {'backward ms':>11} {'share':>6}")
    for layer, (f, b) in sorted(by_layer.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {layer:<34} {1e3 * f / steps:10.1f} {1e3 * b / steps:11.1f} "
              f"{(f + b) / total:6.1%}")
    rest = total - sum(r[3] for r in result["rows"])
    print(f"  {'optimizer, bookkeeping':<34} {1e3 * rest / steps:22.1f} {rest / total:6.1%}")
    print("  by op:")
    by_op: dict[tuple[str, str], float] = {}
    for _, op, kind, seconds in result["rows"]:
        by_op[(op, kind)] = by_op.get((op, kind), 0.0) + seconds
    for (op, kind), seconds in sorted(by_op.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {op + ' ' + kind:<52} {1e3 * seconds / steps:10.1f} ms {seconds / total:6.1%}")


# -- the parent ------------------------------------------------------------------------------

def run_worker(name: str, args: argparse.Namespace, work: Path, round_: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--work", str(work),
           "--round", str(round_), "--filters", ",".join(map(str, args.filters)),
           "--batch-size", str(args.batch_size), "--seed", str(args.seed),
           "--threads", str(args.threads), "--profile", str(args.profile)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    results = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not results:
        sys.exit(f"the {name} worker failed (exit {proc.returncode}):\n{proc.stdout}\n"
                 f"{proc.stderr}")
    return json.loads(results[-1][len("RESULT "):])


def thread_setup(threads: int) -> str:
    env = {k: v for k, v in os.environ.items()
           if k.endswith("_NUM_THREADS") or k.startswith("OPENBLAS")}
    blas = ""
    try:
        from threadpoolctl import threadpool_info
        blas = "; ".join(f"{i.get('internal_api')} {i.get('version')} "
                         f"{i.get('architecture', '')} threads {i.get('num_threads')}"
                         for i in threadpool_info())
    except ImportError:
        pass
    return f"threads {threads} (tinydl and torch); numpy BLAS: {blas or '?'}; env {env}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=6000, help="training scenes per epoch")
    parser.add_argument("--rounds", type=int, default=3, help="epochs of each framework")
    parser.add_argument("--filters", default=None, help="f1,f2,f3 (default: the lesson's)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of both frameworks (default: tinydl's default)")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="STEPS",
                        help="also profile this many tinydl steps per layer and op")
    parser.add_argument("--worker", choices=("tinydl", "torch", "profile"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        args.filters = tuple(int(f) for f in args.filters.split(","))
        run = {"tinydl": run_tinydl, "torch": run_torch, "profile": profile_tinydl}[args.worker]
        result = run(Path(args.work), args)
        result["peak_rss_mib"] = peak_rss_mib()
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    use_this_checkout()
    import tinydl
    from tinydl.applications import UNET_FILTERS, unet
    from tinydl.datasets import mnist_scenes
    if args.filters is None:
        args.filters = ",".join(map(str, UNET_FILTERS))
    args.filters = tuple(int(f) for f in str(args.filters).split(","))
    args.threads = args.threads or tinydl.get_num_threads()
    frameworks = ["tinydl"]
    if not args.no_torch:
        if importlib.util.find_spec("torch") is not None:
            frameworks.append("torch")
        else:
            print("PyTorch is not installed: tinydl only (pip install torch to compare)")
    (x, y), _ = mnist_scenes.load_data(n_train=args.scenes, n_test=1, seed=args.seed)
    print(f"lesson 9's U-Net, filters {args.filters}, {args.scenes} scenes of "
          f"{x.shape[1]}×{x.shape[2]}, batch {args.batch_size}, Adam {LR:g}, "
          f"{args.rounds} round(s) of one epoch each: {', '.join(frameworks)}")
    print(thread_setup(args.threads))
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        np.savez(work / "data.npz", x=x[..., None], y=y)
        tinydl.utils.set_random_seed(args.seed)
        unet(args.filters).save_weights(str(work / "init.weights.npz"))
        runs: dict[str, list[dict]] = {name: [] for name in frameworks}
        for r in range(args.rounds):
            for name in frameworks:
                result = run_worker(name, args, work, r)
                runs[name].append(result)
                print(f"  round {r + 1} {name:<6} {result['seconds']:8.2f} s/epoch  "
                      f"loss {result['loss']:.4f}  peak RSS {result['peak_rss_mib']:.0f} MiB  "
                      f"load {load_average()}", flush=True)
        if args.profile:
            print_profile(run_worker("profile", args, work, 0))
        mismatch = None
        if "torch" in frameworks:
            a, b = np.load(work / "tinydl_probs.npy"), np.load(work / "torch_probs.npy")
            mismatch = float(np.abs(a - b).max())
            print(f"same network: initial class probabilities of {CHECK_SCENES} scenes agree "
                  f"to {mismatch:.2e} (tolerance {CHECK_ATOL:g})")
    medians = {name: float(np.median([r["seconds"] for r in rs])) for name, rs in runs.items()}
    peaks = {name: max(r["peak_rss_mib"] for r in rs) for name, rs in runs.items()}
    for name in frameworks:
        print(f"{name}: {medians[name]:.2f} s/epoch (median of {args.rounds}), "
              f"peak RSS {peaks[name]:.0f} MiB ({peaks[name] / 1024:.2f} GiB)")
    if "torch" in frameworks:
        print(f"ratio tinydl/torch: {medians['tinydl'] / medians['torch']:.2f} "
              f"(target <= 1.0, floor 1.3)")
    print(f"load average after: {load_average()}")
    if mismatch is not None and mismatch > CHECK_ATOL:
        print("MISMATCH: the PyTorch twin does not compute the same network")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
