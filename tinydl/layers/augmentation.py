"""Data augmentation layers, as in Keras 3: RandomFlip, RandomTranslation, RandomRotation,
RandomZoom and RandomContrast. Put them first in a `Sequential` model:

    model = Sequential([Rescaling(1 / 255, input_shape=(28, 28, 1)),
                        RandomTranslation(0.1, 0.1), RandomRotation(0.05),
                        Conv2D(32, 3, activation="relu"), ...])

They change the images only when `training=True` (inside `fit`): at inference
(`evaluate`, `predict`, `model(x)`) they return their input unchanged. Images are
channels-last floats (N, H, W, C).

Randomness: one draw per sample from the layer's generator: its own (`seed=`), else the
model's (`Sequential(seed=...)`), else tinydl's shared one (`tinydl.utils.set_random_seed`),
so a seed reproduces a run.


How the random layers move pixels: each output pixel (i, j) of sample n reads the input
at a source point (y, x) = T_n(i, j): a flip, a shift or a rotation about the centre.
`_resample` reads it in one vectorised gather for the whole batch (nearest pixel for
flips and shifts, bilinear interpolation between the 4 neighbours for rotations), and
writes `fill_value` where the source point lies outside the image. The output is linear
in the input, so gradients do flow back through these layers (the gather's transpose,
a scatter-add); the model never needs them, since the layers sit at its input.

Differences from Keras: `fill_mode` is always 'constant' (Keras' default is 'reflect')
and only bilinear interpolation is offered for rotations.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as F
from ..autograd import Function, Tensor
from ..ops.resize import INTERPOLATIONS
from .layer import Layer, Shape
from .preprocessing import _check_images


class _GatherOp(Function):
    """out[n, p, c] = Σ_k w[n, p, k] · x[n, idx[n, p, k], c] + fill · w_out[n, p]

    x: (N, P_in, C), the images with their pixels flattened; idx, w: (N, P, k), the k
    source pixels of output pixel p and their weights; w_out: (N, P), the weight of the
    points outside the image. Backward: the transpose, a scatter-add of w · grad.
    """
    op = "random_transform"

    def forward(self, x: np.ndarray, idx: np.ndarray, w: np.ndarray, w_out: np.ndarray,
                fill: float) -> np.ndarray:
        self.shape, self.idx, self.w = x.shape, idx, w.astype(x.dtype)
        batch = np.arange(x.shape[0])[:, None, None]
        neighbours = x[batch, idx]                                 # (N, P, k, C)
        out = np.einsum("npk,npkc->npc", self.w, neighbours)
        return out + (fill * w_out.astype(x.dtype))[..., None]

    def backward(self, grad: np.ndarray) -> np.ndarray:
        n, p_in, c = self.shape
        rows = (np.arange(n)[:, None, None] * p_in + self.idx).ravel()   # flat pixel ids
        gx = np.zeros((n * p_in, c), grad.dtype)
        np.add.at(gx, rows, (self.w[..., None] * grad[:, :, None, :]).reshape(-1, c))
        return gx.reshape(self.shape)


def _resample(x: Tensor, y: np.ndarray, x_src: np.ndarray, fill: float,
              bilinear: bool) -> Tensor:
    """out[n, i, j, :] = x at the source point (y[n, i, j], x_src[n, i, j]) (row, column).

    Nearest (bilinear=False): the pixel (round(y), round(x)). Bilinear: with
    y0 = floor(y), a = y - y0 (and x0, b likewise), the 4 neighbours weighted
        (1-a)(1-b)·x[y0, x0] + (1-a)b·x[y0, x0+1] + a(1-b)·x[y0+1, x0] + ab·x[y0+1, x0+1].
    A neighbour outside the image contributes `fill` instead, with its weight.
    """
    n, h, w, c = x.shape
    if bilinear:
        y0, x0 = np.floor(y), np.floor(x_src)
        a, b = y - y0, x_src - x0
        rows = np.stack([y0, y0, y0 + 1, y0 + 1], axis=-1)
        cols = np.stack([x0, x0 + 1, x0, x0 + 1], axis=-1)
        weights = np.stack([(1 - a) * (1 - b), (1 - a) * b, a * (1 - b), a * b], axis=-1)
    else:
        rows, cols = np.round(y)[..., None], np.round(x_src)[..., None]
        weights = np.ones(rows.shape)
    inside = (rows >= 0) & (rows <= h - 1) & (cols >= 0) & (cols <= w - 1)
    idx = np.where(inside, rows * w + cols, 0).astype(np.int64).reshape(n, h * w, -1)
    w_in = np.where(inside, weights, 0.0)
    w_out = (weights - w_in).sum(axis=-1).reshape(n, h * w)
    out = _GatherOp.apply(x.reshape(n, h * w, c), idx=idx, w=w_in.reshape(n, h * w, -1),
                        w_out=w_out, fill=float(fill))
    return out.reshape(n, h, w, c)


def _factor_range(layer: str, arg: str, factor: Any) -> tuple[float, float]:
    """Keras' factor: a float f means the range [-f, f]; a pair (lower, upper) itself."""
    if isinstance(factor, int | float | np.integer | np.floating):
        lower, upper = -abs(float(factor)), abs(float(factor))
    elif isinstance(factor, tuple | list) and len(factor) == 2:
        lower, upper = float(factor[0]), float(factor[1])
    else:
        raise ValueError(f"{layer}: {arg} must be a float or a pair (lower, upper), got {factor!r}")
    if not lower <= upper:
        raise ValueError(f"{layer}: {arg} lower bound {lower} exceeds upper bound {upper}")
    return lower, upper


