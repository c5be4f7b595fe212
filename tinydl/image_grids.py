"""Pictures of image batches: a grid of samples as one PNG, grids over time as a GIF.

Only matplotlib is used (its Agg canvas and Pillow writer; Pillow is a dependency of
matplotlib), so this works on a machine without a display.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .io import atomic_path


def image_grid(images: Any, ncols: int | None = None, value_range: tuple[float, float] = (0.0, 1.0),
               pad: int = 1) -> np.ndarray:
    """Tile a batch of images into one grayscale picture with values in [0, 1].

    images: (N, H, W), (N, H, W, 1), or (N, H·W) with H = W (flattened square images,
        e.g. an MLP generator's (N, 784) output).
    value_range: (lo, hi) of the inputs, mapped linearly to [0, 1] (a tanh generator's
        outputs are (-1, 1)); values outside are clipped.
    ncols: images per row (default ceil(sqrt(N))); pad: pixels of background between.
    Returns a float array (rows·(H+pad)+pad, ncols·(W+pad)+pad).
    """
    x = np.asarray(getattr(images, "data", images), dtype=np.float64)
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(f"image_grid: rows of length {x.shape[1]} are not square images")
        x = x.reshape(len(x), side, side)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or len(x) == 0:
        raise ValueError(f"image_grid: expected a non-empty batch (N, H, W), (N, H, W, 1) or "
                         f"(N, H·W); got shape {np.shape(images)}")
    lo, hi = value_range
    x = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    n, h, w = x.shape
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    grid = np.zeros((nrows * (h + pad) + pad, ncols * (w + pad) + pad))
    for k in range(n):  # a loop over the (few dozen) tiles, not over pixels
        r, c = divmod(k, ncols)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h,
             pad + c * (w + pad):pad + c * (w + pad) + w] = x[k]
    return grid


def save_image_grid(images: Any, path: str | os.PathLike, ncols: int | None = None,
                    value_range: tuple[float, float] = (0.0, 1.0), scale: int = 2) -> Path:
    """Write `image_grid(images, ...)` to a PNG (each pixel drawn scale×scale); returns
    the path."""
    import matplotlib.image

    grid = image_grid(images, ncols, value_range)
    grid = np.kron(grid, np.ones((scale, scale)))
    path = Path(path)
    with atomic_path(path) as tmp:
        matplotlib.image.imsave(tmp, grid, cmap="gray", vmin=0.0, vmax=1.0)
    return path


def save_gif(frames: Sequence[np.ndarray], path: str | os.PathLike, seconds_per_frame: float = 0.5,
             titles: Sequence[str] | None = None) -> Path:
    """An animated GIF of grayscale pictures in [0, 1] (e.g. one `image_grid` per epoch),
    each shown for seconds_per_frame, with an optional title per frame."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    if not frames:
        raise ValueError("save_gif: no frames")
    h, w = frames[0].shape
    fig = plt.figure(figsize=(w / 50, h / 50 + (0.3 if titles else 0)), dpi=100)
    ax = fig.add_axes((0, 0, 1, h / (h + (15 if titles else 0))))
    ax.axis("off")
    shown = ax.imshow(frames[0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    label = fig.text(0.5, 0.99, "", ha="center", va="top", fontsize=8)

    def draw(k: int):
        shown.set_data(frames[k])
        label.set_text(titles[k] if titles else "")
        return shown, label

    animation = FuncAnimation(fig, draw, frames=len(frames), blit=False)
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            animation.save(tmp, writer=PillowWriter(fps=1.0 / seconds_per_frame))
    finally:
        plt.close(fig)
    return path
