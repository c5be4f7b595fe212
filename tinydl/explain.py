"""Attributions: which input values a class score depends on (article section 5,
explainability), for any model `model(x, training=False) -> Tensor` ending in class scores.

Every method explains the target class's LOGIT z_t (the score before softmax), not its
probability: the softmax couples all classes, so ∂p_t/∂x also moves with the other
classes' scores and vanishes when the model is confident. `logits(model, x)` finds z.

    saliency(model, x, t)              ∂z_t/∂x                        (Simonyan et al., 2014)
    gradient_x_input(model, x, t)      x ⊙ ∂z_t/∂x                    (Shrikumar et al., 2016)
    integrated_gradients(...)          (x − x') ⊙ ∫₀¹ ∂z_t/∂x(x' + α(x − x')) dα
                                                                      (Sundararajan et al., 2017)
    grad_cam(model, x, t, layer=NAME)  ReLU(Σ_k α_k A_k), α_k = mean_ij ∂z_t/∂A_k[i, j],
                                       A the named conv layer's output (Selvaraju et al., 2017)
    randomization_check(...)           does the map change when the weights are
                                       randomised?                    (Adebayo et al., 2018)

Shapes: x is a batch, (N, H, W, C) images or (N, features); target is one class index
for all samples or an array of N indices; every attribution has x's shape. Gradients
are taken in inference mode (training=False: dropout off, batch norm on its moving
statistics), so the samples of a batch do not influence each other and one backward
pass of Σ_n z[n, t_n] gives every sample's own gradient.

The model's weights are not touched: while an attribution is computed, they stop
requiring grad (so no gradient accumulates in their .grad) and are restored afterwards.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .autograd import Tensor, no_grad, to_array
from .models.probing import (Model, as_batch, class_indices, inputs_only, logits,
                             model_weights)
from .ops.resize import interpolation_matrix


def _check_scores(fn: str, z: Tensor, n: int) -> None:
    if z.ndim != 2 or len(z) != n:
        raise ValueError(f"{fn}: the model's class scores have shape {z.shape}; expected "
                         f"(N, K) = ({n}, number of classes)")


def target_scores(model: Model, x: np.ndarray, t: np.ndarray, batch_size: int = 256,
                  fn: str = "target_scores") -> np.ndarray:
    """z[n, t_n] for every sample, in float64, batch_size samples per forward pass."""
    out = []
    with no_grad():
        for start in range(0, len(x), batch_size):
            chunk = x[start:start + batch_size]
            z = logits(model, Tensor(chunk))
            _check_scores(fn, z, len(chunk))
            rows = np.arange(len(chunk))
            out.append(z.data[rows, t[start:start + batch_size]].astype(np.float64))
    return np.concatenate(out) if out else np.zeros(0)


def _logit_gradient(fn: str, model: Model, x: np.ndarray, target: Any
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(∂z[n, t_n]/∂x[n] for every sample, z[n, t_n]): one forward and one backward."""
    xt = Tensor(x, requires_grad=True)
    with inputs_only(model):
        z = logits(model, xt)
        _check_scores(fn, z, len(x))
        t = class_indices(fn, target, len(x), z.shape[1])
        rows = np.arange(len(x))
        if not z.requires_grad:
            raise ValueError(f"{fn}: the model's output does not depend on x through tinydl "
                             f"operations (no gradient can flow to x)")
        seed = np.zeros_like(z.data)
        seed[rows, t] = 1.0             # backward of Σ_n z[n, t_n]
        z.backward(seed)
    grad = xt.grad if xt.grad is not None else np.zeros_like(x)
    return grad, z.data[rows, t]


# -- the methods ------------------------------------------------------------------------------

def saliency(model: Model, x: Any, target: Any) -> np.ndarray:
    """The saliency map  S = ∂z_t/∂x : how much the target class's logit z_t changes per
    unit change of each input value. Same shape as x (N, ...), signed; show |S| (e.g.
    `heatmap`). For a linear model z = xW + b it is the column W[:, t] for every x."""
    x = as_batch("saliency", model, x)
    return _logit_gradient("saliency", model, x, target)[0]


def gradient_x_input(model: Model, x: Any, target: Any) -> np.ndarray:
    """Gradient × input  x ⊙ ∂z_t/∂x, same shape as x. For a linear model without bias
    its sum over the inputs is exactly z_t (each term is one input's share of the score)."""
    x = as_batch("gradient_x_input", model, x)
    return x * _logit_gradient("gradient_x_input", model, x, target)[0]