class _RandomImageLayer(Layer):
    """Shared machinery: seed, rank check, identity at inference, same output shape."""

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def build(self, input_shape: Shape) -> None:
        _check_images(self, input_shape)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        _check_images(self, x.shape)
        if not training:
            return x
        n, h, w, _ = x.shape
        rows, cols = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                                 indexing="ij")                       # (H, W) output pixels
        return self.transform(x, self.generator(), rows[None], cols[None])

    def transform(self, x: Tensor, rng: np.random.Generator, rows: np.ndarray,
                  cols: np.ndarray) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _check_images(self, input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_RandomImageLayer):
    """Flips each image with probability 1/2, independently per sample (training only).

    mode: 'horizontal' (left-right, along W: out[i, j] = x[i, W-1-j]), 'vertical'
    (up-down, along H: out[i, j] = x[H-1-i, j]) or 'horizontal_and_vertical' (a draw
    for each). Draws: rng.random(N) < 0.5 for the horizontal flips, then for the
    vertical ones.
    """

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None,
                 **kwargs: Any) -> None:
        if mode not in self.MODES:
            raise ValueError(f"RandomFlip: mode must be one of {self.MODES}, got {mode!r}")
        super().__init__(seed=seed, **kwargs)
        self.mode = mode

    def transform(self, x: Tensor, rng: np.random.Generator, rows: np.ndarray,
                  cols: np.ndarray) -> Tensor:
        n, h, w, _ = x.shape
        if self.mode != "vertical":
            flip = (rng.random(n) < 0.5)[:, None, None]
            cols = np.where(flip, w - 1 - cols, cols)
        if self.mode != "horizontal":
            flip = (rng.random(n) < 0.5)[:, None, None]
            rows = np.where(flip, h - 1 - rows, rows)
        rows, cols = np.broadcast_arrays(rows, cols, np.empty((n, 1, 1)))[:2]
        return _resample(x, rows, cols, 0.0, bilinear=False)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}


