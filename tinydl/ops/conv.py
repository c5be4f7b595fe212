"""2-D convolution exactly as the article writes it (section 3.1.4), and cross-correlation.

The article's formula, for one channel:

    y(x, y) = Σ_{x'=0}^{w-1} Σ_{y'=0}^{h-1} w(x', y') · x(x - x', y - y')

is a *true* convolution: the kernel is walked backwards over the image (x - x').
Keras' Conv2D and PyTorch's conv2d compute *cross-correlation* instead,

    y(i, j) = Σ_a Σ_b w(a, b) · x(i + a, j + b),

which is the same thing with the kernel flipped in both spatial axes:

    conv2d(x, w) == correlate2d(x, w[::-1, ::-1])

For a learned kernel the difference does not matter (the network learns the flipped
kernel), but for a hand-made asymmetric kernel, e.g. an edge detector, it does.

Layout is channels-last, as in the article's Keras listing:
    x: (N, H, W, C_in)   w: (kh, kw, C_in, C_out)   b: (C_out,)   y: (N, H_out, W_out, C_out)

Indexing (rows first; the article's (x, y) names the two spatial axes and the formula is
the same along both). With `strides` s and the input padded to x_p, output pixel (i, j) is

    y[n, i, j, o] = Σ_{a<kh} Σ_{b<kw} Σ_c w[a, b, c, o] · x_p[n, s·i + kh-1-a, s·j + kw-1-b, c] + b[o]

i.e. the article's formula evaluated at the point (s·i + kh - 1, s·j + kw - 1), the first
point at which the whole flipped kernel lies inside the padded image ('valid').

Dilation ("atrous" convolution, Keras' `dilation_rate` d): the kernel taps are spread d
pixels apart, so a k-wide kernel covers d·(k-1)+1 pixels without more weights:

    correlate2d:  y[n, i, j, o] = Σ_{a,b,c} w[a, b, c, o] · x_p[n, s·i + d·a, s·j + d·b, c]
    conv2d:       y[n, i, j, o] = Σ_{a,b,c} w[a, b, c, o]
                                    · x_p[n, s·i + d·(kh-1-a), s·j + d·(kw-1-b), c]

(the article's formula with x(x - d·x', y - d·y') in place of x(x - x', y - y')). The
output size and 'same' padding follow from the effective kernel size d·(k-1)+1 (Keras'
rule). Strides and dilation may both exceed 1 here; Keras' layer refuses that, the op
does not.

Padding: 'valid' (none), 'same' (Keras' rule: output size ceil(H / s), the padding split
evenly with the odd pixel at the bottom/right), an int p (p on every side) or a pair
(p_h, p_w). Implementation: im2col — every kh×kw×C_in patch becomes a row of a matrix,
so the convolution is a matrix product (BLAS does the heavy lifting), done a few samples
at a time so that each piece of the patch matrix is still in the cache when BLAS reads it
(`patch_product`, `CHUNK_BYTES`).

Transposed convolution (`conv2d_transpose`, `correlate2d_transpose`; "deconvolution",
the upsampling layer of a GAN generator) is the adjoint of the convolution with respect
to its input: for the same kernel, strides and padding,

    <conv2d(x, w), y> = <x, conv2d_transpose(y, w)>      for all x, y,

so it maps the convolution's output shape back to its input shape, each pixel of y
spreading into a kh×kw window, windows s pixels apart. It is the convolution's dx
(the backward pass) used as a forward pass, and its backward is a forward convolution.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Function, Tensor
from ._geometry import kernel_geometry, op_inputs, pad_or_crop
from ._input_grad import input_gradient
from . import _patches
from ._patches import patch_gradient, patch_product
from . import _kernels
from .reference import conv as reference_conv


class Correlate2dOp(Function):
    """Cross-correlation y[n,i,j,o] = Σ_{a,b,c} w[a,b,c,o] · x_p[n, s·i+d·a, s·j+d·b, c]
    (+ bias), d the dilation (1: the plain correlation).

    Forward: the matrix product of the patches P (N·Ho·Wo, kh·kw·C_in) and the kernel W
    (kh·kw·C_in, C_out), plus the bias (`patch_product`, a few samples at a time).
    Backward with G = dL/dy as (N·Ho·Wo, C_out): [dW; dbᵀ] = [P 1]ᵀ G (`patch_gradient`:
    P's pieces kept from the forward pass up to _patches.KEEP_BYTES, else built again, and db = Σ G
    out of the same product), and dx the adjoint of the correlation (`input_gradient`).

    Read first: tinydl/ops/reference/conv.py (the same op as its formula reads;
    tests/test_reference_conv.py proves them equal).
    """
    op = "correlate2d"

    def forward(self, x, w, b=None, strides=1, padding="valid", dilation_rate=1, op="correlate2d",
                relu=False):
        self.strides, self.dilation, pads, out_hw = kernel_geometry(x, w, strides, padding,
                                                              dilation_rate, op)
        if b is not None and b.shape != (w.shape[3],):
            raise ValueError(f"{op}: bias must have shape ({w.shape[3]},) (one per output "
                             f"channel); got shape {b.shape}")
        self.pads, self.w, self.has_bias = pads, w, b is not None
        self.xp = pad_or_crop(x, *pads)
        kh, kw, cin, _ = w.shape
        size = x.shape[0] * out_hw[0] * out_hw[1] * kh * kw * cin * x.itemsize
        self.kept = [] if size <= _patches.KEEP_BYTES and (kh, kw) != (1, 1) else None
        y = patch_product(self.xp, w, b, self.strides, self.dilation, out_hw, self.kept, relu)
        self.relu_out = y if relu else None
        return y

    def backward(self, grad):
        kh, kw, cin, cout = self.w.shape
        dw = db = dx = None
        relu_out = self.relu_out
        if relu_out is not None and self.needs_grad[0]:
            # dx needs the whole masked gradient anyway: mask it once, here
            grad, relu_out = grad * (relu_out > 0), None
        if self.needs_grad[1] or (self.has_bias and self.needs_grad[2]):
            dw, db = patch_gradient(self.xp, grad, kh, kw, self.strides, self.dilation,
                                    self.has_bias, self.kept, relu_out)
            self.kept = None
            dw = dw.reshape(self.w.shape)
        if self.needs_grad[0]:
            dx = input_gradient(grad, self.w, self.strides, self.pads, self.xp.shape,
                                grad.shape[1:3], self.dilation)
        return (dx, dw, db) if self.has_bias else (dx, dw)


class Conv2dOp(Function):
    """True convolution (the article's formula): correlation with the kernel flipped,
    conv2d(x, w) = correlate2d(x, w[::-1, ::-1]); the kernel gradient is flipped back.

    relu=True (what the Conv2D layer asks for with activation='relu') returns
    max(0, conv2d(x, w) + b) as one op: the ReLU runs on each piece of the output while
    it is in the cache, and its backward is folded into the kernel gradient's pieces.

    Read first: tinydl/ops/reference/conv.py (the same op as its formula reads;
    tests/test_reference_conv.py proves them equal)."""
    op = "conv2d"

    def forward(self, x, w, b=None, strides=1, padding="valid", dilation_rate=1, relu=False):
        self.corr = Correlate2dOp()
        return self.corr.forward(x, w[::-1, ::-1], b, strides, padding, dilation_rate,
                                 op="conv2d", relu=relu)

    def backward(self, grad):
        self.corr.needs_grad = self.needs_grad
        grads = self.corr.backward(grad)
        dw = grads[1][::-1, ::-1] if grads[1] is not None else None
        return (grads[0], dw) + tuple(grads[2:])



def conv2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
           dilation_rate: Any = 1) -> Tensor:
    """True 2-D convolution, the article's y(x,y) = Σ_{x'}Σ_{y'} w(x',y')·x(x-x', y-y').

    Args:
        x: (N, H, W, C_in) batch, channels last.
        w: (kh, kw, C_in, C_out) kernel.
        b: optional (C_out,) bias, added to every output pixel.
        strides: int or (s_h, s_w).
        padding: 'valid', 'same', an int or a pair (p_h, p_w).
        dilation_rate: int or (d_h, d_w): kernel taps d pixels apart (Keras' meaning),
            y(x,y) = Σ_{x'}Σ_{y'} w(x',y')·x(x - d·x', y - d·y').
    Returns:
        (N, H_out, W_out, C_out) with H_out = floor((H + pads - k_eff) / s_h) + 1,
        k_eff = d_h·(kh - 1) + 1 (ceil(H / s_h) for 'same').

    Equals `correlate2d(x, w[::-1, ::-1], b, strides, padding, dilation_rate)`: Keras and
    PyTorch "convolution" is correlate2d, not this.
    """
    if _kernels.reference():
        return reference_conv.conv2d(x, w, b, strides, padding, dilation_rate)
    return Conv2dOp.apply(*op_inputs(x, w, b, "conv2d"), strides=strides, padding=padding,
                        dilation_rate=dilation_rate)


def conv2d_relu(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                dilation_rate: Any = 1) -> Tensor:
    """max(0, conv2d(x, w, b, ...)) as one op (`Conv2D` with relu=True): what the Conv2D
    layer runs for activation='relu'. Same arguments and shapes as `conv2d`; the ReLU is
    applied to each piece of the output while it is in the cache, and its backward is
    folded into the kernel gradient's pieces when x needs no gradient."""
    if _kernels.reference():
        return reference_conv.conv2d_relu(x, w, b, strides, padding, dilation_rate)
    return Conv2dOp.apply(*op_inputs(x, w, b, "conv2d"), strides=strides, padding=padding,
                        dilation_rate=dilation_rate, relu=True)


def correlate2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                dilation_rate: Any = 1) -> Tensor:
    """2-D cross-correlation, what Keras' Conv2D and torch.nn.functional.conv2d compute:
    y[n,i,j,o] = Σ_{a,b,c} w[a,b,c,o] · x_p[n, s_h·i + d_h·a, s_w·j + d_w·b, c] + b[o]
    (d = dilation_rate, 1 by default).

    Same arguments, shapes and padding rules as `conv2d`; it equals
    `conv2d(x, w[::-1, ::-1], ...)` (the kernel flipped along both spatial axes).
    """
    if _kernels.reference():
        return reference_conv.correlate2d(x, w, b, strides, padding, dilation_rate)
    return Correlate2dOp.apply(*op_inputs(x, w, b, "correlate2d"), strides=strides, padding=padding,
                             dilation_rate=dilation_rate)


