"""Exercise `conv2d_im2col`: the same convolution, vectorised with im2col (§3.1.4)."""
import numpy as np
from hypothesis import strategies as st

from ...testing import strategies as tst
from .. import formulas
from ..checks import Check, CheckFailure, assert_close, count_lines, for_all
from ..exercise import Exercise
from .conv2d_loops import FORBIDDEN, geometries, matches, one_channel

STUB = '''\
"""tinydl exercise `conv2d_im2col` (article section 3.1.4, the convolution layer, fast).

The loop version does N·H_out·W_out·C_out·kh·kw·C_in multiplications one by one in
Python. im2col turns the whole convolution into ONE matrix product, done by BLAS.
Complete both functions, then run:  tinydl exercise check conv2d_im2col
"""
import numpy as np


def im2col(xp, kh, kw, strides):
    """Every kh×kw window of an already padded batch xp (N, H_p, W_p, C) as one row:

        P[row, col] = xp[n, s_h·i + a, s_w·j + b, c]
        row = (n, i, j) in that order:  row = (n·H_out + i)·W_out + j
        col = (a, b, c) in that order:  col = (a·kw + b)·C + c

    for output pixels i < H_out = (H_p - kh) // s_h + 1, j < W_out = (W_p - kw) // s_w + 1.
    strides: an int or a pair (s_h, s_w).  Returns P of shape (N·H_out·W_out, kh·kw·C).

    No Python loop over samples or pixels: a loop over the kh·kw kernel offsets (a, b),
    each copying a whole strided slice xp[:, a::s_h, b::s_w, :] (cut to H_out, W_out),
    is the way to go.
    """
    raise NotImplementedError("im2col")


def conv2d(x, w, b=None, strides=1, padding="valid"):
    """The article's convolution y(x, y) = Σ_{x'} Σ_{y'} w(x', y') · x(x - x', y - y'),
    exactly as in exercise conv2d_loops (same layout, strides, padding and output size):

        x: (N, H, W, C_in)   w: (kh, kw, C_in, C_out)   b: (C_out,) or None
        returns (N, H_out, W_out, C_out)

    but vectorised: pad x, build P = im2col(x_p, kh, kw, strides), and compute every
    output value with one matrix product of P (N·H_out·W_out, kh·kw·C_in) and the kernel
    as a (kh·kw·C_in, C_out) matrix. The article's x - x' walks the kernel backwards:
    flip it (w[::-1, ::-1]) before the product. No Python loop over samples or pixels.

    padding: 'valid', 'same' (Keras: total = max((ceil(size/s) - 1)·s + k - size, 0),
    total // 2 before, the rest after), an int p, or a pair (p_h, p_w).
    """
    raise NotImplementedError("conv2d")
'''

HINTS = (
    "Build P as an array of shape (N, H_out, W_out, kh, kw, C) first, then reshape it to "
    "(N·H_out·W_out, kh·kw·C): reshape keeps the (n, i, j) and (a, b, c) orders for you.",
    "For kernel offset (a, b), the pixels of every window at that offset are rows a, "
    "a + s_h, ..., a + s_h·(H_out - 1) and columns b, b + s_w, ..., b + s_w·(W_out - 1) of "
    "xp: one strided slice (start a, step s_h; start b, step s_w) of shape "
    "(N, H_out, W_out, C). It fills the (a, b) entry of every patch at once.",
    "conv2d: pad x as in conv2d_loops, flip the kernel along both spatial axes, view it as "
    "a (kh·kw·C_in, C_out) matrix, multiply P by it, give the product the shape "
    "(N, H_out, W_out, C_out) and add the bias.",
)


@st.composite
def padded_batches(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    hp, wp = draw(st.integers(kh, 6)), draw(st.integers(kw, 6))
    strides = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    return {"xp": draw(tst.arrays((n, hp, wp, c))), "kh": kh, "kw": kw, "strides": strides}


def patch_layout(student, seed):
    def one(inputs):
        assert_close(inputs, formulas.patches(**inputs), student.im2col(**inputs), "P")
    for_all(student, padded_batches(), one, seed)


def vectorised(student, seed):
    # how many lines of the student's file run: a loop over pixels or samples runs its
    # body once per pixel, so the count grows with the image; a vectorised one does not
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((2, 2, 1, 1))
    small, large = rng.standard_normal((1, 4, 4, 1)), rng.standard_normal((3, 12, 12, 1))
    lines = [count_lines(student.__file__, student.conv2d, x, w, None, 1, "same")
             for x in (small, large)]
    if lines[1] > lines[0] + 5:
        raise CheckFailure(f"conv2d runs {lines[0]} lines of your file on a (1, 4, 4, 1) batch "
                           f"but {lines[1]} on a (3, 12, 12, 1) batch (same 2×2 kernel): a "
                           f"Python loop over samples or pixels. Loop over the kernel offsets "
                           f"(a, b) only, and let NumPy do the rest.")


def trial(student, data="auto"):
    from ..trainer import Parts, forward_only_conv, train_cnn
    return train_cnn(Parts(conv=forward_only_conv(student.conv2d)),
                     "your im2col conv2d in the convolution layer's forward pass (tinydl's "
                     "backward)", data=data)


EXERCISE = Exercise(
    name="conv2d_im2col",
    title="conv2d vectorised: im2col and one matrix product",
    section="3.1.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("im2col's patch matrix layout", patch_layout),
        Check("conv2d: one channel, stride 1, 'valid' (the kernel flip)", matches(one_channel())),
        Check("conv2d: channels, bias, strides and padding", matches(geometries())),
        Check("vectorised (no loop over samples or pixels)", vectorised),
    ),
    defines=("im2col", "conv2d"),
    forbidden=FORBIDDEN,
    trial=trial,
)
