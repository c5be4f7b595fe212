"""Reference solution of exercise `sgd_momentum`."""
import numpy as np


def sgd_momentum_step(theta, grad, velocity, learning_rate, momentum):
    velocity = momentum * velocity - learning_rate * grad
    return theta + velocity, velocity
