"""Lesson 8's GAN measured epoch by epoch: training speed and a quality score, tinydl and
the same GAN in PyTorch side by side.

Per framework, in its own subprocess, the MLP GAN of lessons/08_gan_mnist_digits.py
(tinydl.applications.mnist_gan) is trained on MNIST. Both subprocesses start together and
take turns, one epoch each (tinydl's epoch 1, PyTorch's epoch 1, tinydl's epoch 2, ...):
the one waiting blocks on its stdin, so a slow spell of the machine falls on both
frameworks, not on one.

* tinydl: the lesson's GAN, `tinydl.applications.mnist_gan`, on the lesson's data (MNIST
  scaled by `gan_preprocess_input`), trained with `GAN.fit` one epoch at a time, so the run
  is the lesson's run step for step;
* PyTorch: its twin. The same layers (Linear / LeakyReLU(0.2) / Tanh; D ends in a logit
  scored with BCEWithLogits), the SAME initial weights (tinydl's freshly initialised
  weights, copied into torch's layouts), Adam(lr=2e-4, betas=(0.5, 0.999), eps=1e-7) per
  player, batch 64, and the same step: fresh z ~ N(0, I); D step on the real batch and on
  the detached fakes; G step on the same fakes scored by the updated D (non-saturating
  loss, D's weights frozen); the data reshuffled every epoch; torch.set_num_threads(2).
  `--check` shows that this is the same GAN: both frameworks take a few steps from the
  shared initial weights on the same batches and noise, and their weights must agree.

Only the training of each epoch is timed (for tinydl that includes `GAN.fit`'s own
per-epoch diversity check, a few milliseconds). After each epoch, outside the timing,
each worker generates --samples images from one fixed noise batch (the same noise for
both frameworks) and saves them; the parent process then scores them with lesson 4's
trained classifier (tinydl.gan.quality_scores: share of confidently classified digits,
entropy of the predicted classes, Fréchet distance of the classifier's features to as
many real test images) and draws the first 64 as a PNG. The PyTorch worker never imports
tinydl (importing tinydl tunes malloc, which would speed PyTorch up too).

    python bench/bench_gan.py                          # 20 epochs each (tens of minutes)
    python bench/bench_gan.py --epochs 2 --limit 6400  # a short run
    python bench/bench_gan.py --check                  # the first steps agree? (seconds)
    python bench/bench_gan.py --dcgan                  # the convolutional GAN

Writes to --out (default bench_output/gan): bench_gan.json (every number), scores.png
(the three scores against the epoch, both frameworks), samples/<framework>/epoch_NNN.png;
with --check, check.json. Needs MNIST (TINYDL_DATA) and lesson 4's trained weights
(run lessons/04_mnist_cnn.py first). Not part of the tests (tests/test_bench_gan.py runs
a smoke version).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _shared import load_average, peak_rss_mib

LATENT_DIM = 100    # tinydl.applications.LATENT_DIM (the torch worker never imports tinydl)
DEFAULT_CLASSIFIER = Path("lesson_output") / "04_mnist_cnn" / "mnist_cnn.weights.npz"
#: The issue's targets for tinydl after 20 epochs.
TARGETS = {"confident": 0.6, "class_entropy": 2.1, "seconds_ratio": 1.5}
#: --check passes when every weight of both players agrees to this, after the steps.
CHECK_ATOL = 1e-5
#: ... but for at most this share of each weight's elements (Adam's first step is ±lr
#: for any gradient well above ε, so a gradient at the rounding level can step either way)
CHECK_SHARE = 1e-4
#: ... and every loss and mean D output to this relative tolerance.
CHECK_RTOL = 1e-5


# -- shared helpers (no tinydl, no torch) ------------------------------------------------

def worker_data() -> dict[str, np.ndarray]:
    """The arrays the parent saved for the workers (TINYDL_BENCH_DATA)."""
    with np.load(os.environ["TINYDL_BENCH_DATA"]) as data:
        return {key: data[key] for key in data.files}


# -- the tinydl worker ---------------------------------------------------------------------

def tinydl_gan(args: argparse.Namespace, work: Path):
    """Lesson 8's GAN, checked against the initial weights the parent saved."""
    from tinydl.applications import mnist_gan

    gan = mnist_gan(args.dcgan, args.seed)
    for role, model in (("generator", gan.generator), ("discriminator", gan.discriminator)):
        with np.load(work / f"init_{role}.npz") as saved:
            for i, layer in enumerate(model.layers):
                for name, weight in layer.named_weights():
                    if not np.array_equal(saved[f"{i}_{layer.name}/{name}"], weight.data):
                        raise RuntimeError(f"tinydl worker: {role} layer {i} {name} differs from "
                                           f"the initial weights the parent saved")
    return gan