class RandomTranslation(_RandomImageLayer):
    """Shifts each image by a whole number of pixels (training only), filling with
    `fill_value`: out[i, j] = x[i - dy, j - dx] (fill where that is outside the image).

    dy = round(u·H) with u uniform in [-height_factor, height_factor] (or in the pair
    (lower, upper) given), drawn per sample; dx likewise with width_factor and W.
    Positive dy moves the picture down, positive dx to the right, as in Keras.
    Draws: rng.uniform(lower, upper, N) for the heights, then for the widths.
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_value: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        self.height_factor = _factor_range("RandomTranslation", "height_factor", height_factor)
        self.width_factor = _factor_range("RandomTranslation", "width_factor", width_factor)
        super().__init__(seed=seed, **kwargs)
        self.fill_value = float(fill_value)

    def transform(self, x: Tensor, rng: np.random.Generator, rows: np.ndarray,
                  cols: np.ndarray) -> Tensor:
        n, h, w, _ = x.shape
        dy = np.round(rng.uniform(*self.height_factor, size=n) * h)[:, None, None]
        dx = np.round(rng.uniform(*self.width_factor, size=n) * w)[:, None, None]
        return _resample(x, rows - dy, cols - dx, self.fill_value, bilinear=False)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor, "fill_value": self.fill_value}


class RandomRotation(_RandomImageLayer):
    """Rotates each image about its centre by a random angle (training only), with
    bilinear interpolation and `fill_value` outside the image.

    factor: a fraction of a full turn, as in Keras: the angle θ is uniform in
    [-factor·2π, factor·2π] (or in [lower·2π, upper·2π] for a pair (lower, upper)),
    drawn per sample with rng.uniform. θ > 0 turns the picture counter-clockwise:
    θ = π/2 (factor (0.25, 0.25)) gives np.rot90 on the (H, W) axes.

    Math: with the centre (cy, cx) = ((H-1)/2, (W-1)/2) and the output pixel's offset
    (u, v) = (j - cx, i - cy) (v points down), the pixel reads the input at
        x = cx + u·cos θ - v·sin θ,    y = cy + u·sin θ + v·cos θ.
    Source coordinates within 1e-6 of a whole number are snapped to it, so multiples
    of 90° move pixels exactly (cos(π/2) is 6e-17 in floating point, not 0).
    """

    def __init__(self, factor: Any, fill_value: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        self.factor = _factor_range("RandomRotation", "factor", factor)
        super().__init__(seed=seed, **kwargs)
        self.fill_value = float(fill_value)

    def transform(self, x: Tensor, rng: np.random.Generator, rows: np.ndarray,
                  cols: np.ndarray) -> Tensor:
        n, h, w, _ = x.shape
        theta = rng.uniform(*self.factor, size=n)[:, None, None] * 2 * math.pi
        cy, cx = (h - 1) / 2, (w - 1) / 2
        u, v = cols - cx, rows - cy
        src_x = cx + u * np.cos(theta) - v * np.sin(theta)
        src_y = cy + u * np.sin(theta) + v * np.cos(theta)
        src_x, src_y = (np.where(np.abs(s - np.round(s)) < 1e-6, np.round(s), s)
                        for s in (src_x, src_y))
        return _resample(x, src_y, src_x, self.fill_value, bilinear=True)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "fill_value": self.fill_value}


def _zoom_range(arg: str, factor: Any) -> tuple[float, float]:
    lower, upper = _factor_range("RandomZoom", arg, factor)
    if lower < -1:
        raise ValueError(f"RandomZoom: {arg} values must be ≥ -1 (a zoom of 1 + factor must be "
                         f"≥ 0), got {factor!r}")
    return lower, upper


class RandomZoom(_RandomImageLayer):
    """Zooms each image in or out about its centre by a random amount (training only).

    A factor f means the range [-f, f] (or a pair (lower, upper) itself); the zoom is
    z = 1 + u, u uniform in that range, drawn per sample: u > 0 zooms out (the picture
    shrinks, `fill_value` around it), u < 0 zooms in, as in Keras. width_factor None
    (default) zooms both axes by the same z (the aspect ratio is kept).

    Math: with the centre (cy, cx) = ((H-1)/2, (W-1)/2), output pixel (i, j) reads the
    input at y = cy + z_h·(i - cy), x = cx + z_w·(j - cx), bilinearly (or nearest).
    Draws: rng.uniform(lower, upper, N) for the heights, then (width_factor given) for
    the widths. Differences from Keras: fill_mode is always 'constant'.
    """

    def __init__(self, height_factor: Any, width_factor: Any = None,
                 interpolation: str = "bilinear", fill_value: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        self.height_factor = _zoom_range("height_factor", height_factor)
        self.width_factor = None if width_factor is None else _zoom_range("width_factor",
                                                                          width_factor)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"RandomZoom: interpolation must be one of {INTERPOLATIONS}, got "
                             f"{interpolation!r}")
        super().__init__(seed=seed, **kwargs)
        self.interpolation, self.fill_value = interpolation, float(fill_value)

    def transform(self, x: Tensor, rng: np.random.Generator, rows: np.ndarray,
                  cols: np.ndarray) -> Tensor:
        n, h, w, _ = x.shape
        zh = 1 + rng.uniform(*self.height_factor, size=n)[:, None, None]
        zw = zh if self.width_factor is None else (
            1 + rng.uniform(*self.width_factor, size=n)[:, None, None])
        cy, cx = (h - 1) / 2, (w - 1) / 2
        src_y, src_x = cy + zh * (rows - cy), cx + zw * (cols - cx)
        src_y, src_x = (np.where(np.abs(s - np.round(s)) < 1e-6, np.round(s), s)
                        for s in (src_y, src_x))
        return _resample(x, src_y, src_x, self.fill_value,
                         bilinear=self.interpolation == "bilinear")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": None if self.width_factor is None else list(self.width_factor),
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomContrast(_RandomImageLayer):
    """Scales each image's contrast by a random factor (training only), per channel:

        y = clip((x - m) · a + m, value_range),  m = the mean of x over the image's
        pixels in that channel, a uniform in [1 - lower, 1 + upper], one a per image.

    factor: a float f (lower = upper = f) or a pair (lower, upper), each in [0, 1] as in
    Keras. value_range: the images' range, (0, 255) by default (Keras' default); use
    (0, 1) for images scaled to [0, 1]. Draws: rng.uniform(1 - lower, 1 + upper, N).
    Differentiable (the clip cuts the gradient where it clips).
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        if isinstance(factor, int | float | np.integer | np.floating) and not isinstance(
                factor, bool):
            lower = upper = float(factor)
        elif isinstance(factor, tuple | list) and len(factor) == 2:
            lower, upper = float(factor[0]), float(factor[1])
        else:
            raise ValueError(f"RandomContrast: factor must be a float or a pair (lower, upper), "
                             f"got {factor!r}")
        if not (0 <= lower <= 1 and 0 <= upper <= 1):
            raise ValueError(f"RandomContrast: factor values must be in [0, 1], got {factor!r}")
        if (not isinstance(value_range, tuple | list) or len(value_range) != 2
                or not float(value_range[0]) < float(value_range[1])):
            raise ValueError(f"RandomContrast: value_range must be a pair (low, high) with "
                             f"low < high, got {value_range!r}")
        super().__init__(seed=seed, **kwargs)
        self.factor = (lower, upper)
        self.value_range = (float(value_range[0]), float(value_range[1]))

    def transform(self, x: Tensor, rng: np.random.Generator, rows: np.ndarray,
                  cols: np.ndarray) -> Tensor:
        n = x.shape[0]
        a = rng.uniform(1 - self.factor[0], 1 + self.factor[1], size=n)
        a = Tensor(a.astype(x.dtype)[:, None, None, None])
        m = x.mean(axis=(1, 2), keepdims=True)
        return F.clip((x - m) * a + m, *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}
