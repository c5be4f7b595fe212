"""Time tinydl's conv2d / correlate2d / max_pool2d at the shapes of the article's MNIST CNN.

    python bench/bench_conv.py               # default: 3 warm-up calls, 15 timed repeats
    python bench/bench_conv.py --repeats 30  # more repeats, steadier medians
    python bench/bench_conv.py --quick       # smoke test: 1 warm-up, 2 repeats
    python bench/bench_conv.py --no-torch    # tinydl only, even when PyTorch is installed

Shapes (batch 128, float32, channels last, 'valid' padding, stride 1, no bias):

    layer 1: x 128x28x28x1  * kernel 3x3x1x32  -> 128x26x26x32
    layer 2: x 128x13x13x32 * kernel 3x3x32x64 -> 128x11x11x64
    max_pool2d 2x2 on 128x26x26x32 and on 128x11x11x64

Each figure is the median wall time of one call over the timed repeats, after warm-up.
"fwd" is the forward pass alone (inputs require grad, as in training); "fwd+bwd" is a
forward plus `y.backward(g)` that computes the gradients of the input and of the kernel.

FLOP counting (stated in the output as well): a convolution's forward is
2*N*Ho*Wo*kh*kw*Cin*Cout FLOPs (one multiply and one add per weight per output pixel);
its backward is twice that (input gradient + kernel gradient), so fwd+bwd = 3x forward.
Pooling does no multiply-adds: its GFLOP/s column is left empty.

When PyTorch can be imported (it is never a dependency of tinydl), the same figures are
measured for torch.nn.functional.conv2d / max_pool2d in their native NCHW layout (the
input is permuted once, outside the timing) and the ratio tinydl/torch is printed
(> 1 means tinydl is slower). A second torch column ("torch-CL") times the same
calls on channels_last tensors (NHWC in memory, tinydl's layout). Torch's conv2d is a
cross-correlation, so the torch figure for "conv2d" and for "correlate2d" is the same
operation with the same cost. All tinydl timings run before any torch timing, and torch
waits for OpenBLAS' busy-waiting worker threads to go idle, so that neither library's
threads compete with the other's for the 2 cores. Thread counts are left at their
defaults and printed. Both libraries run in this one process, so whatever tinydl sets up
process-wide at import (e.g. its malloc tuning, see TINYDL_MALLOC_TUNING) applies to
torch's allocations too.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinydl.autograd import Tensor  # noqa: E402
from tinydl.functional import conv2d, correlate2d  # noqa: E402
from tinydl.functional import max_pool2d  # noqa: E402

BATCH = 128

# name, x shape (NHWC), kernel shape (kh, kw, Cin, Cout) or pool size, op
CASES = [
    ("conv2d L1", (BATCH, 28, 28, 1), (3, 3, 1, 32), "conv2d"),
    ("correlate2d L1", (BATCH, 28, 28, 1), (3, 3, 1, 32), "correlate2d"),
    ("conv2d L2", (BATCH, 13, 13, 32), (3, 3, 32, 64), "conv2d"),
    ("correlate2d L2", (BATCH, 13, 13, 32), (3, 3, 32, 64), "correlate2d"),
    ("max_pool2d P1", (BATCH, 26, 26, 32), (2, 2), "max_pool2d"),
    ("max_pool2d P2", (BATCH, 11, 11, 64), (2, 2), "max_pool2d"),
]

ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TINYDL_MALLOC_TUNING")


def median_seconds(fn, warmup: int, repeats: int) -> float:
    """Median wall time of one call of fn() over `repeats` calls, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def out_shape(x_shape, k_shape, op):
    n, h, w, c = x_shape
    if op == "max_pool2d":
        ph, pw = k_shape
        return n, h // ph, w // pw, c
    kh, kw, _, cout = k_shape
    return n, h - kh + 1, w - kw + 1, cout


def conv_flops(x_shape, k_shape) -> int:
    """Forward FLOPs of a valid, stride-1 convolution: 2*N*Ho*Wo*kh*kw*Cin*Cout."""
    n, ho, wo, _ = out_shape(x_shape, k_shape, "conv2d")
    kh, kw, cin, cout = k_shape
    return 2 * n * ho * wo * kh * kw * cin * cout


def shape_label(x_shape, k_shape, op) -> str:
    dims = lambda s: "x".join(map(str, s))  # noqa: E731
    y = out_shape(x_shape, k_shape, op)
    if op == "max_pool2d":
        return f"{dims(x_shape)} pool {dims(k_shape)} -> {dims(y[1:])}"
    return f"{dims(x_shape)} * {dims(k_shape)} -> {dims(y[1:])}"