def ready() -> None:
    """Tell the parent that set-up (imports, data, models) is done: it starts the first
    epoch only when every worker is ready, so no set-up runs beside a timed epoch."""
    print("ready", flush=True)


def wait_for_turn() -> None:
    """Block until the parent says "go" on stdin (before each timed epoch)."""
    if sys.stdin.readline().strip() != "go":
        sys.exit("the parent process is gone")


def run_tinydl(args: argparse.Namespace, work: Path) -> dict:
    import warnings

    from tinydl.gan import GANWarning
    from tinydl.parallel import threads_in_use

    data = worker_data()
    x, z_eval = data["x_train"], data["z_eval"]
    gan = tinydl_gan(args, work)
    seconds, caught = [], []
    ready()
    for epoch in range(1, args.epochs + 1):
        wait_for_turn()
        with warnings.catch_warnings(record=True) as found:
            warnings.simplefilter("always", GANWarning)
            start = time.perf_counter()
            gan.fit(x, epochs=epoch, batch_size=args.batch_size, verbose=0)  # one more epoch
            seconds.append(time.perf_counter() - start)
        caught += [str(w.message) for w in found if issubclass(w.category, GANWarning)]
        np.save(work / f"tinydl_epoch_{epoch:03d}.npy", gan.generate(noise=z_eval))
        h = gan.history
        print(f"epoch {epoch}/{args.epochs}: {seconds[-1]:.2f} s  d_loss {h['d_loss'][-1]:.4f}  "
              f"g_loss {h['g_loss'][-1]:.4f}  D(x) {h['d_real'][-1]:.3f}  "
              f"D(G(z)) {h['d_fake'][-1]:.3f}  threads in use {threads_in_use()}", flush=True)
    start = time.perf_counter()
    gan.diversity(x[:64])
    info = {"diversity_check_seconds": time.perf_counter() - start,
            "numpy": np.__version__, "tinydl_num_threads": os.environ.get("TINYDL_NUM_THREADS")}
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [{k: p.get(k) for k in ("internal_api", "num_threads", "version",
                                               "architecture")} for p in threadpool_info()]
    except ImportError:
        pass
    history = {k: v for k, v in gan.history.items() if k != "seconds"}
    return {"epoch_seconds": seconds, "history": history, "warnings": caught, "info": info}


def check_tinydl(args: argparse.Namespace, work: Path) -> dict:
    """--check: `steps` train_steps of lesson 8's GAN on the parent's batches and noise."""
    data = worker_data()
    gan = tinydl_gan(args, work)
    noise = iter(data["check_z"])
    gan.noise = lambda n: next(noise)     # the hook: the shared noise instead of fresh draws
    steps = [gan.train_step(real) for real in data["check_real"]]
    gan.generator.save_weights(str(work / "after_tinydl_generator.npz"))
    gan.discriminator.save_weights(str(work / "after_tinydl_discriminator.npz"))
    return {"steps": steps}


# -- the PyTorch worker (never imports tinydl) ---------------------------------------------

def torch_models(dcgan: bool):
    """The twins of lesson 8's G and D. Module i of each nn.Sequential is the twin of the
    tinydl model's layer i (the final Tanh of G is tinydl's last layer's activation; D
    ends in the logit, tinydl's sigmoid is applied by the losses)."""
    import torch
    from torch import nn

    class ToNCHW(nn.Module):          # tinydl's Reshape((7, 7, 64)) is channels-last
        def forward(self, x):
            return x.reshape(len(x), 7, 7, 64).permute(0, 3, 1, 2)

    class FlattenNHWC(nn.Module):     # tinydl's Flatten reads (H, W, C) in row-major order
        def forward(self, x):
            return x.permute(0, 2, 3, 1).flatten(1)

    lrelu = lambda: nn.LeakyReLU(0.2)  # noqa: E731
    if not dcgan:
        g = nn.Sequential(nn.Linear(LATENT_DIM, 256), lrelu(), nn.Linear(256, 512), lrelu(),
                          nn.Linear(512, 784), nn.Tanh())
        d = nn.Sequential(nn.Linear(784, 512), lrelu(), nn.Linear(512, 256), lrelu(),
                          nn.Linear(256, 1))
    else:  # tinydl BatchNormalization: momentum 0.99 = torch momentum 0.01, epsilon 1e-3
        g = nn.Sequential(
            nn.Linear(LATENT_DIM, 7 * 7 * 64, bias=False),
            nn.BatchNorm1d(7 * 7 * 64, eps=1e-3, momentum=0.01), lrelu(), ToNCHW(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(32, eps=1e-3, momentum=0.01), lrelu(),
            nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1), nn.Tanh())
        d = nn.Sequential(
            nn.Conv2d(1, 32, 4, stride=2, padding=1), lrelu(),
            nn.Conv2d(32, 64, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64, eps=1e-3, momentum=0.01), lrelu(), FlattenNHWC(),
            nn.Linear(7 * 7 * 64, 1))
    return g.to(torch.float32), d.to(torch.float32)


