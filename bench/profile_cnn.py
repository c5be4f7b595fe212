"""Where an epoch of the article's CNN goes: time per op, forward and backward, in tinydl.

Trains the section-4 network (tinydl.applications.article_cnn) with `fit` on MNIST (or
random images with --synthetic) and times, per step,

* every op's forward (`Function.apply`, outermost calls only, so the ops that an op runs
  inside itself count for it) and backward (`Function.backward`), labelled by the op and
  the shape of its first input, so that the two convolutions (or ReLUs) are told apart;
* the engine's own work in `Tensor.backward` (graph walk, gradient sums) outside the ops;
* the optimizer (`zero_grad` and `step`);
* the data: one epoch's shuffle and fancy-index batching, done alone the way `fit`
  does it (`order = permutation(n)`, `x[order[...]].astype(float32)`);
* the rest of the step: everything `fit` does between the measured parts (layer calls,
  the loss's bookkeeping, metrics, callbacks).

    python bench/profile_cnn.py                    # 2 epochs of 60,000 images, the second timed
    python bench/profile_cnn.py --samples 12800    # shorter
    python bench/profile_cnn.py --synthetic        # no MNIST needed

The wrappers cost a few microseconds per op call (about 30 calls a step), so the total is
a little above a plain epoch's. Not part of the tests.
"""
from __future__ import annotations

import argparse
import collections
import os
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--synthetic", action="store_true", help="random images, no MNIST")
    args = parser.parse_args()

    import tinydl
    from tinydl import autograd
    from tinydl.applications import article_cnn
    from tinydl.optimizers import Adam
    from tinydl.parallel import blas_threads
    from tinydl.utils import set_random_seed, to_categorical

    if args.synthetic:
        rng = np.random.default_rng(0)
        x = rng.random((args.samples, 28, 28, 1))
        y = rng.integers(0, 10, args.samples)
    else:
        from tinydl.datasets import mnist
        (x, y), _ = mnist.load_data()
        x, y = x[:args.samples].reshape(-1, 28, 28, 1) / 255.0, y[:args.samples]
    y = to_categorical(y, 10)

    times: dict[str, float] = collections.defaultdict(float)
    timing = [False]
    depth = [0]
    in_backward = [0]

    def label(cls, inputs) -> str:
        shape = getattr(inputs[0], "shape", ()) if inputs else ()
        return f"{cls.__name__} {tuple(shape)}"

    original_apply = autograd.Function.apply.__func__

    def apply(cls, *inputs, **options):
        if depth[0] or not timing[0]:
            return original_apply(cls, *inputs, **options)
        depth[0] += 1
        start = time.perf_counter()
        try:
            out = original_apply(cls, *inputs, **options)
        finally:
            depth[0] -= 1
        name = label(cls, inputs)
        times[(name, "forward")] += time.perf_counter() - start
        if out._fn is not None:
            out._fn.profile_label = name
        return out
    autograd.Function.apply = classmethod(apply)

    def wrap_backward(cls):
        original = cls.backward

        def backward(self, grad):
            name = getattr(self, "profile_label", None)
            if not timing[0] or in_backward[0] or name is None:
                return original(self, grad)
            in_backward[0] += 1
            start = time.perf_counter()
            try:
                out = original(self, grad)
            finally:
                in_backward[0] -= 1
            times[(name, "backward")] += time.perf_counter() - start
            return out
        cls.backward = backward

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    for cls in set(subclasses(autograd.Function)):
        if "backward" in cls.__dict__:
            wrap_backward(cls)

    def timed(owner, method, key):
        original = getattr(owner, method)

        def wrapper(*a, **k):
            start = time.perf_counter()
            out = original(*a, **k)
            if timing[0]:
                times[key] += time.perf_counter() - start
            return out
        setattr(owner, method, wrapper)

    set_random_seed(0)
    model = article_cnn()
    optimizer = Adam(lr=0.001)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    timed(autograd.Tensor, "backward", ("backward total", "engine"))
    timed(optimizer, "step", ("Adam.step", "optimizer"))
    timed(optimizer, "zero_grad", ("zero_grad", "optimizer"))

    model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)    # warm-up epoch
    timing[0] = True
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)
    epoch = time.perf_counter() - start
    timing[0] = False

    # the data path of fit alone: shuffle, then fancy-index and cast every batch
    start = time.perf_counter()
    order = np.random.default_rng(0).permutation(len(x))
    for s in range(0, len(x), args.batch_size):
        index = order[s:s + args.batch_size]
        x[index].astype(np.float32, copy=False), y[index]
    data = time.perf_counter() - start

    steps = -(-len(x) // args.batch_size)
    op_backward = sum(t for (name, kind), t in times.items() if kind == "backward")
    engine = times.pop(("backward total", "engine")) - op_backward
    rows = [(f"{name}", kind, t) for (name, kind), t in times.items()]
    rows.append(("graph walk, gradient sums", "engine", engine))
    rows.append(("shuffle + batches (x[idx].astype)", "data", data))
    measured = sum(t for *_, t in rows)
    rows.append(("rest of fit's step (layers, loss, metrics)", "other", epoch - measured))

    print(f"tinydl threads {tinydl.get_num_threads()}, BLAS threads {blas_threads()}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"epoch {epoch:.2f} s for {len(x)} samples ({steps} steps of {args.batch_size})\n")
    print(f"| {'op (first input shape)':<44} | {'pass':<9} | {'ms/step':>7} | {'share':>5} |")
    print(f"| {'-' * 44} | {'-' * 9} | {'-' * 7} | {'-' * 5} |")
    for name, kind, t in sorted(rows, key=lambda r: -r[2]):
        print(f"| {name:<44} | {kind:<9} | {1000 * t / steps:7.2f} | {100 * t / epoch:4.0f}% |")
    print(f"| {'epoch':<44} | {'total':<9} | {1000 * epoch / steps:7.2f} | 100% |")


if __name__ == "__main__":
    main()
