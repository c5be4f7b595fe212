"""Reference solution of exercise `conv2d_backward` (the forward pass is the stub's)."""
import numpy as np

from tinydl import Function
from tinydl.ops._geometry import as_pair, padding_amounts
from tinydl.ops._patches import im2col


class Conv2D(Function):
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
        kh, kw, c_in, c_out = self.w.shape
        n, h_out, w_out, _ = grad.shape
        (sh, sw), ((top, bottom), (left, right)) = self.strides, self.pads
        g = grad.reshape(-1, c_out)
        db = g.sum(axis=0)
        dw = (self.cols.T @ g).reshape(kh, kw, c_in, c_out)[::-1, ::-1]
        flipped = self.w[::-1, ::-1]
        dxp = np.zeros(self.xp_shape)
        for a in range(kh):
            for bb in range(kw):
                dxp[:, a:a + sh * (h_out - 1) + 1:sh, bb:bb + sw * (w_out - 1) + 1:sw, :] += \
                    (g @ flipped[a, bb].T).reshape(n, h_out, w_out, c_in)
        dx = dxp[:, top:dxp.shape[1] - bottom, left:dxp.shape[2] - right, :]
        return dx, dw, db
