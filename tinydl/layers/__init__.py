"""Layers, with Keras 3's names, arguments and families (one module per family):

    layer.py           Layer, the base class (weights, build, symbolic calls)
    node.py            SymbolicTensor and Node: what the functional API records
    core.py            Input, InputLayer, Dense, Activation, LeakyReLU, Dropout
    convolutional.py   Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
    pooling.py         MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D
    merging.py         Concatenate, Add, Subtract, Multiply, Average (and concatenate, add, ...)
    reshaping.py       Flatten, Reshape, UpSampling2D, ZeroPadding2D, Cropping2D
    normalization.py   BatchNormalization
    preprocessing.py   Rescaling, RandomFlip, RandomTranslation, RandomRotation
    activations.py     Softmax, ReLU, ELU
    core_extra.py      Identity, Lambda
    regularization.py  SpatialDropout2D, GaussianNoise
    normalization_extra.py  LayerNormalization
    preprocessing_extra.py  Resizing, Normalization (adapt), RandomZoom, RandomContrast

Shapes follow Keras: `input_shape` given to a layer's constructor leaves out the batch
axis, (28, 28, 1); shapes passed to `build` and `compute_output_shape` include it as
None, (None, 28, 28, 1). Images are channels-last (N, H, W, C), as in the article.
"""
from .activations import ELU, ReLU, Softmax
from .convolutional import Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from .core import Activation, Dense, Dropout, Input, InputLayer, LeakyReLU
from .core_extra import Identity, Lambda
from .layer import Layer, Shape
from .merging import (Add, Average, Concatenate, Multiply, Subtract, add, average, concatenate,
                      multiply, subtract)
from .node import Node, SymbolicTensor
from .normalization import BatchNormalization
from .normalization_extra import LayerNormalization
from .pooling import (AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
                      MaxPooling2D)
from .preprocessing import RandomFlip, RandomRotation, RandomTranslation, Rescaling
from .preprocessing_extra import Normalization, RandomContrast, RandomZoom, Resizing
from .regularization import GaussianNoise, SpatialDropout2D
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
