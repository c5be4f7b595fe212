"""Reference solution of exercise `sigmoid`."""
import numpy as np

from tinydl import Function


class Sigmoid(Function):
    def forward(self, x):
        # e^{-|x|} never overflows; the two halves of σ are the same function
        e = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)
