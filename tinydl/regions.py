"""Connected regions of a label mask, and reading the digits of a segmented scene from them.

A region is a maximal set of pixels of one non-background value in which every pixel can reach
every other one through neighbours of that same value. Neighbours are the 8 surrounding pixels
(connectivity=8: diagonal steps join too) or the 4 sharing an edge (connectivity=4).

`label_regions` finds them without a loop over pixels, by a vectorised union-find on the
foreground pixels only. The links are the pairs of same-valued neighbours (one gather per
neighbour offset). Every pixel p starts as its own root, lab[p] = p. Each round, for every link
whose two ends have different roots, the larger root is hooked to the smaller one
(np.minimum.at, so the order of the links does not matter), then labels are followed to the root
they name (pointer jumping: lab = lab[lab] until stable). Labels only decrease and always name a
pixel of the same region, so when no link joins two roots, each region is labelled by its
smallest pixel, its first in raster order. On digit scenes this takes a handful of rounds.
"""

from __future__ import annotations

import numpy as np

BACKGROUND = 10  # the mask value of "no digit" in tinydl.datasets.mnist_scenes
BLOCK = 1024  # scenes per block in read_scenes


def _half_neighbourhood(reach: int, diagonal: bool = True) -> list[tuple[int, int]]:
    """Offsets (dy, dx) to the neighbours at most `reach` pixels away along y and along x (or,
    without `diagonal`, the 4 edge neighbours); one of each pair ±(dy, dx), as a link joins both."""
    if not diagonal:
        return [(0, 1), (1, 0)]
    return [(dy, dx) for dy in range(reach + 1) for dx in range(-reach, reach + 1)
            if dy > 0 or dx > 0]


def _check_mask(name: str, mask: object, ndims: tuple[int, ...]) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim not in ndims or not (np.issubdtype(mask.dtype, np.integer) or mask.dtype == bool):
        raise ValueError(f"{name}: mask has shape {mask.shape} and dtype {mask.dtype}; expected "
                         f"an integer array with {' or '.join(map(str, ndims))} dimensions")
    return mask


