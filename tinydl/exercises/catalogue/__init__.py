"""The exercises, one module each, in teaching order.

Every module defines EXERCISE (a `tinydl.exercises.exercise.Exercise`) from, side by side:
STUB (the student's file as handed out), HINTS, the check functions and `trial` (what
`tinydl exercise try` trains). To add an exercise, copy a module and list it here.
"""
from . import (adam, binary_crossentropy, conv2d_backward, conv2d_im2col, conv2d_loops, dense,
               gan_losses, max_pool_backward, mse, own_op, relu, sgd_momentum, sigmoid,
               softmax_cross_entropy)

EXERCISES = tuple(module.EXERCISE for module in (
    sigmoid, relu, dense, mse, binary_crossentropy, softmax_cross_entropy,
    conv2d_loops, conv2d_im2col, conv2d_backward, max_pool_backward,
    sgd_momentum, adam, gan_losses, own_op,
))
