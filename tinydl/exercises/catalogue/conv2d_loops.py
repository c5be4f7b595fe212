"""Exercise `conv2d_loops`: the article's convolution formula, literally, with loops (§3.1.4)."""
from hypothesis import strategies as st

from ...testing import strategies as tst
from .. import formulas
from ..checks import Check, assert_close, for_all
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `conv2d_loops` (article section 3.1.4, the convolution layer).

Write the article's formula exactly as printed; loops are allowed (and expected) here.
Then run:  tinydl exercise check conv2d_loops
"""
import numpy as np


def conv2d(x, w, b=None, strides=1, padding="valid"):
    """The article's 2-D convolution,

        y(x, y) = Σ_{x'=0}^{kh-1} Σ_{y'=0}^{kw-1} w(x', y') · x(x - x', y - y'),

    summed over the input channels too, for every sample and output channel. Note the
    minus signs: the kernel is walked backwards over the image (a true convolution, not
    the cross-correlation Keras computes).

    Layout (channels last, as in the article's Keras listing):
        x: (N, H, W, C_in)   w: (kh, kw, C_in, C_out)   b: (C_out,) or None
        returns y: (N, H_out, W_out, C_out), a float64 array

    Which points (x, y)? Pad the image first (zeros), giving x_p. Output pixel (i, j) is
    the formula at the point (s_h·i + kh - 1, s_w·j + kw - 1) of x_p: the first point
    where x_p(x - x', y - y') exists for every x', y', then every s-th point after it:

        y[n, i, j, o] = b[o] + Σ_{x', y', c} w[x', y', c, o] · x_p[n, s_h·i + kh-1 - x',
                                                                     s_w·j + kw-1 - y', c]

    strides: an int s (both axes) or a pair (s_h, s_w).
    padding, along each axis of size `size` with kernel size k and stride s:
        'valid'  no padding;
        'same'   Keras' rule: total = max((ceil(size / s) - 1)·s + k - size, 0) pixels,
                 total // 2 before (top/left) and the rest after (bottom/right);
        p        an int: p pixels on every side;  (p_h, p_w): p_h top and bottom, p_w
                 left and right.
    Output size along an axis: H_out = (H + pad_before + pad_after - kh) // s_h + 1.
    """
    raise NotImplementedError("conv2d: write the article's formula with loops")
'''

HINTS = (
    "Start with one sample, one channel, stride 1 and 'valid': two loops over the output "
    "pixels (i, j), two over the kernel (x', y'). Then add the loops over samples, "
    "input channels and output channels.",
    "Pad once, up front, with np.pad: `top` and `bottom` rows and `left` and `right` "
    "columns of zeros around every image, nothing around the batch and channel axes. "
    "Then every index into the padded image is in range: no special case for borders.",
    "The article's x(x - x', y - y') reads the image at row s_h·i + kh - 1 - x' and column "
    "s_w·j + kw - 1 - y' of xp for kernel element w[x', y']: the kernel's last row meets "
    "the window's first row. Forgetting that flip gives Keras' cross-correlation instead.",
)


@st.composite
def one_channel(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh, 5)), draw(st.integers(kw, 5))
    return {"x": draw(tst.arrays((1, h, w, 1))), "w": draw(tst.arrays((kh, kw, 1, 1)))}


@st.composite
def channels_and_bias(draw):
    n, cin, cout = (draw(st.integers(1, 2)) for _ in range(3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(kh, 5)), draw(st.integers(kw, 5))
    return {"x": draw(tst.arrays((n, h, w, cin))), "w": draw(tst.arrays((kh, kw, cin, cout))),
            "b": draw(tst.arrays((cout,)))}


@st.composite
def geometries(draw):
    g = draw(tst.conv_geometries(max_batch=2, max_size=6, max_channels=2, max_kernel=3))
    return {"x": draw(tst.arrays(g.x_shape)), "w": draw(tst.arrays(g.w_shape)),
            "b": draw(tst.arrays((g.c_out,))), "strides": g.strides, "padding": g.padding}


@st.composite
def same_padding(draw):
    # even kernels make the total padding odd: the odd pixel goes after (bottom, right)
    k = draw(st.sampled_from([2, 4]))
    h, w = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    strides = draw(st.sampled_from([1, 2, (1, 2)]))
    return {"x": draw(tst.arrays((1, h, w, 1))), "w": draw(tst.arrays((k, k, 1, 1))),
            "b": None, "strides": strides, "padding": "same"}


def matches(strategy):
    def run(student, seed):
        def one(inputs):
            assert_close(inputs, formulas.conv2d(**inputs), student.conv2d(**inputs), "y")
        for_all(student, strategy, one, seed)
    return run


def trial(student, data="auto"):
    from ..trainer import Parts, forward_only_conv, train_cnn
    return train_cnn(Parts(conv=forward_only_conv(student.conv2d), kernels=4),
                     "your loop conv2d in the convolution layer's forward pass (tinydl's "
                     "backward); loops are slow, so on the small generated bars", data="bars")


#: tinydl's own convolutions, which these exercises ask the student to write
FORBIDDEN = ("conv2d", "correlate2d", "Conv2D", "Conv2dOp", "Conv2dRef", "Correlate2D",
             "Correlate2dOp", "Correlate2dRef", "im2col", "conv2d_transpose",
             "correlate2d_transpose")

EXERCISE = Exercise(
    name="conv2d_loops",
    title="conv2d exactly as the article's formula, with loops",
    section="3.1.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("one channel, stride 1, 'valid' (the kernel flip)", matches(one_channel())),
        Check("batch, channels and bias", matches(channels_and_bias())),
        # the specific 'same' check before the general one, so that an off-by-one in
        # 'same' padding is named as such whichever geometries the general check draws
        Check("'same' padding with an even kernel (the odd pixel after)",
              matches(same_padding())),
        Check("strides and padding geometries", matches(geometries())),
    ),
    defines=("conv2d",),
    forbidden=FORBIDDEN,
    trial=trial,
)