def make_data(x_shape, k_shape, op, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = None if op == "max_pool2d" else rng.standard_normal(k_shape, dtype=np.float32) * 0.1
    g = rng.standard_normal(out_shape(x_shape, k_shape, op), dtype=np.float32)
    return x, w, g


def tinydl_callables(x, w, g, op):
    """(forward, forward+backward) closures on tinydl tensors."""
    if op == "max_pool2d":
        def fwd():
            return max_pool2d(Tensor(x, requires_grad=True), 2)

        def fwd_bwd():
            xt = Tensor(x, requires_grad=True)
            max_pool2d(xt, 2).backward(g)
            return xt.grad
        return fwd, fwd_bwd

    f = conv2d if op == "conv2d" else correlate2d

    def fwd():
        return f(Tensor(x, requires_grad=True), Tensor(w, requires_grad=True))

    def fwd_bwd():
        xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        f(xt, wt).backward(g)
        return xt.grad, wt.grad
    return fwd, fwd_bwd


def tinydl_forward(x, w, op) -> np.ndarray:
    if op == "max_pool2d":
        return max_pool2d(x, 2).data
    return (conv2d if op == "conv2d" else correlate2d)(x, w).data


def torch_callables(torch, x, w, g, op, ours, channels_last=False):
    """(forward, forward+backward) closures on torch tensors, plus the max abs difference
    between torch's forward output and `ours`, tinydl's.

    channels_last=False: plain NCHW (default contiguous strides), torch's native layout;
    x is copied into it once here. channels_last=True: the same logical NCHW tensors
    stored as NHWC (torch.channels_last), tinydl's own layout: a zero-copy view of x.
    (For C=1 an NCHW tensor also passes as channels_last, and torch then picks a
    different, much faster oneDNN path, so the layout is set explicitly both ways.)
    """
    F = torch.nn.functional

    def nchw(a):  # NHWC numpy -> logical NCHW torch tensor
        view = torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2)
        if channels_last:
            return view
        return torch.empty(view.shape, dtype=view.dtype).copy_(view)

    xt = nchw(x).requires_grad_(True)
    gt = nchw(g)
    if op == "max_pool2d":
        def run():
            return F.max_pool2d(xt, 2)
        params = (xt,)
    else:
        # torch's conv2d is a correlation; for tinydl's (true) conv2d flip the kernel.
        # kernel (kh, kw, Cin, Cout) -> torch's (Cout, Cin, kh, kw), stored like x
        wk = w[::-1, ::-1] if op == "conv2d" else w
        wt = nchw(wk.transpose(3, 0, 1, 2)).requires_grad_(True)

        def run():
            return F.conv2d(xt, wt)
        params = (xt, wt)

    def fwd():
        return run()

    def fwd_bwd():
        for p in params:
            p.grad = None
        run().backward(gt)

    with torch.no_grad():
        theirs = run().permute(0, 2, 3, 1).numpy()
    return fwd, fwd_bwd, float(np.max(np.abs(theirs - ours)))


def thread_report(torch) -> list[str]:
    lines = []
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            lib = Path(info.get("filepath", "?")).name
            kernel = f", kernel {info['architecture']}" if info.get("architecture") else ""
            lines.append(f"  {info.get('user_api')}: {info.get('internal_api')} "
                         f"{info.get('version') or ''}{kernel}, {info.get('num_threads')} threads "
                         f"({lib})")
    except ImportError:
        lines.append("  threadpoolctl not importable: numpy's BLAS thread count not queried "
                     "(pip install threadpoolctl to see it and the BLAS kernel)")
    if torch is not None:
        lines.append(f"  torch {torch.__version__}: torch.get_num_threads() = "
                     f"{torch.get_num_threads()}, mkldnn (oneDNN) enabled = "
                     f"{torch.backends.mkldnn.enabled and torch.backends.mkldnn.is_available()}")
    env = ", ".join(f"{k}={os.environ[k]!r}" if k in os.environ else f"{k} unset" for k in ENV_VARS)
    lines.append(f"  env: {env}")
    lines.append(f"  os.cpu_count() = {os.cpu_count()}, load average {load_average()} (other "
                 f"busy processes share the cores and inflate every figure)")
    return lines


class ForeignCpu:
    """Share of the machine's CPU time that *other* processes used between start() and
    share(): /proc/stat's busy time minus this process's own (all its threads). Linux
    only; None elsewhere. A few percent is noise; more means the figures are inflated."""

    def __init__(self):
        self.start = self._read()

    @staticmethod
    def _read():
        try:
            with open("/proc/stat") as f:
                v = [int(t) for t in f.readline().split()[1:9]]
            hz = os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, AttributeError):
            return None
        t = os.times()
        busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz
        return busy, t.user + t.system, sum(v) / hz

    def share(self):
        end = self._read()
        if self.start is None or end is None:
            return None
        total = end[2] - self.start[2]
        other = (end[0] - self.start[0]) - (end[1] - self.start[1])
        return max(0.0, other / total) if total > 0 else None


def load_average() -> str:
    try:
        return "/".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def fmt_ms(s):
    return "-" if s is None else f"{s * 1e3:.2f}"