def _components(mask: np.ndarray, fg: np.ndarray, offsets: list[tuple[int, int]],
                same_value: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """Connected components of the pixels where fg (N, H, W) is True, linking each pixel to the
    fg pixels at `offsets` from it (only where `mask` has the same value there, if `same_value`).
    Masks of a batch never link to each other.

    Returns (pixels, number, count): the flat indices of the fg pixels in raster order, the
    component number 0..count-1 of each (numbered in raster order of first pixels), and count.
    """
    n, h, w = fg.shape
    # Pad by the reach with non-fg pixels: no offset then leaves its own mask or wraps a row.
    r = max(max(abs(dy), abs(dx)) for dy, dx in offsets)
    hp, wp = h + 2 * r, w + 2 * r
    padded_fg = np.zeros((n, hp, wp), bool)
    padded_fg[:, r:r + h, r:r + w] = fg
    flat_fg = padded_fg.reshape(-1)
    pixels = np.flatnonzero(flat_fg)  # ascending: raster order
    if same_value:
        padded = np.zeros((n, hp, wp), mask.dtype)
        padded[:, r:r + h, r:r + w] = mask
        flat_mask = padded.reshape(-1)
        pixel_values = flat_mask[pixels]
    # Links between pixels, as positions in `pixels` (one empty pair, for when there are none).
    ends_a, ends_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for dy, dx in offsets:
        q = pixels + (dy * wp + dx)
        joined = flat_fg[q]
        if same_value:
            joined &= flat_mask[q] == pixel_values
        ends_a.append(np.flatnonzero(joined))
        ends_b.append(np.searchsorted(pixels, q[joined]))
    a, b = np.concatenate(ends_a), np.concatenate(ends_b)
    lab = np.arange(len(pixels))  # lab[p] is a pixel of p's component, lab[p] <= p
    while True:
        la, lb = lab[a], lab[b]  # roots, after the jumping below
        split = la != lb
        if not split.any():
            break
        la, lb = la[split], lb[split]
        np.minimum.at(lab, la, lb)  # hook each root to the smaller root across a link
        np.minimum.at(lab, lb, la)
        while True:  # pointer jumping, until every label names a root (lab[lab] == lab)
            jumped = lab[lab]
            if np.array_equal(jumped, lab):
                break
            lab = jumped
    # Each component's root is its smallest position, i.e. its first pixel in raster order.
    roots, number = np.unique(lab, return_inverse=True)
    scene, y, x = pixels // (hp * wp), pixels // wp % hp - r, pixels % wp - r
    return (scene * h + y) * w + x, number.reshape(-1), len(roots)


def label_regions(mask: np.ndarray, background: int = BACKGROUND,
                  connectivity: int = 8) -> tuple[np.ndarray, int]:
    """Label the connected regions of equal value in a mask (H, W), or in each of N masks (N, H, W).

    Returns (labels, count): labels int32 of the mask's shape, 0 on background pixels and 1..count
    on the regions, numbered in raster order of their first pixel (the order of
    scipy.ndimage.label); a batch's masks never connect to each other and share one numbering.
    Pixels join a region when they are neighbours (4- or 8-connectivity) with the same value.
    """
    name = "label_regions"
    mask = _check_mask(name, mask, (2, 3))
    if connectivity not in (4, 8):
        raise ValueError(f"{name}: connectivity={connectivity!r}; expected 4 or 8")
    mask3 = mask if mask.ndim == 3 else mask[None]
    offsets = _half_neighbourhood(1, diagonal=connectivity == 8)
    pixels, number, count = _components(mask3, mask3 != background, offsets, same_value=True)
    labels = np.zeros(mask.size, np.int32)
    labels[pixels] = number + 1
    return labels.reshape(mask.shape), count


def read_scenes(masks: np.ndarray, background: int = BACKGROUND, min_pixels: int = 20,
                gap: int = 2) -> list[list[int]]:
    """The digits of each mask (N, H, W), left to right: `read_digits` for a batch, vectorised.

    Returns N lists of digit classes (Python ints).
    """
    name = "read_scenes"
    masks = _check_mask(name, masks, (3,))
    for arg, value, low in (("min_pixels", min_pixels, 1), ("gap", gap, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}: {arg}={value!r}; expected an integer >= {low}")
    # Blocks of BLOCK scenes keep the working arrays small enough for the cache: 6,000 scenes
    # in one block took 2.5 times as long as in blocks of 1,000.
    return [digits for start in range(0, len(masks), BLOCK)
            for digits in _read_block(masks[start:start + BLOCK], background, min_pixels, gap)]


def _read_block(masks: np.ndarray, background: int, min_pixels: int, gap: int) -> list[list[int]]:
    n, h, w = masks.shape
    at, blob, _ = _components(masks, masks != background, _half_neighbourhood(gap + 1),
                              same_value=False)
    values = masks.reshape(-1)[at].astype(np.int64)
    codes = values - values.min(initial=0)  # group keys need non-negative class codes
    span = int(codes.max(initial=0)) + 1
    groups, first, part, size = np.unique(blob * span + codes, return_index=True,
                                          return_inverse=True, return_counts=True)
    part = part.reshape(-1)
    x, y = at % w, at // w % h
    box = np.empty((4, len(groups)), np.int64)  # min x, max x, min y, max y of each part
    box[[0, 2]], box[[1, 3]] = max(h, w), -1
    for row, coord, extreme in ((0, x, np.minimum), (1, x, np.maximum),
                                (2, y, np.minimum), (3, y, np.maximum)):
        extreme.at(box[row], part, coord)
    cx2, cy2 = box[0] + box[1] + 1, box[2] + box[3] + 1  # twice the box centre (exclusive ends)
    scene, digit = at[first] // (h * w), values[first]
    keep = np.flatnonzero(size >= min_pixels)
    keep = keep[np.lexsort((digit[keep], cy2[keep], cx2[keep], scene[keep]))]
    bounds = np.searchsorted(scene[keep], np.arange(n + 1))
    digits = digit[keep].tolist()
    return [digits[bounds[i]:bounds[i + 1]] for i in range(n)]


def read_digits(mask: np.ndarray, background: int = BACKGROUND, min_pixels: int = 20,
                gap: int = 2) -> list[int]:
    """Read a segmented scene (H, W): the digit classes it shows, left to right.

    Rule:
      blob    foreground pixels (mask != background, whatever their class) belong to one blob
              when a chain of foreground pixels joins them in which each step moves at most
              gap + 1 pixels along y and along x, i.e. jumps over at most `gap` background
              pixels. gap=0 gives the 8-connected regions. MNIST digits are often drawn with a
              broken stroke (the bar of a 5, the arms of a 4): gap=2 reads them once.
      digit   inside a blob, each class with at least `min_pixels` pixels is one digit of that
              class; smaller parts are dropped as noise.
      order   by the x of the centre of the digit's bounding box, (left + right) / 2 (ties: the
              y of the centre, then the class): the convention of `mnist_scenes.Scenes.digits`.
    So two touching digits of different classes are read as two digits (split by class); a
    digit cut in two by a thin band of another class is read once (and the band too, if it has
    min_pixels pixels); two digits of the SAME class that touch (or come within `gap` pixels)
    merge into one: the one case this rule cannot read.
    """
    mask = _check_mask("read_digits", mask, (2,))
    return read_scenes(mask[None], background, min_pixels, gap)[0]
