"""tinydl: a small deep-learning framework in NumPy that makes a CNN/GAN tutorial checkable.

Keras 3's top-level names, so that `import tinydl as keras` runs Keras programs:
    Sequential, Model, Input                -- models (tinydl/models/)
    layers, optimizers, losses, metrics, callbacks, datasets, utils, backend,
    initializers, regularizers

And tinydl's own:
    Tensor, no_grad      -- the autograd engine (tinydl/autograd.py)
    Function             -- subclass it to write your own differentiable op
    gradcheck            -- compare an op's gradient with central differences
    functional           -- every differentiable op as a function (conv2d, relu, ...)
    ops                  -- the ops themselves, one concept per module (tinydl/ops/)
    gan                  -- the GAN trainer of section 3.2, checkpoints, sampling, scores
    applications         -- the lessons' networks: the article's CNN, the GANs, the U-Net
    image_grids          -- image batches as PNG grids, animated GIFs
    io                   -- writing and reading files safely (atomic saves, clear load errors)
    explain, adversarial -- section 5: attributions (saliency, integrated gradients, ...) and
                            attacks (FGSM, PGD)
    graphs               -- pictures of the autograd graph and of a model's layers
    regions              -- connected regions of a label mask (reading segmented scenes)
    set_num_threads, get_num_threads -- one thread setting for tinydl's pool and numpy's BLAS
    set_kernels, get_kernels -- "fast" (default) or "reference": every op as its formula reads
"""
from ._allocator import keep_freed_memory

keep_freed_memory()

from . import (activations, adversarial, applications, backend, callbacks, datasets, explain,
               functional, gan, graphs, image_grids, initializers, io, layers, losses, metrics,
               models, ops, optimizers, regions, regularizers, saving, utils)
from .autograd import Function, Tensor, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, GradcheckReport, gradcheck
from .layers import Input
from .models import Model, Sequential
from .ops import get_kernels, set_kernels
from .parallel import get_num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = ["Sequential", "Model", "Input", "backend", "io", "set_num_threads", "get_num_threads",
           "explain", "adversarial", "graphs", "regions", "Tensor", "Function", "no_grad",
           "is_grad_enabled", "gradcheck", "GradcheckError", "GradcheckReport", "functional",
           "activations", "losses", "optimizers", "initializers", "layers", "models", "metrics",
           "utils", "callbacks", "datasets", "regularizers", "ops",
           "gan", "image_grids", "saving", "applications", "set_kernels", "get_kernels"]