def fmt_gflops(flops, s):
    return "-" if (flops is None or s is None) else f"{flops / s / 1e9:.1f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per figure (median)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls before timing")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 warm-up call and 2 timed repeats")
    parser.add_argument("--no-torch", action="store_true", help="do not compare with PyTorch")
    args = parser.parse_args(argv)
    warmup, repeats = (1, 2) if args.quick else (args.warmup, args.repeats)
    if repeats < 1 or warmup < 0:
        parser.error("--repeats must be >= 1 and --warmup >= 0")

    torch = None
    if not args.no_torch:
        try:
            import torch  # noqa: F811  (optional: a benchmark comparison only)
        except ImportError:
            torch = None

    print(f"tinydl conv/pool benchmark: batch {BATCH}, float32, stride 1, 'valid', no bias; "
          f"numpy {np.__version__}, python {sys.version.split()[0]}")
    print(f"median of {repeats} calls after {warmup} warm-up call(s); times in ms per call")
    print("threads:")
    for line in thread_report(torch):
        print(line)
    print("FLOPs: conv forward = 2*N*Ho*Wo*kh*kw*Cin*Cout; backward (input + kernel grads) = "
          "2x forward, so fwd+bwd = 3x forward; pooling: none counted")
    if torch is None:
        print("PyTorch not importable (or --no-torch): tinydl figures only")

    foreign = ForeignCpu()
    data = [make_data(xs, ks, op) for _, xs, ks, op in CASES]
    rows = []  # [name, shape, pass, flops, tinydl s, torch NCHW s, torch channels_last s]
    for (name, xs, ks, op), (x, w, g) in zip(CASES, data):
        fwd, fwd_bwd = tinydl_callables(x, w, g, op)
        flops = conv_flops(xs, ks) if op != "max_pool2d" else None
        rows.append([name, shape_label(xs, ks, op), "fwd", flops,
                     median_seconds(fwd, warmup, repeats), None, None])
        rows.append([name, shape_label(xs, ks, op), "fwd+bwd", flops and 3 * flops,
                     median_seconds(fwd_bwd, warmup, repeats), None, None])

    diffs, bad = [], []
    if torch is not None:
        ours = [tinydl_forward(x, w, op) for (_, _, _, op), (x, w, _) in zip(CASES, data)]
        # OpenBLAS' worker threads busy-wait for a while after numpy's last matrix product;
        # on a 2-core machine they compete with torch's 2 OpenMP threads. Let them fall
        # asleep before timing torch.
        time.sleep(0.5)
        for i, ((name, xs, ks, op), (x, w, g)) in enumerate(zip(CASES, data)):
            for col, channels_last in ((5, False), (6, True)):
                fwd, fwd_bwd, diff = torch_callables(torch, x, w, g, op, ours[i], channels_last)
                scale = max(1.0, float(np.max(np.abs(ours[i]))))
                diffs.append((diff, name, "torch-CL" if channels_last else "torch", scale))
                rows[2 * i][col] = median_seconds(fwd, warmup, repeats)
                rows[2 * i + 1][col] = median_seconds(fwd_bwd, warmup, repeats)

    header = ["op", "shape (NHWC)", "pass", "tinydl ms", "GFLOP/s"]
    if torch is not None:
        header += ["torch ms", "GFLOP/s", "tinydl/torch", "torch-CL ms", "tinydl/torch-CL"]
    table = []
    for name, shape, pas, flops, ts, tt, tc in rows:
        line = [name, shape, pas, fmt_ms(ts), fmt_gflops(flops, ts)]
        if torch is not None:
            line += [fmt_ms(tt), fmt_gflops(flops, tt), f"{ts / tt:.2f}x",
                     fmt_ms(tc), f"{ts / tc:.2f}x"]
        table.append(line)
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    left = {0, 1, 2}

    def render(cells):
        return "  ".join(c.ljust(wd) if i in left else c.rjust(wd)
                         for i, (c, wd) in enumerate(zip(cells, widths))).rstrip()
    print()
    print(render(header))
    print("  ".join("-" * wd for wd in widths))
    for line in table:
        print(render(line))
    if torch is not None:
        print()
        print("torch = torch.nn.functional.conv2d / max_pool2d on plain NCHW tensors (its native "
              "layout); torch-CL = the same on channels_last (NHWC-stored) tensors, tinydl's "
              "layout. tinydl/torch > 1: tinydl is slower.")
        bad = [f"{name} vs {which}: {d:.1e}" for d, name, which, scale in diffs if d > 1e-4 * scale]
        print(f"check: max |tinydl - torch| over all forward outputs = {max(diffs)[0]:.1e}"
              + (f"; MISMATCH: {', '.join(bad)}" if bad else " (agree)"))
    share = foreign.share()
    print(f"load average at the end: {load_average()}; other processes used "
          + ("n/a" if share is None else f"{share:.0%}") + " of the CPU time during the timings"
          + (" (figures inflated: rerun on an idle machine)" if share is not None and share > 0.05 else ""))
    if diffs and bad:
        print("error: tinydl and torch disagree (see MISMATCH above)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