# tinydl weight name -> torch tensor name, and the layout conversion for each module type
def _to_torch(module_type: str, name: str, array: np.ndarray) -> tuple[str, np.ndarray]:
    if name == "kernel":
        if module_type == "Linear":                   # (in, out) -> (out, in)
            return "weight", array.T
        # Conv2D (kh, kw, C_in, C_out) and Conv2DTranspose (kh, kw, filters, C_in) -> torch's
        # (C_out, C_in, kh, kw) and (C_in, filters, kh, kw): the same transpose, and a
        # spatial flip, since tinydl's convolutions are true convolutions.
        return "weight", array[::-1, ::-1].transpose(3, 2, 0, 1)
    return {"bias": "bias", "gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
            "moving_variance": "running_var"}[name], array


def _from_torch(module_type: str, name: str, array: np.ndarray) -> np.ndarray:
    if name == "kernel":
        return array.T if module_type == "Linear" else array.transpose(2, 3, 1, 0)[::-1, ::-1]
    return array


def load_tinydl_weights(model, path: Path) -> list[str]:
    """Copy a tinydl save_weights file into the twin, in place; returns its keys."""
    import torch

    keys = []
    with np.load(path) as saved:
        state = model.state_dict()
        for key in saved.files:
            if key == "__classes__":
                continue
            layer, name = key.split("/")
            i = int(layer.split("_")[0])
            target, array = _to_torch(type(model[i]).__name__, name, saved[key])
            tensor = state[f"{i}.{target}"]
            if tuple(tensor.shape) != array.shape:
                raise ValueError(f"{key}: torch {tuple(tensor.shape)} vs tinydl {array.shape}")
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(array)))
            keys.append(key)
    return keys


def save_as_tinydl(model, reference: Path, path: Path) -> None:
    """The twin's weights written with tinydl's keys and layouts (those of `reference`)."""
    arrays = {}
    state = model.state_dict()
    with np.load(reference) as saved:
        arrays["__classes__"] = saved["__classes__"]
        for key in saved.files:
            if key == "__classes__":
                continue
            layer, name = key.split("/")
            i = int(layer.split("_")[0])
            module_type = type(model[i]).__name__
            target, _ = _to_torch(module_type, name, saved[key])
            arrays[key] = _from_torch(module_type, name, state[f"{i}.{target}"].numpy().copy())
    np.savez(path, **arrays)


