"""Layers, with Keras 3's names, arguments and families (one module per family):

    layer.py           Layer, the base class (weights, build, symbolic calls)
    node.py            SymbolicTensor and Node: what the functional API records
    core.py            Input, InputLayer, Dense, Identity, Lambda
    convolutional.py   Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
    pooling.py         MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D
    merging.py         Concatenate, Add, Subtract, Multiply, Average (and concatenate, add, ...)
    reshaping.py       Flatten, Reshape, UpSampling2D, ZeroPadding2D, Cropping2D
    normalization.py   BatchNormalization, LayerNormalization
    preprocessing.py   Rescaling, Resizing, Normalization (adapt)
    augmentation.py    RandomFlip, RandomTranslation, RandomRotation, RandomZoom, RandomContrast
    activations.py     Activation, Softmax, ReLU, LeakyReLU, ELU
    regularization.py  Dropout, SpatialDropout2D, GaussianNoise

Shapes follow Keras: `input_shape` given to a layer's constructor leaves out the batch
axis, (28, 28, 1); shapes passed to `build` and `compute_output_shape` include it as
None, (None, 28, 28, 1). Images are channels-last (N, H, W, C), as in the article.
"""
from .activations import ELU, Activation, LeakyReLU, ReLU, Softmax
from .augmentation import (RandomContrast, RandomFlip, RandomRotation, RandomTranslation,
                           RandomZoom)
from .convolutional import Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from .core import Dense, Identity, Input, InputLayer, Lambda
from .layer import Layer, Shape
from .merging import (Add, Average, Concatenate, Multiply, Subtract, add, average, concatenate,
                      multiply, subtract)
from .node import Node, SymbolicTensor
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
                      MaxPooling2D)
from .preprocessing import Normalization, Rescaling, Resizing
from .regularization import Dropout, GaussianNoise, SpatialDropout2D
from .reshaping import Cropping2D, Flatten, Reshape, UpSampling2D, ZeroPadding2D

# Keras' short aliases
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D

__all__ = ["Layer", "Shape", "Node", "SymbolicTensor", "Input", "InputLayer", "Dense",
           "Activation", "LeakyReLU", "Dropout", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D",
           "SeparableConv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D", "Concatenate", "Add", "Subtract", "Multiply", "Average",
           "concatenate", "add", "subtract", "multiply", "average", "Flatten", "Reshape",
           "UpSampling2D", "ZeroPadding2D", "Cropping2D", "BatchNormalization", "Rescaling",
           "RandomFlip", "RandomTranslation", "RandomRotation", "Convolution2D", "MaxPool2D",
           "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D", "Softmax", "ReLU", "ELU", "Identity",
           "Lambda", "SpatialDropout2D", "GaussianNoise", "LayerNormalization", "Resizing",
           "Normalization", "RandomZoom", "RandomContrast"]
