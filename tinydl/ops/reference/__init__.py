"""The reference kernels: every op of tinydl/ops/ written as its formula reads.

Read these first. Each module mirrors one module of tinydl/ops/ and holds, for each op, a
small `Function` named after it (AddRef, SoftmaxRef, BatchNormRef, ...) whose `forward` is
the op's formula in plain NumPy and whose `backward`, right beside it, is that formula's
derivative written out. No tuning, no in-place tricks, no fused shortcuts: where a fast
kernel is clever, the reference is plain, and the two give the same values and gradients.

Three uses:

* `tinydl.set_kernels("reference")` (or TINYDL_KERNELS=reference in the environment, or a
  `with tinydl.ops.use_kernels("reference"):` block) runs the whole framework on them:
  every public op function of tinydl/ops/ (and so every Tensor operator, layer and loss)
  hands its call to the module here;
* the fast kernels' tests use them as their oracle (tests/test_reference_*.py compare the
  two, op by op, values and gradients);
* a learner reads an op here before its fast twin.

    math.py            add, sub, mul, div, pow, matmul, neg, sum, mean, max, exp, log,
                       sqrt, abs, clip
    shape.py           reshape, transpose, getitem, concatenate, stack, flatten
    activations.py     linear, sigmoid, relu, tanh, leaky_relu, softmax, log_softmax, elu
    conv.py            conv2d, correlate2d, conv2d_relu
    conv_transpose.py  conv2d_transpose, correlate2d_transpose
    depthwise.py       depthwise_conv2d
    pooling.py         max_pool2d, avg_pool2d
    resize.py          upsampling2d, pad2d, resize2d
    fused.py           conv2d_relu_max_pool
    dropout.py         dropout (the same mask as the fast kernel for the same rng)
    batch_norm.py      batch_norm, batch_norm_with_moments, batch_norm_inference
    layer_norm.py      layer_norm
    losses.py          the from-logits cross-entropies and the soft Dice loss that
                       tinydl/losses.py computes with fused Functions

Each public function here takes the same arguments as its fast twin. Argument conversion
and checking are not part of the formulas: where the fast module has them as a helper, the
reference module calls that helper (`fast._operands`, ...), and a check written inline
there is repeated word for word here, so that both kernels refuse the same inputs with the
same message.

This file imports none of the modules: import the one you need,
`from tinydl.ops.reference import math as reference_math`.
"""