class TorchGAN:
    """The twin of tinydl.gan.GAN.train_step, for the models of `torch_models`."""

    def __init__(self, dcgan: bool, work: Path, seed: int) -> None:
        import torch

        self.torch = torch
        self.dcgan = dcgan
        self.g, self.d = torch_models(dcgan)
        with torch.no_grad():
            load_tinydl_weights(self.g, work / "init_generator.npz")
            load_tinydl_weights(self.d, work / "init_discriminator.npz")
        adam = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
        self.g_opt = torch.optim.Adam(self.g.parameters(), **adam)
        self.d_opt = torch.optim.Adam(self.d.parameters(), **adam)
        self.bce = torch.nn.BCEWithLogitsLoss()
        self.rng = torch.Generator().manual_seed(seed)

    def images(self, x: np.ndarray):
        """tinydl's layout ((N, 784) or (N, 28, 28, 1)) as torch's ((N, 784), NCHW)."""
        t = self.torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        return t.permute(0, 3, 1, 2).contiguous() if self.dcgan else t

    def noise(self, n: int):
        return self.torch.randn(n, LATENT_DIM, generator=self.rng)

    def train_step(self, real, z=None) -> dict[str, float]:
        torch, g, d = self.torch, self.g, self.d
        fake = g(self.noise(len(real)) if z is None else z)                     # G(z)
        real_logits, fake_logits = d(real), d(fake.detach())
        d_loss = (self.bce(real_logits, torch.ones_like(real_logits))
                  + self.bce(fake_logits, torch.zeros_like(fake_logits)))
        self.d_opt.zero_grad()
        d_loss.backward()
        self.d_opt.step()

        d_params = list(d.parameters())
        for p in d_params:                       # D frozen: no gradient computed for it
            p.requires_grad_(False)
        try:
            logits = d(fake)                     # the updated D, the same fakes
            g_loss = self.bce(logits, torch.ones_like(logits))   # non-saturating
            self.g_opt.zero_grad()
            g_loss.backward()
        finally:
            for p in d_params:
                p.requires_grad_(True)
        g_grad_norm = math.sqrt(sum(float(torch.sum(p.grad * p.grad)) for p in g.parameters()
                                    if p.grad is not None))
        self.g_opt.step()
        return {"d_loss": float(d_loss), "g_loss": float(g_loss),
                "d_real": float(torch.sigmoid(real_logits.detach()).mean()),
                "d_fake": float(torch.sigmoid(fake_logits.detach()).mean()),
                "g_grad_norm": g_grad_norm}

    def generate(self, z: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """G's samples in inference mode, in tinydl's layout."""
        torch = self.torch
        self.g.eval()
        with torch.no_grad():
            out = torch.cat([self.g(torch.from_numpy(z[i:i + batch_size]))
                             for i in range(0, len(z), batch_size)])
        self.g.train()
        return (out.permute(0, 2, 3, 1) if self.dcgan else out).numpy()


def run_torch(args: argparse.Namespace, work: Path) -> dict:
    import torch

    torch.set_num_threads(2)
    data = worker_data()
    z_eval = data["z_eval"]
    gan = TorchGAN(args.dcgan, work, args.seed)
    x = gan.images(data["x_train"])
    n, keys = len(x), ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm")
    seconds, history = [], {k: [] for k in keys}
    ready()
    for epoch in range(1, args.epochs + 1):
        wait_for_turn()
        start = time.perf_counter()
        sums = dict.fromkeys(keys, 0.0)
        for index in torch.randperm(n, generator=gan.rng).split(args.batch_size):
            values = gan.train_step(x[index])
            for key in keys:
                sums[key] += values[key] * len(index)
        seconds.append(time.perf_counter() - start)
        for key in keys:
            history[key].append(sums[key] / n)
        np.save(work / f"torch_epoch_{epoch:03d}.npy", gan.generate(z_eval))
        print(f"epoch {epoch}/{args.epochs}: {seconds[-1]:.2f} s  d_loss {history['d_loss'][-1]:.4f}"
              f"  g_loss {history['g_loss'][-1]:.4f}  D(x) {history['d_real'][-1]:.3f}  "
              f"D(G(z)) {history['d_fake'][-1]:.3f}", flush=True)
    return {"epoch_seconds": seconds, "history": history, "warnings": [],
            "info": {"torch": torch.__version__, "threads": torch.get_num_threads()}}


def check_torch(args: argparse.Namespace, work: Path) -> dict:
    import torch

    torch.set_num_threads(2)
    data = worker_data()
    gan = TorchGAN(args.dcgan, work, args.seed)
    steps = [gan.train_step(gan.images(real), torch.from_numpy(z))
             for real, z in zip(data["check_real"], data["check_z"])]
    for role, model in (("generator", gan.g), ("discriminator", gan.d)):
        save_as_tinydl(model, work / f"init_{role}.npz", work / f"after_torch_{role}.npz")
    return {"steps": steps}


def worker(args: argparse.Namespace) -> None:
    work = Path(args.work)
    name = args.worker
    if name == "tinydl":
        result = (check_tinydl if args.check else run_tinydl)(args, work)
    else:
        result = (check_torch if args.check else run_torch)(args, work)
    result["peak_rss_mib"] = peak_rss_mib()
    print("RESULT " + json.dumps(result), flush=True)


# -- the parent ----------------------------------------------------------------------------

class Worker:
    """One framework's worker process; its progress lines are echoed as they come."""

    def __init__(self, name: str, args: argparse.Namespace, work: Path) -> None:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--work",
               str(work), "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
               "--seed", str(args.seed)] + (["--dcgan"] if args.dcgan else []) + (
               ["--check", "--check-steps", str(args.check_steps)] if args.check else [])
        env = os.environ | {"TINYDL_BENCH_DATA": str(work / "data.npz")}
        self.name, self.result, self.start = name, None, time.perf_counter()
        self.errors = open(work / f"{name}.stderr", "w+")  # a file: a full pipe cannot block
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errors, text=True, env=env)

    def run_epoch(self) -> None:
        """Let the worker train one epoch; returns when it has reported it."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        self.read(until="epoch ")

    def wait_ready(self) -> None:
        """Returns when the worker has finished its set-up."""
        self.read(until="ready")

    def read(self, until: str | None = None) -> None:
        for line in self.proc.stdout:
            if line.startswith("RESULT "):
                self.result = json.loads(line[len("RESULT "):])
            elif until == "ready" and line.strip() == "ready":
                return
            else:
                print(f"  {self.name:<6} {line.rstrip()}", flush=True)
                if until is not None and line.startswith(until):
                    return
        if until is not None:
            self.finish()        # the worker ended before reporting: say why

    def finish(self) -> dict:
        """Read the rest, wait for the worker; its RESULT (exits on a failed worker)."""
        self.read()
        self.proc.stdin.close()
        self.errors.seek(0)
        stderr = self.errors.read()
        self.errors.close()
        if self.proc.wait() or self.result is None:
            sys.exit(f"the {self.name} worker failed (exit {self.proc.returncode}):\n{stderr}")
        self.result["wall_seconds"] = time.perf_counter() - self.start
        return self.result


def run_worker(name: str, args: argparse.Namespace, work: Path) -> dict:
    """Run one framework's worker alone (--check), echoing its progress lines; returns its
    RESULT."""
    return Worker(name, args, work).finish()


def prepare(args: argparse.Namespace, work: Path) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST once, prepared as lesson 8 prepares it (training images in [−1, 1], test
    images in [0, 1] for the classifier), the fixed noise for the scores, and lesson 8's
    freshly initialised GAN; save what the workers need into `work`. Returns the training
    and the test images."""
    from tinydl.applications import gan_images_to_cnn_input, gan_preprocess_input, mnist_gan
    from tinydl.datasets import mnist

    (x, _), (x_test, _) = mnist.load_data()
    if args.limit:
        x = x[:args.limit]
    x = gan_preprocess_input(x, args.dcgan)
    x_test = gan_images_to_cnn_input(gan_preprocess_input(x_test))
    z_eval = np.random.default_rng([args.seed, 8]).standard_normal(
        (args.samples, LATENT_DIM)).astype(np.float32)
    gan = mnist_gan(args.dcgan, args.seed)
    gan.generator.save_weights(str(work / "init_generator.npz"))
    gan.discriminator.save_weights(str(work / "init_discriminator.npz"))
    arrays = {"z_eval": z_eval}
    if args.check:
        k, b = args.check_steps, args.batch_size
        if len(x) < k * b:
            sys.exit(f"--check needs {k * b} training images, have {len(x)}")
        arrays["check_real"] = x[:k * b].reshape(k, b, *x.shape[1:])
        arrays["check_z"] = np.random.default_rng([args.seed, 1]).standard_normal(
            (k, b, LATENT_DIM)).astype(np.float32)
    else:
        arrays["x_train"] = x
    np.savez(work / "data.npz", **arrays)
    return x, x_test