class IntegratedGradients(NamedTuple):
    """The result of `integrated_gradients`; unpacks as (attributions, relative_error, delta).

    attributions: A, x's shape.
    relative_error: (N,) the completeness error |Σ_i A_i − Δ| / |Δ| of each sample
        (NaN where Δ = 0).
    delta: (N,) Δ = z_t(x) − z_t(x'), what the attributions should add up to.
    """
    attributions: np.ndarray
    relative_error: np.ndarray
    delta: np.ndarray


#: Quadrature rules on [0, 1] with m intervals: (nodes α_k, weights w_k), Σ w_k = 1.
RULES = ("midpoint", "trapezoid")


def _quadrature(rule: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    if rule == "midpoint":          # α_k = (k + ½)/m, w_k = 1/m: m evaluations
        return (np.arange(steps) + 0.5) / steps, np.full(steps, 1.0 / steps)
    weights = np.full(steps + 1, 1.0 / steps)   # α_k = k/m, halves at both ends: m + 1
    weights[[0, -1]] /= 2
    return np.arange(steps + 1) / steps, weights


def integrated_gradients(model: Model, x: Any, target: Any, baseline: Any = None,
                         steps: int = 50, rule: str = "midpoint",
                         batch_size: int = 256) -> IntegratedGradients:
    """Integrated gradients along the straight path from a baseline x' to x:

        A_i = (x_i − x'_i) · ∫₀¹ ∂z_t/∂x_i (x' + α(x − x')) dα
            ≈ (x_i − x'_i) · Σ_k w_k ∂z_t/∂x_i (x' + α_k(x − x'))

    with the midpoint rule (α_k = (k + ½)/steps, w_k = 1/steps) or the trapezoid rule
    (α_k = k/steps, k = 0..steps, end weights halved). Completeness: Σ_i A_i equals
    Δ = z_t(x) − z_t(x') exactly for the integral (the fundamental theorem of calculus
    along the path); the returned relative_error |Σ A − Δ| / |Δ| measures how far the
    sum is from it. For a ReLU network the integrand jumps where a unit switches, so the
    error shrinks like 1/steps; raise `steps` until it is small (< 5% is usual).

    Args:
        x: the batch (N, ...); target: one class index or N of them.
        baseline: x' (default zeros, a black image), x's shape, one sample's shape, or a
            number.
        batch_size: interpolated inputs per forward/backward pass: all N·steps path points
            are evaluated in chunks of this many rows (the memory bound).
    Returns:
        IntegratedGradients(attributions, relative_error, delta); see its docstring.
    """
    fn = "integrated_gradients"
    x = as_batch(fn, model, x)
    if rule not in RULES:
        raise ValueError(f"{fn}: rule must be one of {RULES}, got {rule!r}")
    for arg, value in (("steps", steps), ("batch_size", batch_size)):
        if not (isinstance(value, int | np.integer) and value >= 1):
            raise ValueError(f"{fn}: {arg} must be an int >= 1, got {value!r}")
    if baseline is None:
        base = np.zeros_like(x)
    else:
        base = to_array(baseline, fn, "baseline").astype(x.dtype, copy=False)
        try:
            base = np.broadcast_to(base, x.shape)
        except ValueError:
            raise ValueError(f"{fn}: baseline has shape {base.shape}; expected x's shape "
                             f"{x.shape} or one sample's {x.shape[1:]}") from None
    n = len(x)
    alphas, weights = _quadrature(rule, int(steps))
    m = len(alphas)
    t = class_indices(fn, target, n)
    diff = x - base
    sample_axes = (slice(None),) + (None,) * (x.ndim - 1)
    avg_grad = np.zeros(x.shape, dtype=np.float64)
    for start in range(0, n * m, batch_size):      # row r is sample r // m at α_{r % m}
        rows = np.arange(start, min(start + batch_size, n * m))
        sample, k = rows // m, rows % m
        points = base[sample] + alphas[k].astype(x.dtype)[sample_axes] * diff[sample]
        grad, _ = _logit_gradient(fn, model, points, t[sample])
        np.add.at(avg_grad, sample, weights[k][sample_axes] * grad)
    attributions = (diff * avg_grad).astype(x.dtype)

    delta = (target_scores(model, x, t, batch_size, fn)
             - target_scores(model, np.ascontiguousarray(base), t, batch_size, fn))
    total = attributions.reshape(n, -1).sum(axis=1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.where(delta != 0, np.abs(total - delta) / np.abs(delta), np.nan)
    return IntegratedGradients(attributions, error, delta)


# -- Grad-CAM ---------------------------------------------------------------------------------

def resize_bilinear(maps: Any, size: tuple[int, int]) -> np.ndarray:
    """Resize maps (N, h, w) to (N, H, W) = (N, *size) by bilinear interpolation with
    half-pixel centres (tf.image.resize, torch's align_corners=False): output row i reads
    the source position u = (i + ½)·h/H − ½, clamped to [0, h − 1], mixing rows ⌊u⌋ and
    ⌊u⌋ + 1 with weights 1 − (u − ⌊u⌋) and u − ⌊u⌋; columns alike. As a matrix product:
    out[n] = R_h · maps[n] · R_wᵀ. For an integer factor H = s·h it is exactly
    `tinydl.functional.upsampling2d(..., interpolation='bilinear')`; unlike that op it
    takes any size (a 11×11 map to a 28×28 image) and is not differentiated.
    A convex combination per pixel: a non-negative map stays non-negative."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3:
        raise ValueError(f"resize_bilinear: maps must have shape (N, h, w), got {maps.shape}")
    if not (len(size) == 2 and all(isinstance(v, int | np.integer) and v >= 1 for v in size)):
        raise ValueError(f"resize_bilinear: size must be (H, W) with positive ints, got {size!r}")

    r_h = interpolation_matrix(maps.shape[1], int(size[0]))      # tinydl/ops/resize.py
    r_w = interpolation_matrix(maps.shape[2], int(size[1]))
    return np.einsum("ai,nij,bj->nab", r_h, maps, r_w)


def _conv_classes() -> tuple[type, ...]:
    from .layers.convolutional import Conv2D, DepthwiseConv2D, SeparableConv2D
    return (Conv2D, DepthwiseConv2D, SeparableConv2D)     # Conv2DTranspose is a Conv2D


def _grad_cam_graph(fn: str, model: Any, layer: Any, x: np.ndarray) -> Any:
    """Model(model.inputs, [the conv layer's output, model's output]): shares the weights."""
    from .models import Model
    if not (hasattr(model, "get_layer") and hasattr(model, "_build_for")):
        raise TypeError(f"{fn}: model must be a tinydl Model or Sequential (it needs named "
                        f"layers); got {type(model).__name__}")
    if not isinstance(layer, str):
        raise TypeError(f"{fn}: layer must be the name of a convolutional layer (a str), got "
                        f"{type(layer).__name__}")
    model._build_for((None, *x.shape[1:]))            # a Sequential not built yet
    convs = [l.name for l in model.layers if isinstance(l, _conv_classes())]
    names = [l.name for l in model.layers]
    if layer not in names:
        raise ValueError(f"{fn}: the model has no layer named {layer!r}; its convolutional "
                         f"layers are {convs} (a layer inside a nested model is not reachable)")
    chosen = model.get_layer(layer)
    if not isinstance(chosen, _conv_classes()):
        raise ValueError(f"{fn}: layer {layer!r} is a {type(chosen).__name__}, not a "
                         f"convolutional layer; Grad-CAM needs a feature map (N, h, w, K) of "
                         f"one of {convs}")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"{fn}: the model has {len(model.inputs)} inputs and "
                         f"{len(model.outputs)} outputs; expected one of each (x -> class "
                         f"scores)")
    calls = [node for node in model._nodes if node.layer is chosen]
    if len(calls) != 1:
        raise ValueError(f"{fn}: layer {layer!r} is called {len(calls)} times in the model; "
                         f"its feature map is ambiguous")
    return Model(model.inputs, [calls[0].outputs[0], model.outputs[0]],
                 name=f"{model.name}_grad_cam")


def grad_cam(model: Any, x: Any, target: Any, layer: str, upsample: bool = True,
             normalize: bool = False) -> np.ndarray:
    """Grad-CAM (Selvaraju et al., 2017): where the named convolutional layer saw evidence
    for the target class.

    With A (N, h, w, K) the layer's output (after its activation) for x and z_t the
    target class's logit:

        α[n, k] = (1 / (h·w)) Σ_i Σ_j ∂z_t/∂A[n, i, j, k]      (one weight per channel)
        L[n]    = ReLU(Σ_k α[n, k] · A[n, :, :, k])            (N, h, w)

    then (upsample=True) L is resized to the input's (H, W) with `resize_bilinear`. For a
    model whose conv layer feeds a GlobalAveragePooling2D and then a Dense layer (kernel
    W), α[n, k] = W[k, t]/(h·w) and L = ReLU(Σ_k W[k, t] A_k)/(h·w): the class activation
    map of Zhou et al. (2016), divided by h·w.

    One forward pass through `Model(model.inputs, [layer.output, model's output])`, a
    graph that shares the model's weights, and one backward pass of Σ_n z[n, t_n]; in
    inference mode, weights and their .grad untouched (as for every method here).

    Args:
        model: a tinydl Model or Sequential with one input and one output (class scores).
        x: (N, H, W, C) batch; target: one class index or N of them.
        layer: the name of a Conv2D (or Conv2DTranspose, DepthwiseConv2D,
            SeparableConv2D) layer of the model, usually the last one.
        upsample: resize the maps to x's (H, W) (default) or keep the layer's (h, w).
        normalize: divide each map by its maximum (maps in [0, 1]; an all-zero map stays
            zero). Default False: the maps are in logit units, comparable across samples.
    Returns:
        (N, H, W) float64 maps (or (N, h, w)), all >= 0.
    """
    fn = "grad_cam"
    x = as_batch(fn, model, x)
    if x.ndim != 4:
        raise ValueError(f"{fn}: x must be a batch of images (N, H, W, C); got shape {x.shape}")
    graph = _grad_cam_graph(fn, model, layer, x)
    xt = Tensor(x, requires_grad=True)   # so that the feature map is on the gradient's path
    with inputs_only(model):
        features, out = graph(xt, training=False)
        z = graph._output_logits[1]
        z = out if z is None else z
        _check_scores(fn, z, len(x))
        t = class_indices(fn, target, len(x), z.shape[1])
        features.retain_grad()
        seed = np.zeros_like(z.data)
        seed[np.arange(len(x)), t] = 1.0             # backward of Σ_n z[n, t_n]
        z.backward(seed)
    a = features.data.astype(np.float64)
    grad = features.grad if features.grad is not None else np.zeros_like(a)
    alpha = grad.astype(np.float64).mean(axis=(1, 2))                  # (N, K)
    cam = np.maximum(np.einsum("nijk,nk->nij", a, alpha), 0.0)
    if upsample:
        cam = resize_bilinear(cam, x.shape[1:3])     # convex weights: stays >= 0
    if normalize:
        peak = cam.reshape(len(cam), -1).max(axis=1)
        cam = cam / np.where(peak > 0, peak, 1.0)[:, None, None]
    return cam


def heatmap(attributions: Any) -> np.ndarray:
    """A picture of attributions: |A|, the maximum over channels for images
    (N, H, W, C) -> (N, H, W), each sample scaled to [0, 1] by its own maximum."""
    a = np.abs(np.asarray(attributions, dtype=np.float64))
    if a.ndim == 4:
        a = a.max(axis=-1)
    peak = a.reshape(len(a), -1).max(axis=1) if a.size else np.zeros(len(a))
    peak = np.where(peak > 0, peak, 1.0)
    return a / peak.reshape((-1,) + (1,) * (a.ndim - 1))


# -- the sanity check ----------------------------------------------------------------------

def rank(values: Any) -> np.ndarray:
    """Ranks 1..n of a 1-d array, ties given the mean of the ranks they span
    (rank([10, 30, 20, 20]) = [1, 4, 2.5, 2.5])."""
    a = np.asarray(values).ravel()
    order = np.argsort(a, kind="stable")
    sorted_a = a[order]
    starts = np.flatnonzero(np.r_[True, sorted_a[1:] != sorted_a[:-1]])  # first of each tie group
    ends = np.r_[starts[1:], len(a)]                                      # one past its last
    group = np.cumsum(np.r_[True, sorted_a[1:] != sorted_a[:-1]]) - 1
    ranks = np.empty(len(a), dtype=np.float64)
    ranks[order] = (starts[group] + ends[group] + 1) / 2                 # mean of ranks s+1..e
    return ranks


def spearman(a: Any, b: Any) -> float:
    """Spearman's rank correlation: the Pearson correlation of rank(a) and rank(b), in
    [-1, 1] (ties get mean ranks). NaN when either is constant."""
    ra, rb = rank(a), rank(b)
    if ra.shape != rb.shape:
        raise ValueError(f"spearman: a and b have {ra.size} and {rb.size} values; expected "
                         f"the same number")
    ra, rb = ra - ra.mean(), rb - rb.mean()
    norm = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / norm) if norm > 0 else float("nan")


class RandomizationStep(NamedTuple):
    """One step of `randomization_check`: the layers randomised so far (cascading) or
    this one layer (independent), the rank correlation of each sample's map with its
    original map (N,), and the maps themselves."""
    layer: str
    spearman: np.ndarray
    attributions: np.ndarray

    @property
    def mean_spearman(self) -> float:
        valid = self.spearman[~np.isnan(self.spearman)]
        return float(valid.mean()) if valid.size else float("nan")


METHODS: dict[str, Callable[..., Any]] = {
    "saliency": saliency, "gradient_x_input": gradient_x_input,
    "integrated_gradients": integrated_gradients, "grad_cam": grad_cam,
}


def _attribute(method: Callable[..., Any], model: Model, x: np.ndarray, target: Any,
               options: dict[str, Any]) -> np.ndarray:
    result = method(model, x, target, **options)
    return np.asarray(result.attributions if isinstance(result, IntegratedGradients) else result)


def randomization_check(model: Any, x: Any, target: Any, method: Any = "saliency",
                        mode: str = "cascading", absolute: bool = True,
                        rng: np.random.Generator | int | None = None,
                        **options: Any) -> list[RandomizationStep]:
    """The model-parameter randomisation test of Adebayo et al. (2018), "Sanity checks
    for saliency maps": a method whose map survives the destruction of the weights
    explains the image (an edge detector would do), not the model.

    Steps, for each layer with trainable weights, from the output layer down:
    cascading: randomise this layer too (the layers above stay randomised);
    independent: randomise only this layer (the others original).
    Each weight tensor W is replaced by values drawn from N(mean(W), std(W)²): random,
    at the scale of the trained weights. Then the map is recomputed and compared with
    the original one, per sample, by Spearman's rank correlation (of |map| when absolute
    is True, since a randomised layer may flip signs). 1 means unchanged order.

    All weights are restored afterwards, bit for bit, even if the method raises.

    Args:
        model: a model with `layers`, each with `weights` (tinydl.models.Sequential).
        method: a name in METHODS or a function (model, x, target, **options) -> map.
        rng: a Generator or a seed for the random weights.
        options: passed on to the method, e.g. layer="conv2d_1" for grad_cam, steps=50
            for integrated_gradients. (Grad-CAM's map is ReLU-clipped: a randomised
            network can make it all zeros, whose rank correlation is NaN; mean_spearman
            ignores NaNs, so count them too.)
    Returns:
        [RandomizationStep(layer name, spearman (N,), attributions)] in order.
    """
    fn = "randomization_check"
    if isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"{fn}: unknown method {method!r}; expected one of "
                             f"{list(METHODS)} or a function (model, x, target) -> map")
        if method == "grad_cam" and "layer" not in options:
            raise ValueError(f"{fn}: method 'grad_cam' needs the conv layer's name: "
                             f"randomization_check(model, x, target, 'grad_cam', layer=NAME)")
        method = METHODS[method]
    if mode not in ("cascading", "independent"):
        raise ValueError(f"{fn}: mode must be 'cascading' or 'independent', got {mode!r}")
    layers = getattr(model, "layers", None)
    if not layers:
        raise TypeError(f"{fn}: the model must have a list of layers (model.layers); got "
                        f"{type(model).__name__}")
    x = as_batch(fn, model, x)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    to_randomise = [(getattr(layer, "name", f"layer {i}"),
                     [w for w in getattr(layer, "weights", []) if w.requires_grad])
                    for i, layer in enumerate(layers)]
    to_randomise = [(name, ws) for name, ws in reversed(to_randomise) if ws]
    saved = [(w, w.data.copy()) for w in model_weights(model)]

    def flat(a: np.ndarray) -> np.ndarray:
        a = a.reshape(len(a), -1)
        return np.abs(a) if absolute else a

    steps: list[RandomizationStep] = []
    try:
        original = flat(_attribute(method, model, x, target, options))
        for name, weights in to_randomise:
            if mode == "independent":
                for w, data in saved:
                    w.data[...] = data
            for w in weights:
                w.data[...] = rng.normal(w.data.mean(), w.data.std(), w.shape)
            maps = _attribute(method, model, x, target, options)
            rho = np.array([spearman(o, r) for o, r in zip(original, flat(maps))])
            steps.append(RandomizationStep(name, rho, maps))
    finally:
        for w, data in saved:
            w.data[...] = data
    return steps
