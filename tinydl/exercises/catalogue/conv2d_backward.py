"""Exercise `conv2d_backward`: the convolution's gradients for input, kernel and bias."""
from hypothesis import strategies as st

from ...testing import strategies as tst
from ..checks import Check, assert_gradients, for_all
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `conv2d_backward` (article section 3.1.4, the convolution layer; the
gradients that section 3.1.4's θ ← θ - α∇J(θ) needs).

The forward pass is given, built on tinydl's own im2col (exercise conv2d_im2col has you
write it yourself). Write backward, then run:  tinydl exercise check conv2d_backward
"""
import numpy as np

from tinydl import Function
from tinydl.ops._geometry import as_pair, padding_amounts
from tinydl.ops._patches import im2col


class Conv2D(Function):
    """The article's convolution with a bias,

        y[n, i, j, o] = b[o] + Σ_{a, b', c} w[a, b', c, o]
                                          · x_p[n, s_h·i + kh-1-a, s_w·j + kw-1-b', c]

    x (N, H, W, C_in), w (kh, kw, C_in, C_out), b (C_out,), y (N, H_out, W_out, C_out);
    x_p is x padded with (top, bottom) rows and (left, right) columns of zeros.

    backward(grad): grad = dL/dy, shape (N, H_out, W_out, C_out). Return the tuple
        (dL/dx, dL/dw, dL/db) with the shapes of x, w and b:

        dL/db[o]          = Σ_{n, i, j} grad[n, i, j, o]
        dL/dw[a, b', c, o] = Σ_{n, i, j} grad[n, i, j, o]
                                         · x_p[n, s_h·i + kh-1-a, s_w·j + kw-1-b', c]
        dL/dx_p[n, r, q, c] = Σ over every (i, j, a, b', o) with r = s_h·i + kh-1-a and
                             q = s_w·j + kw-1-b' of grad[n, i, j, o] · w[a, b', c, o]
        dL/dx = dL/dx_p with the padding cut off.

    What forward saves: self.cols = im2col(x_p) (N·H_out·W_out, kh·kw·C_in), holding
    x_p[n, s_h·i + a, s_w·j + b', c] in row (n, i, j), column (a, b', c); self.w,
    self.strides (s_h, s_w), self.pads ((top, bottom), (left, right)), self.xp_shape.
    Loops over the kernel offsets are fine; loops over pixels work too, only slower.
    """

    def forward(self, x, w, b, strides=1, padding="valid"):
        n, h, width, _ = x.shape
        kh, kw, _, c_out = w.shape
        sh, sw = as_pair(strides, "strides", "Conv2D")
        top, bottom, h_out = padding_amounts(h, kh, sh, padding, 0, "Conv2D")
        left, right, w_out = padding_amounts(width, kw, sw, padding, 1, "Conv2D")
        self.pads = ((top, bottom), (left, right))
        xp = np.pad(x, ((0, 0), *self.pads, (0, 0)))
        self.cols = im2col(xp, kh, kw, (sh, sw), (h_out, w_out))
        self.w, self.strides, self.xp_shape = w, (sh, sw), xp.shape
        flipped = w[::-1, ::-1].reshape(-1, c_out)          # the article's x - x'
        return (self.cols @ flipped).reshape(n, h_out, w_out, c_out) + b

    def backward(self, grad):
        raise NotImplementedError("Conv2D.backward: return (dL/dx, dL/dw, dL/db)")
'''

HINTS = (
    "Start with dL/db: every output pixel of channel o added b[o] once, so sum grad over "
    "the batch and both spatial axes.",
    "dL/dw: with G the gradient as an (N·H_out·W_out, C_out) matrix, Pᵀ G (P = self.cols) "
    "is the gradient of the *flipped* kernel that forward multiplied by, as a "
    "(kh·kw·C_in, C_out) matrix: give it the kernel's shape, then undo the flip.",
    "dL/dx: start from zeros the shape of x_p. For each offset (a, b') of the flipped "
    "kernel f, the product G f[a, b']ᵀ, shaped (N, H_out, W_out, C_in), is added to the "
    "strided slab of x_p that forward read for that offset (rows a, a + s_h, ...; columns "
    "b', b' + s_w, ...). Then cut the padding off.",
)


@st.composite
def problems(draw, geometry):
    if geometry:
        g = draw(tst.conv_geometries(max_batch=2, max_size=5, max_channels=2, max_kernel=3,
                                     max_stride=2))
        shapes, strides, padding = (g.x_shape, g.w_shape, g.c_out), g.strides, g.padding
    else:
        kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        n, cin, cout = (draw(st.integers(1, 2)) for _ in range(3))
        h, w = draw(st.integers(kh, 5)), draw(st.integers(kw, 5))
        shapes, strides, padding = ((n, h, w, cin), (kh, kw, cin, cout), cout), 1, "valid"
    return {"x": draw(tst.arrays(shapes[0])), "w": draw(tst.arrays(shapes[1])),
            "b": draw(tst.arrays((shapes[2],))), "strides": strides, "padding": padding}


def gradient_of(which):
    """gradcheck with respect to `which` (a tuple of 'x', 'w', 'b'); the rest are constants."""
    def run(student, seed):
        def one(p):
            def op(*variables):
                values = dict(p) | dict(zip(which, variables))
                return student.Conv2D.apply(values["x"], values["w"], values["b"],
                                            strides=p["strides"], padding=p["padding"])
            constants = {k: v for k, v in p.items() if k not in which}
            assert_gradients(op, {k: p[k] for k in which}, constants)
        for_all(student, problems(geometry=len(which) == 3), one, seed)
    return run


def trial(student, data="auto"):
    from ..trainer import Parts, train_cnn
    return train_cnn(Parts(conv=lambda x, k, b: student.Conv2D.apply(x, k, b)),
                     "your Conv2D (tinydl's forward, your backward) as the convolution layer",
                     data=data)


EXERCISE = Exercise(
    name="conv2d_backward",
    title="conv2d backward: the gradients for input, kernel and bias",
    section="3.1.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("dL/db, the bias gradient", gradient_of(("b",))),
        Check("dL/dw, the kernel gradient (stride 1, 'valid')", gradient_of(("w",))),
        Check("dL/dx, the input gradient (stride 1, 'valid')", gradient_of(("x",))),
        Check("all three, with strides and padding", gradient_of(("x", "w", "b"))),
    ),
    defines=("Conv2D",),
    forbidden=("conv2d", "correlate2d", "Conv2D", "Conv2dOp", "Conv2dRef", "Correlate2D",
               "Correlate2dOp", "Correlate2dRef", "scatter_windows", "conv2d_transpose",
               "correlate2d_transpose", "Conv2DTranspose", "Conv2dTransposeOp",
               "Conv2dTransposeRef"),
    trial=trial,
)