def check(args: argparse.Namespace, frameworks: list[str], work: Path, out: Path) -> int:
    """--check: the same steps in both frameworks; compare losses and weights."""
    if frameworks != ["tinydl", "torch"]:
        sys.exit("--check compares tinydl with torch: both frameworks are needed")
    prepare(args, work)
    results = {name: run_worker(name, args, work) for name in frameworks}
    report: dict = {"steps": args.check_steps, "batch_size": args.batch_size,
                    "dcgan": args.dcgan, "atol_weights": CHECK_ATOL, "rtol_values": CHECK_RTOL,
                    "values": [], "weights": {}}
    ok = True
    print(f"\n{args.check_steps} step(s) from the same initial weights, batches and noise:")
    for step, (a, b) in enumerate(zip(results["tinydl"]["steps"], results["torch"]["steps"]), 1):
        rel = {k: abs(a[k] - b[k]) / max(abs(b[k]), 1e-12) for k in a}
        report["values"].append({"tinydl": a, "torch": b, "relative_difference": rel})
        print(f"  step {step}: " + "  ".join(f"{k} {a[k]:.6g} / {b[k]:.6g}" for k in a))
        # the gradient norm is a sum of 1.5M squares; its rounding differs more
        ok &= all(rel[k] <= CHECK_RTOL for k in ("d_loss", "g_loss", "d_real", "d_fake"))
    print(f"  {'weight':<42} {'max |tinydl - torch|':>21} {'elements > atol':>16} "
          f"{'max |change|':>14}")
    for role in ("generator", "discriminator"):
        with np.load(work / f"after_tinydl_{role}.npz") as a, \
                np.load(work / f"after_torch_{role}.npz") as b, \
                np.load(work / f"init_{role}.npz") as init:
            classes = [str(c) for c in init["__classes__"]]
            for key in a.files:
                if key == "__classes__":
                    continue
                diff = np.abs(a[key] - b[key])
                bad = int((diff > CHECK_ATOL).sum())
                layer, name = key.split("/")
                i = int(layer.split("_")[0])
                if "moving_" in name:
                    skip = "moving statistics: torch averages the unbiased variance"
                elif name == "bias" and i + 1 < len(classes) and classes[i + 1] == "BatchNormalization":
                    skip = "feeds a batch norm: gradient 0 up to rounding, which Adam scales to ±lr"
                else:
                    skip = ""
                    # Adam's first steps are ±lr·g/(|g| + ε) whatever |g|: an element whose
                    # gradient is at the rounding level (~1e-8) can move differently; allow
                    # at most 1 in 10,000 such elements
                    ok &= bad <= diff.size * CHECK_SHARE
                report["weights"][f"{role}/{key}"] = {
                    "max_abs_difference": float(diff.max()), "elements_above_atol": bad,
                    "size": int(diff.size), "max_abs_change": float(np.abs(a[key] - init[key]).max()),
                    "not_compared": skip or None}
                print(f"  {role[0].upper()} {key:<40} {diff.max():>21.3g} {bad:>16} "
                      f"{np.abs(a[key] - init[key]).max():>14.3g}" + (f"  ({skip})" if skip else ""))
    report["agree"] = bool(ok)
    (out / "check.json").write_text(json.dumps(report, indent=1))
    print(f"{'AGREE' if ok else 'MISMATCH'}: weights to {CHECK_ATOL:g} (but for at most "
          f"{CHECK_SHARE:.2%} of each one's elements), losses and mean D outputs to a "
          f"relative {CHECK_RTOL:g}; wrote {out / 'check.json'}")
    return 0 if ok else 2


