"""Reference solution of exercise `relu`."""
import numpy as np

from tinydl import Function


class ReLU(Function):
    def forward(self, x):
        self.positive = x > 0
        return np.where(self.positive, x, 0.0).astype(x.dtype)

    def backward(self, grad):
        return grad * self.positive
