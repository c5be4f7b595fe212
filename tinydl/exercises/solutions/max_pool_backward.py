"""Reference solution of exercise `max_pool_backward`."""
import numpy as np

from tinydl import Function


class MaxPool2D(Function):
    def forward(self, x, pool_size=2):
        p = self.p = pool_size
        n, h, w, c = self.x_shape = x.shape
        ho, wo = h // p, w // p
        windows = x[:, :ho * p, :wo * p].reshape(n, ho, p, wo, p, c)
        # (n, ho, wo, c, p·p): each window's pixels in row-major (a, b) order
        self.flat = windows.transpose(0, 1, 3, 5, 2, 4).reshape(n, ho, wo, c, p * p)
        return self.flat.max(axis=-1)

    def backward(self, grad):
        p, (n, h, w, c) = self.p, self.x_shape
        ho, wo = h // p, w // p
        first = self.flat.argmax(axis=-1)[..., None]      # argmax: the first maximum
        routed = np.zeros(self.flat.shape, dtype=grad.dtype)
        np.put_along_axis(routed, first, grad[..., None], axis=-1)
        windows = routed.reshape(n, ho, wo, c, p, p).transpose(0, 1, 4, 2, 5, 3)
        dx = np.zeros(self.x_shape, dtype=grad.dtype)
        dx[:, :ho * p, :wo * p] = windows.reshape(n, ho * p, wo * p, c)
        return dx