def score(name: str, args: argparse.Namespace, work: Path, out: Path, classifier,
          real_features: np.ndarray) -> dict[str, list[float]]:
    """Score and draw each epoch's saved samples of one framework (then delete them)."""
    from tinydl.applications import gan_images_to_cnn_input
    from tinydl.gan import quality_scores
    from tinydl.image_grids import save_image_grid

    folder = out / "samples" / name
    folder.mkdir(parents=True, exist_ok=True)
    scores: dict[str, list[float]] = {"confident": [], "class_entropy": [], "frechet": []}
    for epoch in range(1, args.epochs + 1):
        path = work / f"{name}_epoch_{epoch:03d}.npy"
        images = np.load(path)
        save_image_grid(images[:64], folder / f"epoch_{epoch:03d}.png", value_range=(-1, 1))
        for key, value in quality_scores(classifier, gan_images_to_cnn_input(images),
                                         real_features).items():
            scores[key].append(value)
        path.unlink()
    return scores


def summarise(args: argparse.Namespace, runs: dict[str, dict]) -> dict:
    """Medians, ratio, final scores, the Fréchet trend and the issue's targets."""
    summary: dict = {"median_seconds": {n: float(np.median(r["epoch_seconds"]))
                                        for n, r in runs.items()},
                     "fastest_seconds": {n: float(np.min(r["epoch_seconds"]))
                                         for n, r in runs.items()},
                     "final": {n: {k: v[-1] for k, v in r["scores"].items()}
                               for n, r in runs.items()},
                     "frechet": {}, "targets": {}}
    if "torch" in runs:
        summary["ratio_tinydl_over_torch"] = (summary["median_seconds"]["tinydl"]
                                              / summary["median_seconds"]["torch"])
    for name, run in runs.items():
        fd = run["scores"]["frechet"]
        summary["frechet"][name] = {
            "first": fd[0], "last": fd[-1], "fell": bool(len(fd) > 1 and fd[-1] < fd[0]),
            "rose_at_epochs": [e + 1 for e in range(1, len(fd)) if fd[e] > fd[e - 1]]}
        final = summary["final"][name]
        targets = [
            {"target": f"confident share >= {TARGETS['confident']}", "value": final["confident"],
             "met": final["confident"] >= TARGETS["confident"]},
            {"target": f"class entropy >= {TARGETS['class_entropy']}",
             "value": final["class_entropy"],
             "met": final["class_entropy"] >= TARGETS["class_entropy"]},
            {"target": "Fréchet distance falling (last epoch < first)", "value": fd[-1],
             "met": summary["frechet"][name]["fell"]}]
        if name == "tinydl" and "ratio_tinydl_over_torch" in summary:
            ratio = summary["ratio_tinydl_over_torch"]
            targets.append({"target": f"s/epoch <= {TARGETS['seconds_ratio']} x torch",
                            "value": ratio, "met": ratio <= TARGETS["seconds_ratio"]})
        summary["targets"][name] = targets
    return summary


