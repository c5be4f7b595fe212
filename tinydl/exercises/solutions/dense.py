"""Reference solution of exercise `dense`."""
import numpy as np

from tinydl import Function


class Dense(Function):
    def forward(self, x, W, b):
        self.x, self.W = x, W
        return x @ W + b

    def backward(self, grad):
        return grad @ self.W.T, self.x.T @ grad, grad.sum(axis=0)
