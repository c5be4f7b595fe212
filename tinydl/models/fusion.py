"""Layers a `Model` runs together as one op, for speed; the results are the same.

One pattern is fused: a Conv2D with activation='relu' whose output feeds nothing but a
MaxPooling2D whose windows tile the image (strides = pool size, padding 'valid'; Keras'
defaults), the block of the article's network (§4) and of most small CNNs. The pair runs
as `tinydl.ops.fused.conv2d_relu_max_pool`, which never writes the full-size activation
to memory (on the article's network: a quarter less time per training step).

A pair is not fused when the convolution's output is used anywhere else: as a model
output (a Grad-CAM model reads it), by a second layer (a U-Net's skip connection), or
when the Conv2D is a subclass (Conv2DTranspose). The pairs are found once, from the
graph, when the model is built; `ENABLED = False` turns fusion off (to compare).
"""
from __future__ import annotations

from .. import activations
from ..autograd import Tensor
from ..ops.fused import conv2d_relu_max_pool
from ..layers.convolutional import Conv2D
from ..layers.node import Node, SymbolicTensor
from ..layers.pooling import MaxPooling2D
from ..ops.pooling import MAX_TILED_OFFSETS

#: Run fused pairs as one op (True) or layer by layer (False).
ENABLED = True


def conv_pool_pairs(nodes: list[Node], outputs: list[SymbolicTensor]) -> dict[int, Node]:
    """{id(pooling node): convolution node} for every fusable pair among `nodes` (a
    model's nodes in topological order; `outputs`, the model's outputs)."""
    uses: dict[int, int] = {id(t): 0 for node in nodes for t in node.outputs}
    for node in nodes:
        for t in node.inputs:
            uses[id(t)] = uses.get(id(t), 0) + 1
    for t in outputs:
        uses[id(t)] = uses.get(id(t), 0) + 1
    pairs: dict[int, Node] = {}
    for node in nodes:
        if not _tiling_max_pool(node):
            continue
        source = node.inputs[0]
        conv = source.node
        if (type(conv.layer) is Conv2D and conv.layer.activation is activations.relu
                and not conv.input_is_list and len(conv.outputs) == 1
                and uses[id(source)] == 1):
            pairs[id(node)] = conv
    return pairs


def _tiling_max_pool(node: Node) -> bool:
    layer = node.layer
    return (type(layer) is MaxPooling2D and not node.input_is_list
            and layer.strides == layer.pool_size and layer.padding == "valid"
            and layer.pool_size[0] * layer.pool_size[1] <= MAX_TILED_OFFSETS)


def conv_relu_pool(conv: Conv2D, pool: MaxPooling2D, x: Tensor) -> Tensor:
    """pool(conv(x)) for a fused pair, with the checks the Conv2D layer makes."""
    conv._check_input_compatible((None, *x.shape[1:]))
    conv.pre_activation = None
    return conv2d_relu_max_pool(x, conv.kernel, conv.bias, conv.strides, conv.padding,
                                conv.dilation_rate, pool.pool_size)