def print_report(args: argparse.Namespace, runs: dict[str, dict], summary: dict) -> None:
    names = list(runs)
    head = (["epoch"] + [f"s/ep {n}" for n in names] + [f"conf {n}" for n in names]
            + [f"H {n}" for n in names] + [f"FD {n}" for n in names])
    widths = [5] + [max(10, len(h)) for h in head[1:]]
    print("\n" + "  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for e in range(args.epochs):
        row = [str(e + 1)]
        row += [f"{runs[n]['epoch_seconds'][e]:.2f}" for n in names]
        row += [f"{runs[n]['scores']['confident'][e]:.3f}" for n in names]
        row += [f"{runs[n]['scores']['class_entropy'][e]:.3f}" for n in names]
        row += [f"{runs[n]['scores']['frechet'][e]:.2f}" for n in names]
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    print("(s/ep: seconds of training per epoch; conf: share of generated digits the classifier "
          "gives > 0.9; H: entropy of the predicted classes, nats, ln 10 = 2.303 when all ten "
          "digits are equally frequent; FD: Fréchet distance of the classifier's features to "
          "real test digits, lower is better)")

    print("\nsummary")
    for n in names:
        final, fd = summary["final"][n], summary["frechet"][n]
        rose = ", ".join(map(str, fd["rose_at_epochs"])) or "none"
        print(f"  {n:<6} median {summary['median_seconds'][n]:.2f} s/epoch; final: confident "
              f"{final['confident']:.3f}, class entropy {final['class_entropy']:.3f}, Fréchet "
              f"{final['frechet']:.2f}; Fréchet {fd['first']:.2f} -> {fd['last']:.2f} "
              f"({'fell' if fd['fell'] else 'did NOT fall'}; rose at epochs: {rose})")
    if "ratio_tinydl_over_torch" in summary:
        fastest = summary["fastest_seconds"]
        print(f"  tinydl / torch median epoch time: {summary['ratio_tinydl_over_torch']:.2f} "
              f"(fastest epochs: {fastest['tinydl']:.2f} / {fastest['torch']:.2f} s = "
              f"{fastest['tinydl'] / fastest['torch']:.2f}; on a busy machine the fastest "
              f"epoch is the least disturbed)")
    after = f"after {args.epochs} epochs" + ("" if args.epochs == 20 else " (the targets are for 20)")
    print(f"\nthe issue's targets, {after}:")
    for n in names:
        for t in summary["targets"][n]:
            print(f"  {n:<6} {t['target']:<46} {t['value']:>8.3f}  "
                  f"{'met' if t['met'] else 'NOT met'}")


def plot(runs: dict[str, dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    panels = (("confident", "confident share (top prob > 0.9)", TARGETS["confident"]),
              ("class_entropy", "class entropy (nats)", TARGETS["class_entropy"]),
              ("frechet", "Fréchet distance (lower is better)", None))
    for ax, (key, title, target) in zip(axes, panels):
        for name, run in runs.items():
            values = run["scores"][key]
            ax.plot(np.arange(1, len(values) + 1), values, "o-", ms=3, label=name)
        if target is not None:
            ax.axhline(target, color="grey", ls=":", lw=1, label=f"target {target}")
        if key == "class_entropy":
            ax.axhline(math.log(10), color="grey", ls="--", lw=0.8, label="ln 10")
        ax.set(xlabel="epoch", title=title)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--frameworks", default=None,
                        help="comma-separated, of tinydl,torch (default: both when PyTorch "
                             "can be imported)")
    parser.add_argument("--dcgan", action="store_true", help="lesson 8's convolutional GAN")
    parser.add_argument("--classifier", type=Path, default=DEFAULT_CLASSIFIER,
                        help="lesson 4's trained weights (lessons/04_mnist_cnn.py writes them)")
    parser.add_argument("--samples", type=int, default=10_000,
                        help="generated images scored per epoch, and as many real test images "
                             "(at most 10,000)")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images")
    parser.add_argument("--out", type=Path, default=Path("bench_output") / "gan")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true",
                        help="instead of the benchmark: take --check-steps steps in both "
                             "frameworks from the same weights, batches and noise, and compare")
    parser.add_argument("--check-steps", type=int, default=1)
    parser.add_argument("--worker", choices=["tinydl", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0

    have_torch = importlib.util.find_spec("torch") is not None
    frameworks = (args.frameworks.split(",") if args.frameworks
                  else ["tinydl", "torch"] if have_torch else ["tinydl"])
    if not set(frameworks) <= {"tinydl", "torch"} or not frameworks:
        parser.error(f"--frameworks: choose among tinydl,torch; got {args.frameworks!r}")
    frameworks = [n for n in ("tinydl", "torch") if n in frameworks]   # tinydl runs first
    if "torch" in frameworks and not have_torch:
        sys.exit("PyTorch is not installed: run with --frameworks tinydl, or pip install torch")
    if not have_torch:
        print("PyTorch is not installed: measuring tinydl alone (pip install torch to compare)")
    if args.epochs < 1 or args.samples < 2 or args.batch_size < 1:
        parser.error("--epochs, --batch-size must be >= 1 and --samples >= 2")
    if not args.check and not args.classifier.exists():
        sys.exit(f"no classifier weights at {args.classifier}: run lessons/04_mnist_cnn.py "
                 f"first (it saves them there), or pass --classifier PATH")
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tinydl-bench-gan-"))
    try:
        if args.check:
            return check(args, frameworks, work, args.out)
        return benchmark(args, frameworks, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def benchmark(args: argparse.Namespace, frameworks: list[str], work: Path) -> int:
    from tinydl.applications import article_cnn
    from tinydl.gan import classifier_outputs

    load_start = load_average()
    x, x_test = prepare(args, work)
    classifier = article_cnn(weights=args.classifier)         # lesson 4's network, trained
    test_images = x_test[:min(args.samples, len(x_test))]
    real_features, _ = classifier_outputs(classifier, test_images)
    print(f"{'DCGAN' if args.dcgan else 'MLP GAN'} of lesson 8 on {len(x):,} MNIST images, "
          f"batch {args.batch_size}, {args.epochs} epochs; {args.samples:,} generated digits "
          f"scored per epoch against {len(test_images):,} test digits; load average "
          f"{load_start}", flush=True)

    print(f"\ntraining, one epoch of each in turn: {', '.join(frameworks)}", flush=True)
    workers = {name: Worker(name, args, work) for name in frameworks}
    for w in workers.values():
        w.wait_ready()
    for _ in range(args.epochs):
        for w in workers.values():
            w.run_epoch()
    runs: dict[str, dict] = {}
    for name, w in workers.items():
        runs[name] = w.finish()
        print(f"{name}: scoring {args.epochs} epochs of samples", flush=True)
        runs[name]["scores"] = score(name, args, work, args.out, classifier, real_features)
    load_end = load_average()

    summary = summarise(args, runs)
    print_report(args, runs, summary)
    print(f"\nload average (1, 5, 15 min) at the start {load_start}, at the end {load_end} "
          f"({os.cpu_count()} CPUs; the benchmark itself accounts for about 1 to 2, more means other "
          f"work shared the machine and slowed both frameworks)")
    if args.dcgan and "torch" in runs:
        print("(DCGAN twin: torch's BatchNorm keeps the UNBIASED batch variance in its moving "
              "average, tinydl (like Keras) the biased one; it matters only at inference)")

    result = {"config": {"epochs": args.epochs, "batch_size": args.batch_size,
                         "frameworks": frameworks, "dcgan": args.dcgan,
                         "classifier": str(args.classifier), "samples": args.samples,
                         "test_images": len(test_images), "train_images": len(x),
                         "limit": args.limit, "seed": args.seed},
              "machine": {"cpus": os.cpu_count(), "load_average_start": load_start,
                          "load_average_end": load_end, "python": sys.version.split()[0],
                          "numpy": np.__version__},
              "frameworks": runs, "summary": summary}
    (args.out / "bench_gan.json").write_text(json.dumps(result, indent=1))
    plot(runs, args.out / "scores.png")
    print(f"\nwrote {args.out / 'bench_gan.json'}, {args.out / 'scores.png'} and "
          f"{args.out / 'samples'}/<framework>/epoch_NNN.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
